import { describe, expect, it } from 'vitest';
import { COMMANDS, commandsFor } from '../../scripts/commands/index.js';

/**
 * Each command's module loads only when that command runs: `flags check` need not load Octokit or
 * the signing code, and `flags --version` loads none. Help lists every command, so it loads all.
 */

describe('the command modules an invocation loads', () => {
  it('only the named command', async () => {
    expect(await commandsFor(['environments', '--json'])).toHaveLength(1);
  });

  it('none for the version alone', async () => {
    expect(await commandsFor(['--version'])).toEqual([]);
    expect(await commandsFor(['-V'])).toEqual([]);
  });

  it('all of them for help, or when no command is named', async () => {
    expect(await commandsFor(['--help'])).toHaveLength(Object.keys(COMMANDS).length);
    expect(await commandsFor([])).toHaveLength(Object.keys(COMMANDS).length);
  });
});
