import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/**
 * The baseline every benchmark here compares against, as the issues define it: reading the flag
 * files and parsing each with `yaml`, on one thread, and nothing else.
 *
 * It is measured the way the commands are: a fresh `node` process that lists the files, reads and
 * parses every one, and exits, timed from spawn to exit. A command pays Node's start and a cold JIT,
 * and so does this baseline; comparing a fresh process against a warmed-up loop would measure the JIT,
 * not the work. The warm in-process loop is still reported beside it, as a stricter reference.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

/** Sources of the baseline program: imports yaml, walks flags/, reads and parses every flag file. */
const PROGRAM = `
import { readdirSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
const dir = process.argv[1];
let keys = 0;
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.yaml') || entry.name.startsWith('_')) continue;
  keys += Object.keys(YAML.parse(readFileSync(entry.parentPath + '/' + entry.name, 'utf8'))).length;
}
if (keys === 0) process.exit(3);
`;

/**
 * The toolkit's bundle reads yaml's two debug switches once instead of once per token (see
 * scripts/image.ts). For a fair view of what that alone is worth, `cheapEnv` runs the baseline with
 * `process.env` copied into a plain object, which makes those reads as cheap as the hoist does.
 * It is a reference only; the targets are measured against the baseline as published.
 */
const CHEAP_ENV = 'process.env = { ...process.env };\n';

/** Wall time of one fresh process doing only the baseline work on `repo`/flags (ms). */
export function processBaseline(repo: string, options: { cheapEnv?: boolean } = {}): number {
  const started = performance.now();
  const program = options.cheapEnv ? CHEAP_ENV + PROGRAM : PROGRAM;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', program, join(repo, 'flags')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const ms = performance.now() - started;
  if (child.status !== 0) throw new Error(`baseline process failed (exit ${child.status}): ${child.stderr}`);
  return ms;
}

/** The stricter reference: read and YAML.parse every file on this (already warm) thread (ms). */
export function inProcessBaseline(files: readonly string[]): number {
  const started = performance.now();
  let keys = 0;
  for (const file of files) {
    const value = YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    keys += Object.keys(value).length;
  }
  const ms = performance.now() - started;
  if (keys === 0) throw new Error('baseline parsed nothing');
  return ms;
}
