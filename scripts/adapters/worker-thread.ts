import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker thread whose module is `name`, found beside this module: adapters/<name>.js in
 * tsc's output, <name>.cjs beside the image, which runs it from the image (written by
 * scripts/image.ts), or adapters/<name>.ts under the test runner, where tsx must be registered in
 * the worker first (`execArgv: ['--import', 'tsx']` does not reach a worker's module loader on
 * Node 20).
 *
 * A worker inherits the process's Node options, except two kinds it would fail on at once:
 * `--input-type` (a program given with -e, as the benchmarks' probes are), and options Node applies
 * to the whole process only (`node --max-semi-space-size=8 …`), which it refuses in a worker; then
 * the worker starts with none of them rather than not at all.
 */
export function startWorkerThread(name: string, options: WorkerOptions = {}): Worker {
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  try {
    return start(name, { execArgv, ...options });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return start(name, { execArgv: [], ...options });
  }
}

function start(name: string, options: WorkerOptions): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL(`./${name}.ts`, import.meta.url).href;
    const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { ...options, eval: true });
  }
  const bundled = import.meta.url.endsWith('.cjs');
  return new Worker(new URL(`./${name}.${bundled ? 'cjs' : 'js'}`, import.meta.url), options);
}
