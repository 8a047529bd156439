import { describe, expect, it } from 'vitest';
import { codeownersChange } from '../../scripts/core/codeowners/changes.js';
import { parseCodeowners } from '../../scripts/core/codeowners/parse.js';

/** What a change to CODEOWNERS decides, as a pure function of the two files and the flag files. */

const side = (text: string, file = 'CODEOWNERS') => ({ codeowners: parseCodeowners(file, text), text });
const FILES = ['flags/a.yaml', 'flags/b.yaml', 'flags/team/c.yaml'];
const decided = (before: ReturnType<typeof side> | object, after: ReturnType<typeof side> | object) =>
  codeownersChange(before, after, FILES)?.flags.map(
    (f) => `${f.file}: ${f.before?.owners.join(' ') ?? '-'} → ${f.after?.owners.join(' ') ?? '-'}`,
  );

describe('what a change to CODEOWNERS decides', () => {
  const BASE = '/flags/ @acme/platform\n/flags/team/ @acme/team\n';

  it('is nothing when the file is the same', () => {
    expect(codeownersChange(side(BASE), side(BASE), FILES)).toBeUndefined();
  });

  it('names only the flag files whose owners differ, with the rule in force on each side', () => {
    const change = codeownersChange(side(BASE), side(`${BASE}/flags/b.yaml @mallory\n`), FILES);
    expect(change?.line).toBe(3);
    expect(change?.flags).toEqual([
      {
        file: 'flags/b.yaml',
        before: { file: 'CODEOWNERS', line: 1, pattern: '/flags/', owners: ['@acme/platform'] },
        after: { file: 'CODEOWNERS', line: 3, pattern: '/flags/b.yaml', owners: ['@mallory'] },
      },
    ]);
  });

  it('compares owners as GitHub does: case, order and repetition aside', () => {
    const after = '/flags/ @ACME/platform\n/flags/team/ @acme/team @acme/team\n';
    expect(decided(side(BASE), side(after))).toEqual([]);
    expect(decided(side('/flags/ @a @b\n'), side('/flags/ @b @a\n'))).toEqual([]);
  });

  it('counts a rule with no owners, a removed file and a new one as owners changing', () => {
    expect(decided(side(BASE), side(`${BASE}/flags/a.yaml\n`))).toEqual(['flags/a.yaml: @acme/platform → ']);
    expect(decided(side(BASE), {})).toEqual([
      'flags/a.yaml: @acme/platform → -',
      'flags/b.yaml: @acme/platform → -',
      'flags/team/c.yaml: @acme/team → -',
    ]);
    expect(decided({}, side('* @acme/platform\n'))).toEqual([
      'flags/a.yaml: - → @acme/platform',
      'flags/b.yaml: - → @acme/platform',
      'flags/team/c.yaml: - → @acme/platform',
    ]);
  });

  it('sees a file moved to where GitHub looks first, even with the same text', () => {
    const change = codeownersChange(side(BASE), side(BASE, '.github/CODEOWNERS'), FILES);
    expect(change).toMatchObject({ base: 'CODEOWNERS', head: '.github/CODEOWNERS', line: 1, flags: [] });
  });
});
