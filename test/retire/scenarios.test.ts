import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMarker } from '../../scripts/core/retire/marker.js';
import { originTip, retireWorld, type World } from '../helpers/github-emulator/world.js';

/**
 * The retirement bot end to end: real git (origin is a bare repository), GitHub emulated on
 * 127.0.0.1 with every request checked against GitHub's OpenAPI description. The fixture repository
 * (test/fixtures/retire/repo) on 2027-03-01 has 7 flags due: 3 expired flags, 2 with an expired
 * grant, 2 with an overdue review.
 */

const DUE = 7;

function branchesWithPulls(world: World): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const pull of world.emulator.pulls.values())
    map.set(pull.head, [...(map.get(pull.head) ?? []), pull.number]);
  return map;
}

function expectOnePullPerBranch(world: World, open: number) {
  const open_ = world.emulator.openPulls();
  expect(open_).toHaveLength(open);
  expect(new Set(open_.map((p) => p.head)).size).toBe(open);
  for (const pull of open_) {
    expect(pull.labels.map((l) => l.name)).toEqual(['flags', 'cleanup']);
    expect(pull.requestedTeams.length + pull.requestedUsers.length).toBe(1);
    expect(parseMarker(pull.body)?.key).toBe(pull.head.replace('flags/retire/', ''));
  }
}

describe('flags retire against GitHub (emulated) and real git', () => {
  it('opens one pull request per due flag on the first run, with labels, reviewers and a bot commit', async () => {
    const world = await retireWorld();
    const run = await world.run({ maxPerRun: '20' });
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(0);
    expect(world.emulator.violations).toEqual([]);
    expectOnePullPerBranch(world, DUE);
    expect(world.emulator.opened(run.from)).toBe(DUE);
    // Few requests per pull request: list, closed-history lookup, create, labels, review request.
    expect(world.emulator.requestsPerOpened(run.from)).toBeLessThanOrEqual(5);

    const checkout = world.emulator.pullOf('flags/retire/graphql-gateway')[0]!;
    expect(checkout.title).toBe('chore(flags): retire expired flag graphql-gateway');
    expect(checkout.requestedTeams).toEqual(['platform']);
    expect(checkout.body).toContain('expired on **2027-01-15**');

    const tip = originTip(world, 'flags/retire/graphql-gateway')!;
    const dir = world.clone();
    world.git(dir, 'fetch', '--quiet', 'origin', 'flags/retire/graphql-gateway');
    expect(world.git(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', tip)).toBe(
      'flags-retire[bot] <flags-retire[bot]@users.noreply.github.com>|flags-retire[bot] <flags-retire[bot]@users.noreply.github.com>',
    );
    expect(world.git(dir, 'rev-parse', `${tip}^`)).toBe(world.git(dir, 'rev-parse', 'origin/main'));
    expect(world.git(dir, 'diff', '--name-status', `${tip}^`, tip)).toBe('D\tflags/graphql-gateway.yaml');

    // The grant edit keeps every other byte of the file.
    world.git(dir, 'fetch', '--quiet', 'origin', 'flags/retire/advanced-analytics');
    const edited = world.git(dir, 'show', 'FETCH_HEAD:flags/advanced-analytics.yaml');
    const original = world.git(dir, 'show', 'origin/main:flags/advanced-analytics.yaml');
    expect(`${edited}\n`).toBe(
      `${original}\n`.replace(
        '      # Trial until the renewal call; the bot opens a cleanup PR when it ends.\n      - org: org_hooli40921\n        agreement: TRIAL-2026-0097\n        expires: 2026-12-31\n',
        '',
      ),
    );
  });

  it('writes nothing on a second run when nothing changed, the same day or days later', async () => {
    const world = await retireWorld();
    await world.run({ maxPerRun: '20' });
    const tips = [...branchesWithPulls(world).keys()].map((b) => originTip(world, b));
    const again = await world.run({ maxPerRun: '20' });
    expect(again.code).toBe(0);
    expect(world.emulator.writes(again.from)).toEqual([]);
    expect(world.emulator.opened(again.from)).toBe(0);
    expect(again.out).toContain('0 writes');
    expect(again.out.match(/^unchanged #/gm)).toHaveLength(DUE);
    const later = await world.run({ maxPerRun: '20', today: '2027-03-05' });
    expect(world.emulator.writes(later.from)).toEqual([]);
    expect([...branchesWithPulls(world).keys()].map((b) => originTip(world, b))).toEqual(tips);
    expect(world.emulator.violations).toEqual([]);
  });

  it('opens at most N pull requests per run and stops at M open at once', async () => {
    const world = await retireWorld();
    const first = await world.run({ maxPerRun: '3', maxOpen: '4' });
    expect(world.emulator.opened(first.from)).toBe(3);
    expect(first.out).toContain('Deferred by the limits (4)');
    const second = await world.run({ maxPerRun: '3', maxOpen: '4' });
    expect(world.emulator.opened(second.from)).toBe(1);
    expect(second.out).toContain('4 open at once');
    const third = await world.run({ maxPerRun: '3', maxOpen: '4' });
    expect(world.emulator.writes(third.from)).toEqual([]);
    expect(world.emulator.openPulls()).toHaveLength(4);
  });

  it('redoes its branch on the new base when the flag file changed there, and only then', async () => {
    const world = await retireWorld();
    await world.run({ maxPerRun: '20' });
    const branch = 'flags/retire/graphql-gateway';
    const before = originTip(world, branch);
    await world.change((w) => w.write('src/other.ts', 'export const x = 1;\n'), 'Unrelated change');
    const unrelated = await world.run({ maxPerRun: '20' });
    expect(originTip(world, branch)).toBe(before);
    expect(unrelated.out).toContain('0 writes');
    await world.change((w) => {
      const file = 'flags/graphql-gateway.yaml';
      w.write(
        file,
        readFileSync(`${w.dir}/${file}`, 'utf8').replace('federated GraphQL gateway', 'federated gateway'),
      );
    }, 'Reword the gateway flag');
    const run = await world.run({ maxPerRun: '20' });
    const pull = world.emulator.pullOf(branch)[0]!;
    expect(run.out).toContain(`updated #${pull.number} for graphql-gateway: branch`);
    const tip = originTip(world, branch)!;
    expect(tip).not.toBe(before);
    const dir = world.clone();
    world.git(dir, 'fetch', '--quiet', 'origin', branch);
    expect(world.git(dir, 'rev-parse', `${tip}^`)).toBe(world.git(dir, 'rev-parse', 'origin/main'));
    expect(world.emulator.writes(run.from)).toEqual([]);
  });

  it('does not reopen a pull request closed without merge, until the expiry changes', async () => {
    const world = await retireWorld();
    await world.run({ maxPerRun: '20' });
    const closed = world.emulator.pullOf('flags/retire/graphql-gateway')[0]!;
    world.emulator.close(closed.number);
    const rerun = await world.run({ maxPerRun: '20' });
    expect(world.emulator.writes(rerun.from)).toEqual([]);
    expect(rerun.out).toContain(`graphql-gateway  #${closed.number} (until expires=2027-01-15 changes)`);
    expect(world.emulator.pullOf('flags/retire/graphql-gateway', 'all')).toHaveLength(1);
    expect(closed.state).toBe('closed');
    expect(closed.reopened).toBe(0);

    await world.change((w) => {
      const file = 'flags/graphql-gateway.yaml';
      w.write(
        file,
        readFileSync(`${w.dir}/${file}`, 'utf8').replace('expires: 2027-01-15', 'expires: 2027-02-20'),
      );
    }, 'Extend the gateway rollout');
    const changed = await world.run({ maxPerRun: '20' });
    expect(world.emulator.opened(changed.from)).toBe(1);
    const pulls = world.emulator.pullOf('flags/retire/graphql-gateway', 'all');
    expect(pulls.map((p) => p.state)).toEqual(['closed', 'open']);
    expect(pulls[1]!.body).toContain('expired on **2027-02-20**');
    expect(world.emulator.violations).toEqual([]);
  });

  it('closes the pull request of a revived flag with a comment, and deletes its branch', async () => {
    const world = await retireWorld();
    await world.run({ maxPerRun: '20' });
    const pull = world.emulator.pullOf('flags/retire/new-checkout-flow')[0]!;
    await world.change((w) => {
      const file = 'flags/new-checkout-flow.yaml';
      w.write(
        file,
        readFileSync(`${w.dir}/${file}`, 'utf8').replace('expires: 2027-02-12', 'expires: 2027-05-01'),
      );
    }, 'Keep the checkout rollout until May');
    const run = await world.run({ maxPerRun: '20' });
    expect(run.code).toBe(0);
    expect(pull.state).toBe('closed');
    expect(pull.mergedAt).toBeNull();
    expect(pull.comments).toHaveLength(1);
    expect(pull.comments[0]!.body).toContain(
      '`new-checkout-flow` is no longer due for retirement: its expiry moved to 2027-05-01',
    );
    expect(parseMarker(pull.body)?.closed).toBe('revived');
    expect(originTip(world, 'flags/retire/new-checkout-flow')).toBeUndefined();
    const after = await world.run({ maxPerRun: '20' });
    expect(world.emulator.writes(after.from)).toEqual([]);
    expect(world.emulator.violations).toEqual([]);
  });

  it('completes the plan on a rerun after a 5xx and rate limits mid-run, without duplicates', async () => {
    const world = await retireWorld();
    const { emulator } = world;
    // A secondary rate limit (403) and a 429 are waited out within the run ...
    emulator.inject({
      method: 'POST',
      route: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
      status: 403,
      after: 1,
      times: 1,
      retryAfter: 1,
    });
    emulator.inject({
      method: 'GET',
      route: '/repos/{owner}/{repo}/pulls',
      status: 429,
      after: 2,
      times: 1,
      retryAfter: 1,
    });
    // ... while GitHub failing longer than the retries last stops the run halfway.
    emulator.inject({
      method: 'POST',
      route: '/repos/{owner}/{repo}/pulls',
      status: 502,
      after: 3,
      times: 4,
    });
    const broken = await world.run({ maxPerRun: '20' });
    expect(broken.code).toBe('threw');
    expect(broken.error?.name).toBe('GitHubAPIError');
    expect(broken.error?.message).toContain('GitHub answered 502 to POST /repos/{owner}/{repo}/pulls');
    expect(emulator.openPulls()).toHaveLength(3);
    const faults = emulator.since(broken.from).filter((r) => r.fault);
    expect(faults.map((r) => r.status).sort()).toEqual([403, 429, 502, 502, 502, 502]);
    expect(broken.err).toContain('secondary rate limit');

    const rerun = await world.run({ maxPerRun: '20' });
    expect(rerun.error).toBeUndefined();
    expect(rerun.code).toBe(0);
    expectOnePullPerBranch(world, DUE);
    expect([...emulator.pulls.values()]).toHaveLength(DUE);
    expect(emulator.violations).toEqual([]);
  });

  it("never overwrites a person's commit on the bot branch", async () => {
    const world = await retireWorld();
    await world.run({ maxPerRun: '20' });
    const branch = 'flags/retire/advanced-analytics';
    const theirs = await world.personCommits(branch, 'flags/advanced-analytics.yaml', (text) =>
      text.replace('        note: Internal QA tenant\n', '        note: Internal QA tenant (kept)\n'),
    );
    // main moves under the branch, so the bot would want to redo its commit.
    await world.change((w) => {
      const file = 'flags/advanced-analytics.yaml';
      w.write(
        file,
        readFileSync(`${w.dir}/${file}`, 'utf8').replace(
          'retention dashboards',
          'retention dashboards and exports',
        ),
      );
    }, 'Describe the exports');
    const run = await world.run({ maxPerRun: '20' });
    expect(run.code).toBe(0);
    expect(originTip(world, branch)).toBe(theirs);
    const pull = world.emulator.pullOf(branch)[0]!;
    expect(pull.body).toContain(
      'This branch has commits pushed by people, so the bot no longer pushes to it.',
    );
    expect(run.out).toContain('branch has commits by others; left as it is');
    const again = await world.run({ maxPerRun: '20' });
    expect(world.emulator.writes(again.from)).toEqual([]);
    expect(originTip(world, branch)).toBe(theirs);
  });

  it('makes no duplicate pull request when two runs race', async () => {
    const world = await retireWorld();
    const [a, b] = await Promise.all([world.run({ maxPerRun: '20' }), world.run({ maxPerRun: '20' })]);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([...world.emulator.pulls.values()]).toHaveLength(DUE);
    expectOnePullPerBranch(world, DUE);
    for (const numbers of branchesWithPulls(world).values()) expect(numbers).toHaveLength(1);
    expect(world.emulator.violations).toEqual([]);
    // Between them the two runs opened each pull request exactly once; the loser of a race found the
    // winner's pull request (422 "A pull request already exists") and updated it instead.
    expect((a.out + b.out).match(/^opened #/gm)).toHaveLength(DUE);
  });
});
