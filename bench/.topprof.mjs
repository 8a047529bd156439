import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
for (const f of readdirSync(dir).filter(f=>f.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(dir + '/' + f, 'utf8'));
  const self = new Map(); const byId = new Map(p.nodes.map(n => [n.id, n]));
  const dt = new Map(); p.samples.forEach((s, i) => dt.set(s, (dt.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  let total = 0;
  for (const n of p.nodes) { const t = (dt.get(n.id) ?? 0) / 1000; total += t; const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(node_modules|build)\//, '')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); }
  console.log(f, 'total', total.toFixed(0));
  [...self].sort((a, b) => b[1] - a[1]).slice(0, +process.argv[3] || 25).forEach(([k, v]) => console.log(v.toFixed(1).padStart(8), k));
}
