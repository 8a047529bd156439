import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { copyExample, gitdir, initRepo, type TempRepo } from '../helpers/gitdir.js';

/**
 * The example repository in a temporary git repository with a history of four commits by three
 * authors, including a rename into a team folder. The last commit leaves exactly the example.
 *
 * 1. 2026-01-05 Alice Example: everything, with onboarding-checklist at the top of flags/, an
 *    older review of sso-saml, and without pricing-page-layout.
 * 2. 2026-03-10 Bob Builder: adds pricing-page-layout.
 * 3. 2026-06-01 Carol Reviewer: moves onboarding-checklist into flags/growth/ (a rename).
 * 4. 2026-10-15 Bob Builder: records the new review of sso-saml.
 */
export const AUTHORS = {
  alice: 'Alice Example <alice@example.com>',
  bob: 'Bob Builder <bob@example.com>',
  carol: 'Carol Reviewer <carol@example.com>',
} as const;

export async function commitAs(repo: TempRepo, message: string, author: string, date: string): Promise<void> {
  await repo.git.add(['-A']);
  // A separate instance, so the fixed dates do not stick to repo.git; only what git needs.
  await simpleGit({ baseDir: repo.dir })
    .env({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? repo.dir,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    })
    .raw(['commit', '-q', '-m', message, `--author=${author}`]);
}

/**
 * In a test, the folder goes when the test ends (gitdir); in beforeAll, pass `shared: true` and
 * call `dispose()` in afterAll.
 */
export async function exampleWithHistory(
  options: { shared?: boolean } = {},
): Promise<TempRepo & { dispose(): void }> {
  const repo = options.shared
    ? await sharedExample()
    : { ...(await gitdir({ example: true })), dispose() {} };
  const read = (file: string) => readFileSync(join(repo.dir, file), 'utf8');
  const pricing = read('flags/growth/pricing-page-layout.yaml');
  const sso = read('flags/identity/sso-saml.yaml');
  repo.remove('flags/growth/pricing-page-layout.yaml');
  repo.write('flags/identity/sso-saml.yaml', sso.replace('reviewed: 2026-09-30', 'reviewed: 2026-04-02'));
  const onboarding = read('flags/growth/onboarding-checklist.yaml');
  repo.remove('flags/growth/onboarding-checklist.yaml');
  repo.write('flags/onboarding-checklist.yaml', onboarding.replace('../../schemas/', '../schemas/'));
  await commitAs(repo, 'Import the flags', AUTHORS.alice, '2026-01-05T09:00:00Z');
  repo.write('flags/growth/pricing-page-layout.yaml', pricing);
  await commitAs(repo, 'Test a compact pricing table', AUTHORS.bob, '2026-03-10T14:30:00Z');
  renameSync(
    join(repo.dir, 'flags/onboarding-checklist.yaml'),
    join(repo.dir, 'flags/growth/onboarding-checklist.yaml'),
  );
  repo.write('flags/growth/onboarding-checklist.yaml', onboarding);
  await commitAs(repo, 'Move growth flags into their folder', AUTHORS.carol, '2026-06-01T08:15:00Z');
  repo.write('flags/identity/sso-saml.yaml', sso);
  await commitAs(repo, 'Review sso-saml', AUTHORS.bob, '2026-10-15T16:45:00Z');
  return repo;
}

/** gitdir({ example: true }) for a whole file: created in beforeAll, removed by dispose(). */
async function sharedExample(): Promise<TempRepo & { dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'flags-report-'));
  copyExample(dir);
  const repo = await initRepo(dir);
  return { ...repo, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
