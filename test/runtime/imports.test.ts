import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUNTIME = fileURLToPath(new URL('../../scripts/runtime/', import.meta.url));

/** Every module the runtime entry point loads, following relative imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
      (m) => m[1]!,
    );
    seen.set(file, specifiers);
    for (const specifier of specifiers)
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
  };
  visit(entry);
  return seen;
}

describe('the runtime entry point', () => {
  it("loads nothing but its own folder and standard APIs: no node: module; Buffer and Node's crypto only by feature detection, in native.ts", () => {
    for (const entry of ['index.ts', 'openfeature.ts']) {
      const modules = reachable(join(RUNTIME, entry));
      expect(modules.size).toBeGreaterThan(5);
      for (const [file, specifiers] of modules) {
        expect(file.startsWith(RUNTIME), file).toBe(true);
        // The provider's one import beyond the folder is its peer dependency, OpenFeature's SDK.
        for (const specifier of specifiers)
          expect(
            specifier.startsWith('./') ||
              (entry === 'openfeature.ts' && specifier === '@openfeature/server-sdk'),
            `${file}: ${specifier}`,
          ).toBe(true);
        // Code, not comments: a comment may name Buffer to say why it is not used. What a runtime
        // offers natively is reached by feature detection in native.ts alone.
        const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
        expect(code, file).not.toMatch(/\brequire\(|\bimport\(['"]node:/);
        if (!file.endsWith('native.ts')) expect(code, file).not.toMatch(/\bBuffer\b|\bprocess\b/);
      }
    }
  });

  it('loads its Node-only module (paths, state files) only when given a path', () => {
    const modules = reachable(join(RUNTIME, 'index.ts'));
    expect([...modules.keys()].some((file) => file.endsWith('node-files.ts'))).toBe(false);
    const code = [...modules.keys()].map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(code).toContain("await import('./node-files.js')");
  });

  it('is published as flags-as-code/runtime, with types', () => {
    const script =
      "const r = await import('flags-as-code/runtime'); console.log([typeof r.FlagsRuntime, typeof r.loadBundle, typeof r.verifyBundle, typeof r.loadKeyset, typeof r.Evaluator].join(','))";
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function,function,function,function,function');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./runtime'].types).toBe('./build/scripts/runtime/index.d.ts');
  });
});
