import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../scripts/adapters/github/client.js';
import { GitHubAPIError } from '../../scripts/adapters/github/errors.js';
import { comment } from '../../scripts/adapters/github/pulls.js';
import { OWNER, REPO, retireWorld } from '../helpers/github-emulator/world.js';

/** GitHub refuses bodies over 65,536 characters; the emulator does too, and the bot stays under. */

const FILE = 'flags/graphql-gateway.yaml';

describe('GitHub limits on what the bot sends', () => {
  it('opens the pull request of an expired flag with 1,200 beta grants, its list cut with a note', async () => {
    const world = await retireWorld();
    const grants = Array.from(
      { length: 1200 },
      (_, i) => `      - org: org_beta${String(i).padStart(6, '0')}\n        expires: 2027-06-30\n`,
    ).join('');
    await world.change(
      (w) =>
        w.write(
          FILE,
          readFileSync(`${w.dir}/${FILE}`, 'utf8').replace(
            '  production:\n    enabled: false\n',
            `  production:\n    enabled: true\n    default: false\n    grants:\n${grants}`,
          ),
        ),
      'A beta for 1,200 organizations',
    );
    const run = await world.run({ maxPerRun: '2' });
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(0);
    const pull = world.emulator.pullOf('flags/retire/graphql-gateway')[0]!;
    expect(pull.body.length).toBeLessThanOrEqual(65_536);
    expect(pull.body).toContain('#### Grants affected (1200)');
    expect(pull.body).toMatch(/> \d+ more are not listed/);
    expect(world.emulator.violations).toEqual([]);
  });

  it('refuses a body over 65,536 characters with 422, as GitHub does', async () => {
    const world = await retireWorld();
    await world.run({ maxPerRun: '1' });
    const [pull] = world.emulator.openPulls();
    const client = createGitHubClient({
      token: world.emulator.token,
      baseUrl: world.emulator.url,
      retries: 0,
    });
    const repo = { owner: OWNER, repo: REPO };
    const error = await comment(client, repo, pull!.number, 'x'.repeat(65_537)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubAPIError);
    expect((error as GitHubAPIError).status).toBe(422);
    expect((error as GitHubAPIError).message).toContain('body is too long (maximum is 65536 characters)');
    await comment(client, repo, pull!.number, 'x'.repeat(65_536));
    expect(pull!.comments).toHaveLength(1);
  });
});
