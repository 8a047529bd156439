import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExample, TOOLKIT_ROOT, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * The binary runs one image of the CLI (scripts/image.ts). Bundling changes how the code loads,
 * never what it does: yaml's debug switches are read once instead of per token, and still work.
 */

const IMAGE = join(TOOLKIT_ROOT, 'build', 'image', 'flags.cjs');

describe('the image', () => {
  it("reads each of yaml's debug switches once, when the module loads", () => {
    const source = readFileSync(IMAGE, 'latin1');
    for (const name of ['LOG_TOKENS', 'LOG_STREAM']) {
      expect(source.split(`.env.${name}`).length - 1, name).toBe(1);
      expect(source).toContain(`FLAGS_HOISTED_${name}=node_process.env.${name}`);
    }
  });

  it('still logs the tokens when LOG_TOKENS is set, as yaml does', async () => {
    const root = tempDir();
    copyExample(root);
    const quiet = await runCli([
      'check',
      '--repo',
      root,
      '--no-cache',
      '--threads',
      '1',
      '--today',
      '2026-11-24',
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toMatch(/^\| /m);
    const logged = await runCli(
      ['check', '--repo', root, '--no-cache', '--threads', '1', '--today', '2026-11-24'],
      {
        env: { LOG_TOKENS: '1' },
      },
    );
    expect(logged.stdout).toMatch(/^\| "key"/m);
  });
});
