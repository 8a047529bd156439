import { readdirSync, readFileSync } from 'node:fs';
import YAML, { Parser, Composer, LineCounter } from 'yaml';
const B = '/work/main/build/scripts/';
const { loadYaml } = await import(B + 'core/yaml/load.js');
const { analyzeFlagFile } = await import(B + 'core/check/analyze-file.js');
const { defaultPolicy } = await import(B + 'core/model/policy.js').catch(() => ({}));
const { analyzePolicy } = await import(B + 'core/check/analyze-policy.js');
const policy = analyzePolicy('flags/_policy.yaml', readFileSync('/tmp/b10k/flags/_policy.yaml')).policy;
const files = readdirSync('/tmp/b10k/flags', { recursive: true, withFileTypes: true }).filter(e => e.isFile() && !e.name.startsWith('_')).map(e => e.parentPath + '/' + e.name);
const bytes = files.map(f => readFileSync(f)); const texts = bytes.map(b => b.toString('utf8'));
const cases = {
  parseOnly: (i) => { for (const _ of new Parser().parse(texts[i])); },
  parseCompose: (i) => { const t = Array.from(new Parser().parse(texts[i])); Array.from(new Composer({uniqueKeys:true}).compose(t)); },
  YAMLparse: (i) => YAML.parse(texts[i]),
  loadYaml: (i) => loadYaml('x.yaml', bytes[i], 1e6),
  analyze: (i) => analyzeFlagFile('flags/x.yaml', 'h', bytes[i], policy),
  analyzeJson: (i) => JSON.stringify(analyzeFlagFile('flags/x.yaml', 'h', bytes[i], policy)),
};
for (let r = 0; r < 3; r++) for (const [name, fn] of Object.entries(cases)) {
  const t = performance.now(); for (let i = 0; i < files.length; i++) fn(i);
  if (r === 2) console.log(name.padEnd(14), (performance.now() - t).toFixed(0));
}
