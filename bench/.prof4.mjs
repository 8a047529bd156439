const t0 = performance.now();
const { loadRepository } = await import('../build/scripts/adapters/repository.js');
console.log('import', (performance.now() - t0).toFixed(0));
let first = 0;
const t1 = performance.now();
const repo = await loadRepository('/tmp/gen1', { cacheDir: false, onProgress: (d) => { if (!first) first = performance.now() - t1; } });
console.log('load', (performance.now() - t1).toFixed(0), 'first chunk', first.toFixed(0));
console.log(process.resourceUsage().maxRSS / 1024, 'MB', (process.cpuUsage().user / 1000).toFixed(0), 'user ms');
