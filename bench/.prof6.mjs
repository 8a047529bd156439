import { readFileSync, readdirSync, openSync, readSync, closeSync, fstatSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
const root = '/tmp/gen1/flags';
const time = async (l, fn) => { const t = performance.now(); const r = await fn(); console.log(l.padEnd(24), (performance.now() - t).toFixed(0)); return r; };
for (let k = 0; k < 3; k++) {
const paths = await time('list', () => readdirSync(root, { recursive: true, withFileTypes: true }).filter(e => e.isFile()).map(e => join(e.parentPath, e.name)));
await time('readFileSync', () => { for (const p of paths) readFileSync(p); });
await time('open/fstat/read', () => { for (const p of paths) { const fd = openSync(p, 'r'); const s = fstatSync(fd).size; const b = Buffer.allocUnsafe(s); readSync(fd, b, 0, s, 0); closeSync(fd); } });
await time('open/read 64k', () => { const big = Buffer.allocUnsafe(65536); for (const p of paths) { const fd = openSync(p, 'r'); const n = readSync(fd, big, 0, 65536, 0); Buffer.from(big.subarray(0, n)); closeSync(fd); } });
await time('promises.readFile x64', async () => { let i = 0; await Promise.all(Array.from({ length: 64 }, async () => { while (i < paths.length) await fsp.readFile(paths[i++]); })); });
}
