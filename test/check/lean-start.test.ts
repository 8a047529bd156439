import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODULE_LOG_HOOKS } from '../helpers/module-log.js';
import { copyExample, TOOLKIT_ROOT, tempDir } from '../helpers/gitdir.js';

/**
 * A check after a small change is mostly Node's start and the modules it loads, so what it loads is
 * part of its speed: a check the snapshot answers whole loads no YAML parser, no validator and no
 * zod; one that analyses a changed file loads the parser and the precompiled validator, never zod
 * or ajv's compiler. Runs the compiled modules of the CLI (vitest's global setup builds them) with a
 * module hook that records every module loaded. The binary runs them as one bundle
 * (scripts/image.ts), which keeps this shape: esbuild initialises a module lazily exactly where
 * the sources import it dynamically.
 */

const CLI = pathToFileURL(join(TOOLKIT_ROOT, 'build', 'scripts', 'cli.js')).href;
const RUN_CLI = `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(process.argv.slice(1));`;

function checkLoading(root: string): { status: number | null; modules: string[]; output: string } {
  const log = join(root, 'loaded.log');
  rmSync(log, { force: true });
  const register = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(MODULE_LOG_HOOKS)}), import.meta.url, { data: { log: ${JSON.stringify(log)} } });`;
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      `data:text/javascript,${encodeURIComponent(register)}`,
      '--input-type=module',
      '-e',
      RUN_CLI,
      'check',
      '--repo',
      root,
      '--today',
      '2026-11-24',
      '--threads',
      '1',
    ],
    { encoding: 'utf8', env: { ...process.env, FLAGS_CACHE_DIR: undefined, GITHUB_ACTIONS: undefined } },
  );
  let modules: string[] = [];
  try {
    modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    // no log: the assertions below say what is missing
  }
  return { status: child.status, modules, output: `${child.stdout}${child.stderr}` };
}

const loads = (modules: string[], part: string) => modules.some((url) => url.includes(part));

describe('what a check loads', () => {
  it('answered whole by the snapshot: no parser, no validator, no zod', () => {
    const root = tempDir();
    copyExample(root);
    expect(checkLoading(root).status).toBe(0);
    const warm = checkLoading(root);
    expect(warm.status, warm.output).toBe(0);
    expect(loads(warm.modules, 'checked-repository.js')).toBe(true);
    for (const heavy of [
      'node_modules/yaml/',
      'node_modules/zod/',
      'node_modules/ajv/',
      'generated/validators',
    ])
      expect(loads(warm.modules, heavy), heavy).toBe(false);
  });

  it('after one changed file: the parser and the precompiled validator, not zod or ajv', () => {
    const root = tempDir();
    copyExample(root);
    expect(checkLoading(root).status).toBe(0);
    const file = join(root, 'flags', 'new-checkout-flow.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/^description: (.*)$/m, 'description: $1 (edited)'),
    );
    const warm = checkLoading(root);
    expect(warm.status, warm.output).toBe(0);
    expect(warm.output).toContain('from cache');
    expect(loads(warm.modules, 'node_modules/yaml/')).toBe(true);
    expect(loads(warm.modules, 'generated/validators')).toBe(true);
    for (const heavy of ['node_modules/zod/', 'node_modules/ajv/dist/2020', 'node_modules/ajv/dist/core'])
      expect(loads(warm.modules, heavy), heavy).toBe(false);
  });

  it('checks the plans again when a subscription file changed, not from what the last check stored', () => {
    const root = tempDir();
    copyExample(root);
    expect(checkLoading(root).status).toBe(0);
    const file = join(root, 'flags', '_organizations', 'org_stark55012.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('plan: SKU-ANALYTICS-PRO', 'plan: SKU-NOT-SOLD'));
    const warm = checkLoading(root);
    expect(warm.status, warm.output).toBe(1);
    expect(warm.output).toContain('contracts/unknown-plan');
    expect(warm.output).toContain('SKU-NOT-SOLD');
  });
});
