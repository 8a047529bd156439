import { describe, expect, it } from 'vitest';
import { originTip, retireWorld } from '../helpers/github-emulator/world.js';

/**
 * What closes a bot pull request, and what the bot makes of it, against real git and the emulated
 * GitHub: only a person's close is a snooze; grants of ended agreements are flags reconcile's.
 */

const LIMITS = { maxPerRun: '2', maxOpen: '2' };
const BRANCH = 'flags/retire/graphql-gateway';

describe('who closed a bot pull request', () => {
  it('starts over when a person deletes the branch of an open pull request (GitHub closes it)', async () => {
    const world = await retireWorld();
    await world.run(LIMITS);
    const first = world.emulator.pullOf(BRANCH)[0]!;
    world.emulator.deleteBranch(BRANCH);
    expect(first.state).toBe('closed');
    expect(first.events.map((e) => e.event)).toEqual(['head_ref_deleted', 'closed']);

    const run = await world.run(LIMITS);
    expect(run.code).toBe(0);
    expect(run.out).not.toContain('Snoozed');
    const pulls = world.emulator.pullOf(BRANCH, 'all');
    expect(pulls.map((p) => p.state)).toEqual(['closed', 'open']);
    expect(originTip(world, BRANCH)).toBeDefined();
    expect(first.reopened).toBe(0);
    const again = await world.run(LIMITS);
    expect(world.emulator.writes(again.from)).toEqual([]);
    expect(world.emulator.violations).toEqual([]);
  });

  it('stays snoozed when a person closes the pull request and then deletes its branch', async () => {
    const world = await retireWorld();
    await world.run(LIMITS);
    const pull = world.emulator.pullOf(BRANCH)[0]!;
    world.emulator.close(pull.number);
    world.emulator.deleteBranch(BRANCH);
    expect(pull.events.map((e) => e.event)).toEqual(['closed', 'head_ref_deleted']);
    const run = await world.run(LIMITS);
    expect(run.out).toContain(`graphql-gateway  #${pull.number} (until expires=2027-01-15 changes)`);
    expect(world.emulator.pullOf(BRANCH, 'all')).toHaveLength(1);
    expect(originTip(world, BRANCH)).toBeUndefined();
    expect(world.emulator.violations).toEqual([]);
  });

  it('shows the same in a dry run that reads GitHub', async () => {
    const world = await retireWorld();
    await world.run(LIMITS);
    world.emulator.deleteBranch(BRANCH);
    const dry = await world.run({ ...LIMITS, apply: false, dryRun: true });
    expect(dry.out).toMatch(/Open \(1\):\n {2}flags\/retire\/graphql-gateway/);
    expect(world.emulator.writes(dry.from)).toEqual([]);
  });
});

describe('grants of ended agreements', () => {
  it('are left to flags reconcile: retire opens no pull request that revokes them, and rerunning writes nothing', async () => {
    const world = await retireWorld();
    const withExport = { maxPerRun: '20', agreements: 'agreements.csv' };
    const first = await world.run(withExport);
    expect(first.code).toBe(0);
    const pulls = world.emulator.openPulls();
    expect(pulls.length).toBeGreaterThan(0);
    for (const pull of pulls) {
      expect(pull.title).not.toContain('agreement ended');
      expect(pull.body).not.toContain('"agreement-ended"');
    }
    // The export still feeds the drift report.
    expect(first.out).toContain('Drift between the agreements export and the grants');
    const again = await world.run(withExport);
    expect(world.emulator.writes(again.from)).toEqual([]);
    expect(world.emulator.violations).toEqual([]);
  });
});
