import { describe, expect, it } from 'vitest';
import { originTip, retireWorld } from '../helpers/github-emulator/world.js';

/**
 * What closes a bot pull request, and what the bot makes of it, against real git and the emulated
 * GitHub: only a person's close is a snooze, and a run that lacks the agreements export closes
 * nothing that depends on it.
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

describe('a run without the agreements export', () => {
  it('leaves a pull request that revokes grants of ended agreements open and unchanged, and says why', async () => {
    const world = await retireWorld();
    const withExport = { maxPerRun: '20', agreements: 'agreements.csv' };
    await world.run(withExport);
    const revoke = world.emulator.pullOf('flags/retire/advanced-analytics')[0]!;
    expect(revoke.title).toContain('agreement ended');
    const body = revoke.body;
    const tip = originTip(world, 'flags/retire/advanced-analytics');

    const without = await world.run({ maxPerRun: '20' });
    expect(without.code).toBe(0);
    expect(revoke.state).toBe('open');
    expect(revoke.body).toBe(body);
    expect(revoke.comments).toEqual([]);
    expect(originTip(world, 'flags/retire/advanced-analytics')).toBe(tip);
    expect(world.emulator.writes(without.from)).toEqual([]);
    expect(without.out).toContain('note: no agreements export (--agreements or FLAGS_AGREEMENTS)');
    expect(without.out).toContain(
      `  #${revoke.number} advanced-analytics  (not closed, not updated: pass --agreements or set FLAGS_AGREEMENTS)`,
    );
    expect(without.out).toContain(`unchanged #`);
    expect(without.out).not.toContain('closed #');

    // With the export again, nothing had to be redone.
    const back = await world.run(withExport);
    expect(world.emulator.writes(back.from)).toEqual([]);
    expect(world.emulator.violations).toEqual([]);
  });
});
