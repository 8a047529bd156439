import { describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../scripts/adapters/github/client.js';
import { GitHubAPIError } from '../../scripts/adapters/github/errors.js';
import {
  closedWithItsBranch,
  comment,
  createPull,
  listOpenBotPulls,
} from '../../scripts/adapters/github/pulls.js';
import { OWNER, REPO, retireWorld } from '../helpers/github-emulator/world.js';

/** The emulator holds the bot to GitHub's OpenAPI description and answers failures as GitHub does. */

async function setup() {
  const world = await retireWorld();
  const client = createGitHubClient({
    token: world.emulator.token,
    baseUrl: world.emulator.url,
    retryBaseMs: 5,
    retries: 0,
    minWriteIntervalMs: 0,
  });
  const repo = { owner: OWNER, repo: REPO };
  // Deliberately malformed requests, past Octokit's types.
  const raw = client.request as unknown as (
    route: string,
    params: Record<string, unknown>,
  ) => Promise<unknown>;
  const status = async (call: Promise<unknown>) => {
    try {
      await call;
      return 200;
    } catch (error) {
      return (error as { status: number }).status;
    }
  };
  return { world, emulator: world.emulator, client, raw, repo, status };
}

describe('the GitHub emulator', () => {
  it('refuses routes and verbs that GitHub does not have', async () => {
    const { emulator, raw, status } = await setup();
    expect(await status(raw('GET /repos/{owner}/{repo}/pullz', { owner: OWNER, repo: REPO }))).toBe(404);
    expect(await status(raw('PUT /repos/{owner}/{repo}/pulls', { owner: OWNER, repo: REPO }))).toBe(404);
    expect(emulator.violations).toEqual([
      "no route /repos/acme/flags/pullz in GitHub's API",
      'PUT is not a method of /repos/{owner}/{repo}/pulls (only GET, POST)',
    ]);
  });

  it('refuses bodies and parameters that do not match the description', async () => {
    const { emulator, raw, status } = await setup();
    const base = { owner: OWNER, repo: REPO, pull_number: 1 };
    expect(
      await status(
        raw('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', {
          ...base,
          team_reviewer: ['payments'],
        }),
      ),
    ).toBe(400);
    expect(
      await status(raw('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { ...base, state: 'merged' })),
    ).toBe(400);
    expect(
      await status(raw('GET /repos/{owner}/{repo}/pulls', { owner: OWNER, repo: REPO, status: 'open' })),
    ).toBe(400);
    expect(
      await status(raw('GET /repos/{owner}/{repo}/pulls', { owner: OWNER, repo: REPO, per_page: 'many' })),
    ).toBe(400);
    expect(
      await status(raw('POST /repos/{owner}/{repo}/pulls', { owner: OWNER, repo: REPO, title: 'no head' })),
    ).toBe(400);
    expect(emulator.violations).toEqual([
      'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers: body names undeclared properties: team_reviewer',
      expect.stringMatching(
        /^PATCH \/repos\/\{owner\}\/\{repo\}\/pulls\/\{pull_number\}: body \/state must be equal to one of the allowed values/,
      ),
      'GET /repos/{owner}/{repo}/pulls: query parameter "status" is not declared',
      'GET /repos/{owner}/{repo}/pulls: parameter "per_page"="many" must be integer',
      expect.stringMatching(
        /^POST \/repos\/\{owner\}\/\{repo\}\/pulls: body \/ must have required property 'head'/,
      ),
    ]);
  });

  it('refuses a wrong token with 401', async () => {
    const { emulator, repo } = await setup();
    const stranger = createGitHubClient({ token: 'wrong', baseUrl: emulator.url, retries: 0 });
    const error = await listOpenBotPulls(stranger, repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubAPIError);
    expect((error as GitHubAPIError).status).toBe(401);
    expect((error as GitHubAPIError).hint).toContain('GITHUB_TOKEN');
  });

  it('answers 422 "A pull request already exists" for a second pull request of a branch', async () => {
    const { world, emulator, client, repo } = await setup();
    await world.run({ maxPerRun: '1' });
    const [open] = emulator.openPulls();
    const error = await createPull(client, repo, {
      title: 't',
      body: 'b',
      head: open!.head,
      base: 'main',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubAPIError);
    expect((error as GitHubAPIError).isPullRequestExists).toBe(true);
    expect((error as GitHubAPIError).message).toContain(
      `A pull request already exists for acme:${open!.head}.`,
    );
    const missing = await createPull(client, repo, {
      title: 't',
      body: 'b',
      head: 'no-such-branch',
      base: 'main',
    }).catch((e: unknown) => e);
    expect((missing as GitHubAPIError).status).toBe(422);
    expect(emulator.violations).toEqual([]);
  });

  it('injects rate limits with retry-after, which the client waits out, and 5xx, 404 per route and count', async () => {
    const { emulator, client, repo } = await setup();
    emulator.inject({
      method: 'GET',
      route: '/repos/{owner}/{repo}/pulls',
      status: 429,
      times: 1,
      retryAfter: 1,
    });
    emulator.inject({
      method: 'GET',
      route: '/repos/{owner}/{repo}/pulls',
      status: 403,
      times: 1,
      retryAfter: 1,
      after: 1,
    });
    emulator.inject({
      method: 'GET',
      route: '/repos/{owner}/{repo}/pulls',
      status: 403,
      times: 1,
      retryAfter: 1,
      after: 2,
      primary: true,
    });
    expect(await listOpenBotPulls(client, repo)).toEqual([]);
    expect(emulator.log.map((r) => r.status)).toEqual([429, 403, 403, 200]);
    emulator.inject({ method: 'GET', route: '/repos/{owner}/{repo}/pulls', status: 503, times: 1 });
    const down = await listOpenBotPulls(client, repo).catch((e: unknown) => e);
    expect((down as GitHubAPIError).status).toBe(503);
    expect((down as GitHubAPIError).transient).toBe(true);
    emulator.inject({ method: 'GET', route: '/repos/{owner}/{repo}/pulls', status: 404, times: 1 });
    expect(
      ((await listOpenBotPulls(client, repo).catch((e: unknown) => e)) as GitHubAPIError).hint,
    ).toContain('--repository');
    expect(emulator.violations).toEqual([]);
  });

  it('serves the API under /api/v3 as GitHub Enterprise Server does', async () => {
    const { emulator, repo } = await setup();
    const ghes = createGitHubClient({ token: emulator.token, baseUrl: `${emulator.url}/api/v3` });
    expect(await listOpenBotPulls(ghes, repo)).toEqual([]);
    expect(emulator.log[0]!.path).toBe('/api/v3/repos/acme/flags/pulls?state=open&per_page=100');
    expect(emulator.violations).toEqual([]);
  });

  it('does a write and then loses its answer, still validating the request first', async () => {
    const { world, emulator, client, raw, repo, status } = await setup();
    await world.run({ maxPerRun: '1' });
    const [pull] = emulator.openPulls();
    const route = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
    emulator.inject({ method: 'POST', route, status: 502, lost: true, times: 2 });
    const from = emulator.log.length;
    expect(
      await status(raw(`POST ${route}`, { ...repo, issue_number: pull!.number, body: 'x', bodyy: 'y' })),
    ).toBe(400);
    const error = await comment(client, repo, pull!.number, 'posted').catch((e: unknown) => e);
    expect((error as GitHubAPIError).status).toBe(502);
    expect(pull!.comments.map((c) => c.body)).toEqual(['posted']);
    expect(emulator.since(from).map((r) => [r.status, r.lost ?? false])).toEqual([
      [400, false],
      [502, true],
    ]);
    expect(emulator.writes(from)).toHaveLength(1);
    expect(emulator.violations).toEqual([`POST ${route}: body names undeclared properties: bodyy`]);
  });

  it('records who closed a pull request, and GitHub closing it when its branch is deleted', async () => {
    const { world, emulator, client, repo } = await setup();
    await world.run({ maxPerRun: '2' });
    const [first, second] = emulator.openPulls();
    emulator.close(first!.number);
    emulator.deleteBranch(first!.head);
    emulator.deleteBranch(second!.head, 'bob');
    expect(second!.state).toBe('closed');
    expect(second!.events.map((e) => [e.event, e.actor])).toEqual([
      ['head_ref_deleted', 'bob'],
      ['closed', 'bob'],
    ]);
    expect(await closedWithItsBranch(client, repo, first!.number)).toBe(false);
    expect(await closedWithItsBranch(client, repo, second!.number)).toBe(true);
    expect(emulator.violations).toEqual([]);
  });
});
