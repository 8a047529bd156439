import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../helpers/github-emulator/server.js';
import { retireWorld, type World } from '../helpers/github-emulator/world.js';

/**
 * GitHub did the write, and the answer never reached the bot (a 502 from a proxy, a dropped
 * connection). Every write of the bot is check-then-act, so neither the same run nor the next one
 * does it twice. The emulator performs the write and answers 502 (Fault.lost), after validating the
 * request against GitHub's OpenAPI description as always.
 */

// Two pull requests at most, so that a rerun has nothing new to open.
const LIMITS = { maxPerRun: '2', maxOpen: '2' };
const BRANCH = 'flags/retire/graphql-gateway';
const FILE = 'flags/graphql-gateway.yaml';
const lost = (method: string, route: string, times = 1): Fault => ({
  method,
  route,
  status: 502,
  lost: true,
  times,
});

const setExpiry = (world: World, expires: string) =>
  world.change(
    (w) =>
      w.write(FILE, readFileSync(`${w.dir}/${FILE}`, 'utf8').replace(/expires: \S+/, `expires: ${expires}`)),
    `Gateway expires ${expires}`,
  );

/** The state of the bot's pull requests that a duplicate write would change. */
const snapshot = (world: World) =>
  [...world.emulator.pulls.values()].map((p) => ({
    head: p.head,
    state: p.state,
    labels: p.labels.map((l) => l.name),
    users: p.requestedUsers,
    teams: p.requestedTeams,
    comments: p.comments.length,
    closes: p.events.filter((e) => e.event === 'closed').length,
  }));

describe('flags retire after GitHub did a write whose answer was lost', () => {
  it('posts the close comment once and closes once when both answers were lost', async () => {
    const world = await retireWorld();
    await world.run(LIMITS);
    await setExpiry(world, '2027-05-01');
    world.emulator.inject(lost('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments'));
    world.emulator.inject(lost('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}'));
    const run = await world.run(LIMITS);
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(0);
    const pull = world.emulator.pullOf(BRANCH, 'all')[0]!;
    expect(pull.state).toBe('closed');
    expect(pull.comments).toHaveLength(1);
    expect(pull.comments[0]!.body).toContain('is no longer due for retirement');
    expect(pull.events.filter((e) => e.event === 'closed')).toHaveLength(1);
    expect(world.emulator.since(run.from).filter((r) => r.lost)).toHaveLength(2);
    const again = await world.run(LIMITS);
    expect(world.emulator.writes(again.from)).toEqual([]);
    expect(world.emulator.violations).toEqual([]);
  });

  it.each([
    ['POST', '/repos/{owner}/{repo}/pulls'],
    ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/labels'],
    ['POST', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers'],
  ])('opens, labels and asks for review once when the answer to %s %s was lost', async (method, route) => {
    const clean = await retireWorld();
    await clean.run(LIMITS);
    const world = await retireWorld();
    world.emulator.inject(lost(method, route, 2));
    const run = await world.run(LIMITS);
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(0);
    expect(world.emulator.since(run.from).filter((r) => r.lost)).toHaveLength(2);
    expect(snapshot(world)).toEqual(snapshot(clean));
    const performed = world.emulator.writes(run.from).filter((r) => r.method === method && r.route === route);
    expect(performed).toHaveLength(2);
    const again = await world.run(LIMITS);
    expect(world.emulator.writes(again.from)).toEqual([]);
    expect(world.emulator.violations).toEqual([]);
  });

  it('updates a body once when the answer to the update was lost', async () => {
    const world = await retireWorld();
    await world.run(LIMITS);
    await setExpiry(world, '2027-02-01');
    world.emulator.inject(lost('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}'));
    const run = await world.run(LIMITS);
    expect(run.code).toBe(0);
    const pull = world.emulator.pullOf(BRANCH)[0]!;
    expect(pull.body).toContain('expired on **2027-02-01**');
    expect(world.emulator.writes(run.from).filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(run.out).toMatch(/updated #\d+ for graphql-gateway: branch, body/);
    const again = await world.run(LIMITS);
    expect(world.emulator.writes(again.from)).toEqual([]);
  });

  it('does not comment again on the next run when the run stopped right after a lost answer', async () => {
    const world = await retireWorld();
    await world.run(LIMITS);
    await setExpiry(world, '2027-05-01');
    // The comment is posted and its answer lost; GitHub then fails every look at the comments.
    world.emulator.inject(lost('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments'));
    world.emulator.inject({
      method: 'GET',
      route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      status: 502,
      after: 1,
      times: 20,
    });
    const broken = await world.run(LIMITS);
    expect(broken.code).toBe('threw');
    expect(broken.error?.message).toContain('GitHub answered 502');
    const pull = world.emulator.pullOf(BRANCH, 'all')[0]!;
    expect(pull.comments).toHaveLength(1);
    expect(pull.state).toBe('open');
    world.emulator.clearFaults();
    const rerun = await world.run(LIMITS);
    expect(rerun.code).toBe(0);
    expect(pull.comments).toHaveLength(1);
    expect(pull.state).toBe('closed');
    expect(world.emulator.violations).toEqual([]);
  });

  it('retries a write that failed without being done, after looking that it was not', async () => {
    const world = await retireWorld();
    world.emulator.inject({
      method: 'POST',
      route: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
      status: 503,
      times: 2,
    });
    const run = await world.run(LIMITS);
    expect(run.code).toBe(0);
    for (const pull of world.emulator.openPulls())
      expect(pull.labels.map((l) => l.name)).toEqual(['flags', 'cleanup']);
    expect(world.emulator.violations).toEqual([]);
  });
});
