import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The end-to-end tests run the real `flags` binary, which runs the bundled build: make it fresh.
 * Type errors do not stop the emit; `npm run typecheck` reports them on its own.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    process.stderr.write(
      `build reported problems (see npm run typecheck):\n${result.stdout.slice(0, 2000)}\n`,
    );
  // The binary runs the image of that build (scripts/image.ts); a failed image fails the run.
  const bundled = spawnSync(process.execPath, ['build/scripts/image.js'], { cwd: root, encoding: 'utf8' });
  if (bundled.status !== 0) throw new Error(`bundling failed:\n${bundled.stderr.slice(0, 4000)}`);
}
