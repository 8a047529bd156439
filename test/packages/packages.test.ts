import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeManifest, stageRuntime } from '../../scripts/packages/runtime.js';
import { stageToolkit } from '../../scripts/packages/toolkit.js';

/** The package folders `npm run pack` lays out (scripts/packages/), staged from the current build. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'flags-packages-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('the toolkit package', () => {
  let out: string;
  beforeAll(() => {
    out = join(work, 'toolkit');
    stageToolkit(ROOT, out);
  });

  it('holds the binary, the image, the schemas and the audit files, and depends on nothing', () => {
    const pkg = json(join(out, 'package.json'));
    expect(pkg).toMatchObject({
      name: 'flags-as-code',
      version: manifest.version,
      bin: { flags: 'bin/flags.cjs' },
    });
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.scripts).toBeUndefined();
    expect(pkg.private).toBeUndefined();
    expect(readdirSync(out).sort()).toEqual(
      [
        'README.md',
        'THIRD-PARTY-LICENSES.txt',
        'action.yml',
        'bin',
        'build',
        'package.json',
        'sbom.cdx.json',
        'schemas',
      ].sort(),
    );
    expect(readdirSync(join(out, 'build'))).toEqual(['image']);
    expect(existsSync(join(out, 'build', 'image', 'flags.cjs'))).toBe(true);
    expect(existsSync(join(out, 'build', 'image', 'esbuild-inputs.json'))).toBe(false);
  });

  it('names in its SBOM exactly the packages esbuild put into the image, with versions and hashes', () => {
    const inputs = Object.keys(json(join(ROOT, 'build', 'image', 'esbuild-inputs.json')));
    const folders = new Set(
      inputs.flatMap((input) => /^(node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []),
    );
    const expected = [...folders].map((folder) => {
      const { name, version } = json(join(ROOT, folder, 'package.json'));
      return `${name}@${version}`;
    });
    const sbom = json(join(out, 'sbom.cdx.json'));
    expect(sbom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1 });
    expect(sbom.metadata.component['bom-ref']).toBe(`flags-as-code@${manifest.version}`);
    const refs = sbom.components.map((c: { 'bom-ref': string }) => c['bom-ref']);
    expect([...refs].sort()).toEqual(expected.sort());
    // What the CLI is made of is in; what is only installed (types, a plugin never imported) is not.
    for (const name of ['yaml', 'zod', 'commander', 'simple-git', '@octokit/rest'])
      expect(
        refs.some((ref: string) => ref.startsWith(`${name}@`)),
        name,
      ).toBe(true);
    expect(refs.some((ref: string) => ref.startsWith('@octokit/openapi-types@'))).toBe(false);
    for (const component of sbom.components) {
      expect(component.purl).toBe(`pkg:npm/${component.name.replace('@', '%40')}@${component.version}`);
      expect(component.hashes?.[0]?.content, component.name).toMatch(/^[0-9a-f]{128}$/);
      expect(component.licenses, component.name).toBeDefined();
    }
    const root = sbom.dependencies.find((d: { ref: string }) => d.ref === sbom.metadata.component['bom-ref']);
    expect(root.dependsOn).toContain(refs.find((ref: string) => ref.startsWith('yaml@')));
  });

  it('carries the licence text of every bundled package, and is the same when made again', () => {
    const licences = readFileSync(join(out, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    const sbom = json(join(out, 'sbom.cdx.json'));
    for (const component of sbom.components)
      expect(licences).toContain(`\n${component.name}@${component.version} (`);
    expect(licences).toContain('Permission is hereby granted');
    const again = join(work, 'toolkit-again');
    stageToolkit(ROOT, again);
    expect(readFileSync(join(again, 'sbom.cdx.json'), 'utf8')).toBe(
      readFileSync(join(out, 'sbom.cdx.json'), 'utf8'),
    );
    expect(readFileSync(join(again, 'THIRD-PARTY-LICENSES.txt'), 'utf8')).toBe(licences);
  });
});

describe('the runtime package', () => {
  let out: string;
  beforeAll(async () => {
    out = join(work, 'runtime');
    await stageRuntime(ROOT, join(ROOT, 'build', 'scripts', 'runtime'), out);
  });

  it('has no dependencies, the provider SDK as an optional peer, and both entries for import and require', () => {
    const pkg = json(join(out, 'package.json'));
    expect(pkg).toEqual(runtimeManifest(manifest));
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.peerDependenciesMeta['@openfeature/server-sdk']).toEqual({ optional: true });
    for (const entry of ['.', './openfeature'])
      for (const condition of ['import', 'require']) {
        const target = pkg.exports[entry][condition];
        expect(existsSync(join(out, target.default)), target.default).toBe(true);
        expect(existsSync(join(out, target.types)), target.types).toBe(true);
      }
  });

  it('exports the same names as CommonJS and as an ES module', async () => {
    const require = createRequire(import.meta.url);
    for (const name of ['index', 'openfeature']) {
      const cjs = require(join(out, 'dist', 'cjs', `${name}.js`));
      const esm = await import(pathToFileURL(join(out, 'dist', 'esm', `${name}.js`)).href);
      expect(Object.keys(cjs).sort(), name).toEqual(Object.keys(esm).sort());
    }
    expect(typeof require(join(out, 'dist', 'cjs', 'index.js')).FlagsRuntime).toBe('function');
    expect(typeof require(join(out, 'dist', 'cjs', 'openfeature.js')).FlagsProvider).toBe('function');
  });
});
