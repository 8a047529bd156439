import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOOLKIT_ROOT, tempDir } from '../helpers/gitdir.js';

/**
 * The binary runs the bundled CLI through a V8 code cache (scripts/load-image.ts). A cache may only
 * ever speed a run up: one made for other code, a torn one or none at all is ignored, the code
 * runs from its source, and the caller learns that a fresh cache would help.
 *
 * Each load runs in a fresh process (the compiled loader, built by vitest's global setup): within
 * one process V8 answers a second compilation of the same source from memory, cache or not.
 */

const LOADER = pathToFileURL(join(TOOLKIT_ROOT, 'build', 'scripts', 'load-image.js')).href;

interface Load {
  stale: boolean;
  answer: string;
  where: [string, string];
}

function load(file: string, cache: string, save = false): Load {
  const code = `const { loadImage } = await import(${JSON.stringify(LOADER)});
    const loaded = loadImage(${JSON.stringify(file)}, ${JSON.stringify(cache)});
    const out = { stale: loaded.stale, answer: await loaded.cli.main([]), where: loaded.cli.where() };
    if (${save}) loaded.saveCodeCache();
    process.stdout.write(JSON.stringify(out));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout) as Load;
}

function imageIn(dir: string, answer: string): { file: string; cache: string } {
  const file = join(dir, 'flags.cjs');
  writeFileSync(
    file,
    `exports.main = async () => ${JSON.stringify(answer)}; exports.where = () => [__filename, typeof require];\n`,
  );
  return { file, cache: join(dir, 'flags.cjs.code-cache') };
}

describe('loading the image with a code cache', () => {
  it('runs the image as a CommonJS module without a cache, and says one would help', () => {
    const { file, cache } = imageIn(tempDir(), 'first');
    expect(load(file, cache)).toEqual({ stale: true, answer: 'first', where: [file, 'function'] });
  });

  it('uses a cache saved for the same source', () => {
    const { file, cache } = imageIn(tempDir(), 'same');
    load(file, cache, true);
    expect(load(file, cache)).toMatchObject({ stale: false, answer: 'same' });
  });

  it('ignores a cache made for other code, even of the same length', () => {
    const dir = tempDir();
    const { file, cache } = imageIn(dir, 'old1');
    load(file, cache, true);
    imageIn(dir, 'new2');
    expect(load(file, cache)).toMatchObject({ stale: true, answer: 'new2' });
  });

  it('ignores a torn, foreign or damaged cache file', () => {
    const { file, cache } = imageIn(tempDir(), 'torn');
    load(file, cache, true);
    const whole = readFileSync(cache);
    // The digest matches but V8's data is damaged: V8 rejects it and the source runs.
    const damaged = Buffer.from(whole);
    for (let i = 40; i < damaged.length; i += 7) damaged[i] = damaged[i]! ^ 0xff;
    for (const broken of [whole.subarray(0, 40), Buffer.from('not a cache'), Buffer.alloc(0), damaged]) {
      writeFileSync(cache, broken);
      expect(load(file, cache)).toMatchObject({ stale: true, answer: 'torn' });
    }
  });
});
