import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMarker } from '../../scripts/core/retire/marker.js';
import { FIXTURES } from '../helpers/gitdir.js';
import { originTip, retireWorld, type World } from '../helpers/github-emulator/world.js';

/**
 * A usage export drives the retirement plan (docs/lifecycle.md), end to end: real git with a bare
 * origin, GitHub emulated. On 2027-03-01 the fixture (test/fixtures/retire/lifecycle/repo) has a
 * release whose rollout reached everyone (deprecate), a deprecated flag without code references that
 * the export last saw on 2026-12-10, over the policy's 60 days (archive), a flag the export never saw
 * but that code still reads (left), and a rollout in progress (left).
 */

const USAGE = join(FIXTURES, 'retire', 'lifecycle', 'usage.json');

const world = () => retireWorld({ fixture: 'retire/lifecycle/repo' });

function fileOnBranch(w: World, branch: string, file: string): string {
  const dir = w.clone();
  w.git(dir, 'fetch', '--quiet', 'origin', branch);
  return w.git(dir, 'show', `FETCH_HEAD:${file}`);
}

describe('flags retire --usage proposes the next state of a flag with its evidence', () => {
  it('deprecates a settled rollout and archives an unreferenced, unevaluated flag, each in a pull request', async () => {
    const w = await world();
    const run = await w.run({ usage: USAGE });
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(0);
    expect(w.emulator.violations).toEqual([]);
    const open = w.emulator.openPulls();
    expect(open.map((p) => [p.head, p.title]).sort()).toEqual([
      ['flags/retire/new-search', 'chore(flags): deprecate new-search (its rollout is settled everywhere)'],
      ['flags/retire/old-banner', 'chore(flags): archive old-banner (no references left, not evaluated)'],
    ]);

    const deprecate = w.emulator.pullOf('flags/retire/new-search')[0]!;
    expect(deprecate.body).toContain('development: `on`, staging: `on`, production: `on`');
    expect(parseMarker(deprecate.body)?.kinds).toEqual(['rollout-settled']);
    const archive = w.emulator.pullOf('flags/retire/old-banner')[0]!;
    expect(archive.body).toContain('was last evaluated on **2026-12-10**');
    expect(archive.body).toContain('**No references left**');
    expect(archive.body).toContain(USAGE);

    // One line added before environments; every other byte kept.
    const main = w.git(w.clone(), 'show', 'origin/main:flags/new-search.yaml');
    expect(fileOnBranch(w, 'flags/retire/new-search', 'flags/new-search.yaml')).toBe(
      main.replace('environments:\n', 'deprecated: true\nenvironments:\n'),
    );
    expect(fileOnBranch(w, 'flags/retire/old-banner', 'flags/old-banner.yaml')).toContain(
      'deprecated: true\narchived: true\nenvironments:\n',
    );
    expect(run.out).not.toContain('flags/retire/legacy-export');
    expect(run.out).not.toContain('flags/retire/slow-rollout');
  });

  it('writes nothing on a second run, and leaves an archive pull request alone on a run without the export', async () => {
    const w = await world();
    await w.run({ usage: USAGE });
    const tip = originTip(w, 'flags/retire/old-banner');
    const again = await w.run({ usage: USAGE, today: '2027-03-02' });
    expect(again.code).toBe(0);
    expect(w.emulator.writes(again.from)).toEqual([]);
    expect(again.out).toContain('0 writes');

    const without = await w.run({});
    expect(without.code).toBe(0);
    expect(without.out).toContain(
      'Left alone, they archive unused flags and this run has no usage export (1):',
    );
    expect(w.emulator.pullOf('flags/retire/old-banner')[0]!.state).toBe('open');
    expect(originTip(w, 'flags/retire/old-banner')).toBe(tip);
  });

  it('does not archive a flag whose code references are back, and closes its pull request', async () => {
    const w = await world();
    await w.run({ usage: USAGE });
    await w.change(
      (work) => work.write('src/banner.ts', "export const banner = (f) => f.isEnabled('old-banner');\n"),
      'The banner is back',
    );
    const run = await w.run({ usage: USAGE });
    expect(run.code).toBe(0);
    const pull = w.emulator.pullOf('flags/retire/old-banner', 'all')[0]!;
    expect(pull.state).toBe('closed');
    expect(w.emulator.violations).toEqual([]);
  });

  it('refuses a usage export with a broken row, naming file, line and column', async () => {
    const w = await world();
    const dir = w.clone();
    w.git(dir, 'status');
    const broken = join(dir, '..', 'usage.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(broken, 'key,environment,last_evaluated,count\nnew-search,production,2027-02-30,12\n');
    const run = await w.run({ usage: broken }, dir);
    expect(run.code).toBe('threw');
    expect(run.error?.message).toBe('last evaluation "2027-02-30" is not a date');
    expect((run.error as unknown as { location: unknown }).location).toEqual({
      file: broken,
      line: 2,
      col: 23,
    });
    expect(w.emulator.writes(run.from)).toEqual([]);
  });
});
