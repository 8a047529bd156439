/**
 * What the image (build/image/flags.cjs, made by image.ts) exposes: the CLI, the code of the
 * analysis threads, which run from the same image so that one code cache serves all threads, and
 * the steps `bench/` times one by one. A worker registers its message handler when imported and the
 * steps load the build command, so both stay behind a function: a module the sources import
 * dynamically is initialised only when asked for, in the bundle too. (The bundle verifier's thread
 * runs a small script of its own, made by image.ts.)
 */
export { main } from './cli.js';

export async function startAnalysisWorker(): Promise<void> {
  await import('./adapters/analyze-worker.js');
}

export async function steps() {
  const [{ checkRepositoryAt, loadEveryFlag }, { startBuild, finishBuild }] = await Promise.all([
    import('./adapters/checked-repository.js'),
    import('./commands/build.js'),
  ]);
  return { checkRepositoryAt, loadEveryFlag, startBuild, finishBuild };
}
