import YAML from 'yaml';
const { readFlagFiles } = await import('../build/scripts/adapters/repo-files.js');
const { analyzeFlagFile } = await import('../build/scripts/core/check/analyze-file.js');
const { loadYaml } = await import('../build/scripts/core/yaml/load.js');
const { validators } = await import('../build/scripts/core/model/validators.js');
const { analyzePolicy } = await import('../build/scripts/core/check/analyze-policy.js');
const { readFileSync } = await import('node:fs');
const pol = analyzePolicy('flags/_policy.yaml', readFileSync('/tmp/gen1/flags/_policy.yaml')).policy;
const r = readFlagFiles('/tmp/gen1', 262144);
const dec = new TextDecoder();
const time = (l, fn) => { const t = performance.now(); fn(); console.log(l.padEnd(20), (performance.now() - t).toFixed(0)); };
for (let k = 0; k < 3; k++) {
time('YAML.parse', () => { for (const f of r.files) YAML.parse(dec.decode(f.bytes)); });
time('parseDocument', () => { for (const f of r.files) YAML.parseDocument(dec.decode(f.bytes)).toJS(); });
time('loadYaml', () => { for (const f of r.files) loadYaml(f.file, f.bytes, 262144); });
time('analyze', () => { for (const f of r.files) analyzeFlagFile(f.file, f.hash, f.bytes, pol); });
}
