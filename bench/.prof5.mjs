import { parseAllDocuments, LineCounter, visit, parseDocument, Parser, Composer, Lexer } from 'yaml';
const { readFlagFiles } = await import('../build/scripts/adapters/repo-files.js');
const { validators } = await import('../build/scripts/core/model/validators.js');
const r = readFlagFiles('/tmp/gen1', 262144);
const dec = new TextDecoder();
const texts = r.files.map(f => dec.decode(f.bytes));
const time = (l, fn) => { const t = performance.now(); fn(); console.log(l.padEnd(20), (performance.now() - t).toFixed(0)); };
let docs, vals;
const v = validators().flag;
for (let k = 0; k < 3; k++) {
time('decode', () => { for (const f of r.files) dec.decode(f.bytes); });
time('lex', () => { for (const t of texts) for (const x of new Lexer().lex(t)); });
time('cst', () => { for (const t of texts) for (const x of new Parser().parse(t)); });
time('parseAll+lc', () => { docs = texts.map(t => parseAllDocuments(t, { lineCounter: new LineCounter(), uniqueKeys: true, prettyErrors: false, version: '1.2' })[0]); });
time('parseDocument', () => { for (const t of texts) parseDocument(t); });
time('visit', () => { for (const d of docs) visit(d, { Alias() {}, Pair() {}, Node() {} }); });
time('toJS', () => { vals = docs.map(d => d.toJS({ maxAliasCount: 0 })); });
time('validate', () => { for (const x of vals) v(x); });
}
