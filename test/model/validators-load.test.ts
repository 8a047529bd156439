import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULE_LOG_HOOKS } from '../helpers/module-log.js';
import { TOOLKIT_ROOT } from '../helpers/gitdir.js';

/**
 * The point of precompiling is what a thread no longer loads. The built validators module (vitest's
 * global setup builds first) is imported by plain Node, as the CLI and its workers import it, with a
 * module hook recording every ES module loaded and the require cache listing every CommonJS one.
 */

const BUILT = join(TOOLKIT_ROOT, 'build', 'scripts', 'core', 'model', 'validators.js');
const scratch = mkdtempSync(join(tmpdir(), 'flags-validators-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const CHILD = `
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
const parent = pathToFileURL(process.cwd() + '/').href;
register('data:text/javascript,' + encodeURIComponent(process.env.HOOKS), parent, {
  data: { log: process.env.LOG },
});
const { validators } = await import(process.env.TARGET);
const keywords = (validate, data) => (validate(data) ? [] : validate.errors.map((e) => e.keyword));
const result = {
  empty: keywords(validators().flag, {}),
  within: keywords(validators().flag, { description: '😀'.repeat(1500) }),
  beyond: keywords(validators().flag, { description: '😀'.repeat(2001) }),
  policy: keywords(validators().policy, { project: 'Not Valid' }),
  commonjs: Object.keys(createRequire(parent).cache).map((file) => pathToFileURL(file).href),
};
process.stdout.write(JSON.stringify(result));
`;

interface Loaded {
  urls: string[];
  empty: string[];
  within: string[];
  beyond: string[];
  policy: string[];
}

function load(target: string): Loaded {
  const log = join(scratch, 'loaded.log');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: TOOLKIT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, HOOKS: MODULE_LOG_HOOKS, LOG: log, TARGET: pathToFileURL(target).href },
  });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const { commonjs, ...result } = JSON.parse(child.stdout) as Omit<Loaded, 'urls'> & { commonjs: string[] };
  const esm = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { urls: [...new Set([...esm, ...commonjs])], ...result };
}

describe('the built validators module', () => {
  let loaded: Loaded;
  beforeAll(() => {
    loaded = load(BUILT);
  });

  it('is seen loading, with the one runtime helper it needs', () => {
    // Without these the absence checks below would pass for a recorder that records nothing.
    expect(loaded.urls).toContainEqual(
      expect.stringMatching(/\/build\/scripts\/core\/model\/validators\.js$/),
    );
    expect(loaded.urls).toContainEqual(
      expect.stringMatching(/\/build\/scripts\/core\/model\/generated\/validators\.js$/),
    );
    expect(loaded.urls).toContainEqual(
      expect.stringMatching(/\/node_modules\/ajv\/dist\/runtime\/ucs2length\.js$/),
    );
  });

  it.each([
    ["ajv's main entry", /\/node_modules\/ajv\/dist\/ajv\.js$/],
    ["ajv's draft 2020-12 entry", /\/node_modules\/ajv\/dist\/2020\.js$/],
    ["ajv's compiler", /\/node_modules\/ajv\/dist\/core\.js$/],
    ['zod', /\/node_modules\/zod\//],
    ['the JSON Schema generator', /\/scripts\/core\/model\/json-schema\.js$/],
    ['the zod flag model', /\/scripts\/core\/model\/(flag|policy)\.js$/],
  ])('does not load %s', (_, pattern) => {
    expect(loaded.urls.filter((url) => pattern.test(url))).toEqual([]);
  });

  it('validates under plain Node as under vitest, string lengths in characters included', () => {
    expect(loaded.empty).toEqual(['required', 'required', 'required', 'required', 'required']);
    expect(loaded.within).toEqual(['required', 'required', 'required', 'required']);
    expect(loaded.beyond).toEqual(['required', 'required', 'required', 'required', 'maxLength']);
    expect(loaded.policy).toEqual(['pattern']);
  });
});
