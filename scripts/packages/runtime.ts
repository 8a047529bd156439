import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { RootManifest } from './toolkit.js';

/**
 * The runtime package's name. Scoped: the scope is one owner's namespace on the registry, so the
 * name an application imports cannot be taken by someone else, and the toolkit's further packages
 * (if any) sit beside it under the same owner.
 */
export const RUNTIME_PACKAGE = '@flags-as-code/runtime';
const ENTRIES = ['index', 'openfeature'];

/**
 * Lays out the runtime package for applications in `out`: the verifier and evaluator of
 * scripts/runtime/ (standard APIs only; node-files.ts, loaded only for a path, is Node's) and the
 * OpenFeature provider, each
 * file as an ES module in dist/esm/ and as CommonJS in dist/cjs/, with tsc's declarations beside
 * both (`tscOut`: build/scripts/runtime/ of `npm run build`).
 *
 * The CommonJS folder holds a package.json of `"type": "commonjs"`: Node then loads its .js files
 * as CommonJS, and TypeScript reads the .d.ts files beside them as CommonJS declarations (what
 * .cjs/.d.cts names would say), so both folders have the same file names and imports.
 * One file per source file, not one bundle per entry: the provider's `instanceof Evaluator` must
 * see the same class as the runtime entry.
 */
export async function stageRuntime(root: string, tscOut: string, out: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as RootManifest;
  const sources = join(root, 'scripts', 'runtime');
  const files = readdirSync(sources)
    .filter((name) => name.endsWith('.ts'))
    .sort();
  rmSync(out, { recursive: true, force: true });
  for (const format of ['esm', 'cjs'] as const) {
    const dir = join(out, 'dist', format);
    await build({
      entryPoints: files.map((name) => join(sources, name)),
      outdir: dir,
      bundle: false,
      format,
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
    });
    for (const name of files) {
      const declaration = name.replace(/\.ts$/, '.d.ts');
      cpSync(join(tscOut, declaration), join(dir, declaration));
    }
  }
  writeFileSync(join(out, 'dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
  cpSync(join(root, 'scripts', 'packages', 'runtime-readme.md'), join(out, 'README.md'));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(runtimeManifest(manifest), null, 2)}\n`);
}

export function runtimeManifest(root: RootManifest): object {
  const entry = (name: string) => ({
    import: { types: `./dist/esm/${name}.d.ts`, default: `./dist/esm/${name}.js` },
    require: { types: `./dist/cjs/${name}.d.ts`, default: `./dist/cjs/${name}.js` },
  });
  return {
    name: RUNTIME_PACKAGE,
    version: root.version,
    description:
      'Verifies signed flag bundles of flags-as-code and evaluates their flags; an OpenFeature provider.',
    license: root.license,
    type: 'module',
    engines: root.engines,
    main: './dist/cjs/index.js',
    types: './dist/cjs/index.d.ts',
    exports: Object.fromEntries([
      ...ENTRIES.map((name) => [name === 'index' ? '.' : `./${name}`, entry(name)]),
      ['./package.json', './package.json'],
    ]),
    // TypeScript's legacy `node` resolution reads no `exports`: this maps the subpath for it.
    typesVersions: { '*': { openfeature: ['./dist/cjs/openfeature.d.ts'] } },
    files: ['dist/'],
    sideEffects: false,
    peerDependencies: root.peerDependencies,
    peerDependenciesMeta: Object.fromEntries(
      Object.keys(root.peerDependencies ?? {}).map((name) => [name, { optional: true }]),
    ),
    publishConfig: { access: 'public' },
  };
}
