import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLog, readHistory } from '../../scripts/adapters/history.js';
import { gitdir, tempDir } from '../helpers/gitdir.js';
import { AUTHORS, commitAs, exampleWithHistory } from './example-history.js';

describe('flag file history from git, in one pass', () => {
  it('finds who created and last changed each flag file, following a rename', async () => {
    const repo = await exampleWithHistory();
    const history = await readHistory(repo.dir, [
      'flags/growth/onboarding-checklist.yaml',
      'flags/growth/pricing-page-layout.yaml',
      'flags/identity/sso-saml.yaml',
      'flags/webhook-delivery.yaml',
    ]);
    expect(history.available).toBe(true);
    expect(history.shallow).toBe(false);
    const summary = Object.fromEntries(
      [...history.files].map(([file, h]) => [
        file,
        `${h.created.at} ${h.created.author} / ${h.lastChanged.at} ${h.lastChanged.author} (${h.commits})`,
      ]),
    );
    expect(summary).toEqual({
      'flags/growth/onboarding-checklist.yaml':
        '2026-01-05T09:00:00Z Alice Example / 2026-06-01T08:15:00Z Carol Reviewer (2)',
      'flags/growth/pricing-page-layout.yaml':
        '2026-03-10T14:30:00Z Bob Builder / 2026-03-10T14:30:00Z Bob Builder (1)',
      'flags/identity/sso-saml.yaml':
        '2026-01-05T09:00:00Z Alice Example / 2026-10-15T16:45:00Z Bob Builder (2)',
      'flags/webhook-delivery.yaml':
        '2026-01-05T09:00:00Z Alice Example / 2026-01-05T09:00:00Z Alice Example (1)',
    });
  });

  it('does not give a file the history of an earlier file that was deleted at its path', async () => {
    const repo = await gitdir();
    repo.write('flags/a.yaml', 'key: a\n');
    await commitAs(repo, 'a', AUTHORS.alice, '2026-01-01T00:00:00Z');
    repo.remove('flags/a.yaml');
    await commitAs(repo, 'drop a', AUTHORS.bob, '2026-02-01T00:00:00Z');
    repo.write('flags/a.yaml', 'key: a\ndescription: again\n');
    await commitAs(repo, 'a again', AUTHORS.carol, '2026-03-01T00:00:00Z');
    const history = await readHistory(repo.dir, ['flags/a.yaml']);
    expect(history.files.get('flags/a.yaml')?.created.author).toBe('Carol Reviewer');
    expect(history.files.get('flags/a.yaml')?.commits).toBe(1);
  });

  it('follows a chain of renames back to the first name', async () => {
    const repo = await gitdir();
    const body = `${'# a comment that keeps the file recognisably the same\n'.repeat(5)}key: a\n`;
    repo.write('flags/a.yaml', body);
    await commitAs(repo, 'a', AUTHORS.alice, '2026-01-01T00:00:00Z');
    renameSync(join(repo.dir, 'flags/a.yaml'), join(repo.dir, 'flags/b.yaml'));
    await commitAs(repo, 'to b', AUTHORS.bob, '2026-02-01T00:00:00Z');
    repo.write('flags/team/c.yaml', body);
    repo.remove('flags/b.yaml');
    await commitAs(repo, 'to team/c', AUTHORS.carol, '2026-03-01T00:00:00Z');
    const history = await readHistory(repo.dir, ['flags/team/c.yaml']);
    const c = history.files.get('flags/team/c.yaml');
    expect(c?.created.author).toBe('Alice Example');
    expect(c?.lastChanged.author).toBe('Carol Reviewer');
    expect(c?.commits).toBe(3);
  });

  it('reports no history outside a git repository, or before the first commit', async () => {
    expect((await readHistory(tempDir(), ['flags/a.yaml'])).available).toBe(false);
    const repo = await gitdir();
    repo.write('flags/a.yaml', 'key: a\n');
    expect((await readHistory(repo.dir, ['flags/a.yaml'])).available).toBe(false);
  });

  it('reads paths with spaces and non-ASCII names from the NUL-separated log', () => {
    const log =
      '\x1eabc\x1f1767225600\x1fZoë\0\nM\0flags/é b.yaml\0' +
      '\x1edef\x1f1767139200\x1fAl\0\nR087\0flags/old.yaml\0flags/é b.yaml\0' +
      '\x1eghi\x1f1767052800\x1fAl\0\nA\0flags/old.yaml\0';
    const files = parseLog(log, ['flags/é b.yaml']);
    expect(files.get('flags/é b.yaml')).toEqual({
      created: { commit: 'ghi', at: '2025-12-30T00:00:00Z', author: 'Al' },
      lastChanged: { commit: 'abc', at: '2026-01-01T00:00:00Z', author: 'Zoë' },
      commits: 3,
    });
  });
});
