import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../scripts/adapters/github/client.js';
import { type ReconcileOptions, runReconcile } from '../../scripts/commands/reconcile.js';
import { TOOLKIT_ROOT } from '../helpers/gitdir.js';
import { OWNER, originTip, REPO, retireWorld, type World } from '../helpers/github-emulator/world.js';

/**
 * flags reconcile --apply on real git (a bare origin, a fresh clone per run, as CI checks out) and
 * the GitHub emulator: one pull request per organization event, at most 6 GitHub requests to open
 * one, and a rerun on the same export that writes nothing.
 */

const TODAY = '2026-11-24';
const HEADER = 'organization,agreement,status,start_date,end_date,contract\n';
const STARK = [
  'org_stark55012,MSA-2026-0031,active,2026-01-01,,PLAN-ENTERPRISE',
  'org_stark55012,ORD-2026-0412,active,2026-04-12,,PLAN-ENTERPRISE; SKU-ANALYTICS-PRO',
];
const WONKA = [
  'org_wonka30417,ORD-2026-0388,active,2026-03-01,,PLAN-TEAM',
  'org_wonka30417,BETA-2026-0007,active,2026-11-01,2027-01-31,PLAN-BETA-ASSISTANT',
];

interface Run {
  code: number | 'threw';
  out: string;
  error?: Error;
  from: number;
  json: { results?: { key: string; action: string }[]; writes?: number; snoozed?: unknown[] };
}

async function reconcile(
  world: World,
  input: { rows?: readonly string[]; dispatch?: unknown },
  options: Partial<ReconcileOptions> = {},
): Promise<Run> {
  const dir = world.clone();
  // Outside flags/: the bot requires flags/ clean, not the checkout.
  if (input.rows) writeFileSync(join(dir, 'agreements.csv'), HEADER + input.rows.join('\n'));
  if (input.dispatch !== undefined) writeFileSync(join(dir, 'event.json'), JSON.stringify(input.dispatch));
  const from = world.emulator.log.length;
  const client = createGitHubClient({
    token: world.emulator.token,
    baseUrl: `${world.emulator.url}/api/v3`,
    retryBaseMs: 5,
    minWriteIntervalMs: 0,
  });
  let out = '';
  try {
    const code = await runReconcile(
      {
        repo: dir,
        apply: true,
        json: true,
        today: TODAY,
        repository: `${OWNER}/${REPO}`,
        ...(input.rows ? { agreements: 'agreements.csv' } : { dispatch: 'event.json' }),
        ...options,
      },
      (t) => {
        out += t;
      },
      {},
      { client, err: () => {} },
    );
    return { code, out, from, json: JSON.parse(out) as Run['json'] };
  } catch (error) {
    return { code: 'threw', out, error: error as Error, from, json: {} };
  }
}

/** The run opened one pull request for the organization, then a rerun writes nothing. */
async function opensOnceThenRests(world: World, rows: readonly string[], org: string) {
  const first = await reconcile(world, { rows });
  expect(first.error).toBeUndefined();
  expect(first.code).toBe(0);
  expect(first.json.results).toEqual([expect.objectContaining({ key: org, action: 'opened' })]);
  // Requests to GitHub for the one pull request: the look-ups and the writes (issue item 6).
  expect(world.emulator.since(first.from).length).toBeLessThanOrEqual(6);
  const [pull] = world.emulator.pullOf(`flags/reconcile/${org}`);
  expect(pull).toBeDefined();
  const again = await reconcile(world, { rows });
  expect(again.code).toBe(0);
  expect(world.emulator.writes(again.from)).toEqual([]);
  expect(again.json.results).toEqual([expect.objectContaining({ key: org, action: 'unchanged' })]);
  return pull!;
}

const branchFile = (world: World, org: string, file: string) =>
  world.git(world.origin, 'show', `${originTip(world, `flags/reconcile/${org}`)}:${file}`);

describe('flags reconcile --apply opens one reviewable pull request per organization event', () => {
  it('opens an upgrade with the agreement, its dates, every flag change and the reviewers', async () => {
    const world = await retireWorld({ example: true });
    const rows = [...STARK, ...WONKA, 'org_wonka30417,ORD-2026-0412,active,2026-11-20,,PLAN-ENTERPRISE'];
    const pull = await opensOnceThenRests(world, rows, 'org_wonka30417');
    expect(pull.title).toMatch(
      /^org_wonka30417 upgraded to PLAN-ENTERPRISE under ORD-2026-0412: \+audit-log-export, \+sso-saml, workspace-analytics tier silver → gold/,
    );
    expect(pull.body).toContain('| `ORD-2026-0412` | active | 2026-11-20 | - | `PLAN-ENTERPRISE` | yes |');
    expect(pull.body).toContain('| `sso-saml` | production | grant: +sso-saml |');
    // The customer-access team, and the owners CODEOWNERS routes the touched flags to.
    expect([...pull.requestedTeams].sort()).toEqual(['analytics', 'customer-access', 'identity', 'security']);
    expect(pull.labels.length).toBeGreaterThan(0);
    const file = branchFile(world, 'org_wonka30417', 'flags/_organizations/org_wonka30417.yaml');
    expect(file).toContain('  # Opted in to the writing assistant beta until the end of January.\n');
    expect(file).toContain('  - plan: PLAN-ENTERPRISE\n    agreements: [ORD-2026-0412]');
  });

  it.each([
    [
      'a downgrade',
      [
        ...WONKA,
        'org_stark55012,MSA-2026-0031,active,2026-01-01,,PLAN-ENTERPRISE',
        'org_stark55012,ORD-2026-0412,ended,2026-04-12,2026-10-31,PLAN-ENTERPRISE; SKU-ANALYTICS-PRO',
      ],
      'org_stark55012',
      /^org_stark55012 downgraded, dropping SKU-ANALYTICS-PRO/,
    ],
    [
      'a renewal under a new agreement',
      [
        ...STARK,
        'org_wonka30417,ORD-2026-0388,ended,2025-11-20,2026-11-20,PLAN-TEAM',
        'org_wonka30417,ORD-2026-0777,active,2026-11-21,2027-11-20,PLAN-TEAM',
        WONKA[1]!,
      ],
      'org_wonka30417',
      /^org_wonka30417 renewed under ORD-2026-0777/,
    ],
    [
      'a churn',
      [
        ...STARK,
        'org_wonka30417,ORD-2026-0388,churned,2026-03-01,2026-11-15,PLAN-TEAM',
        'org_wonka30417,BETA-2026-0007,ended,2026-11-01,2026-11-15,PLAN-BETA-ASSISTANT',
      ],
      'org_wonka30417',
      /^org_wonka30417 churned/,
    ],
    [
      'a beta opt-in',
      [...STARK, ...WONKA, 'org_stark55012,BETA-2026-0101,active,2026-11-20,2027-01-31,PLAN-BETA-ASSISTANT'],
      'org_stark55012',
      /^org_stark55012 opted in to PLAN-BETA-ASSISTANT under BETA-2026-0101: \+writing-assistant until 2027-01-31/,
    ],
    [
      'two agreements for one organization, one of them ended',
      ['org_stark55012,MSA-2026-0031,ended,2026-01-01,2026-11-01,PLAN-ENTERPRISE', STARK[1]!, ...WONKA],
      'org_stark55012',
      /^org_stark55012 renewed under ORD-2026-0412/,
    ],
  ])('opens %s once, and a rerun writes nothing', async (_, rows, org, title) => {
    const world = await retireWorld({ example: true });
    const pull = await opensOnceThenRests(world, rows, org);
    expect(pull.title).toMatch(title);
  });

  it('opens a trial conversion: the trial grant, then the order form that drops its expiry', async () => {
    const world = await retireWorld({ example: true });
    const trial = [
      ...STARK,
      ...WONKA,
      'org_cyberdyne2029,TRIAL-2026-0300,active,2026-11-15,2026-12-15,PLAN-TEAM',
    ];
    const opened = await opensOnceThenRests(world, trial, 'org_cyberdyne2029');
    world.emulator.close(opened.number, true);
    await world.change((work) => {
      writeFileSync(
        join(work.dir, 'flags/_organizations/org_cyberdyne2029.yaml'),
        branchFile(world, 'org_cyberdyne2029', 'flags/_organizations/org_cyberdyne2029.yaml'),
      );
    }, 'Merge the trial');
    const converted = [
      ...STARK,
      ...WONKA,
      'org_cyberdyne2029,TRIAL-2026-0300,ended,2026-11-15,2026-12-15,PLAN-TEAM',
      'org_cyberdyne2029,ORD-2026-0801,active,2026-11-24,,PLAN-TEAM',
    ];
    const pull = await opensOnceThenRests(world, converted, 'org_cyberdyne2029');
    expect(pull.title).toMatch(/^org_cyberdyne2029 converted its trial under ORD-2026-0801/);
  });

  it('opens a tier change: the variant follows the plan', async () => {
    const world = await retireWorld({ example: true });
    await world.change((work) => {
      const policy = join(work.dir, 'flags/_policy.yaml');
      writeFileSync(
        policy,
        readFileSync(policy, 'utf8').replace(
          '  PLAN-TEAM:\n',
          '  PLAN-TEAM-PLUS:\n    flags: { workspace-analytics: gold }\n  PLAN-TEAM:\n',
        ),
      );
    }, 'Sell PLAN-TEAM-PLUS');
    const rows = [...STARK, 'org_wonka30417,ORD-2026-0388,active,2026-03-01,,PLAN-TEAM-PLUS', WONKA[1]!];
    const pull = await opensOnceThenRests(world, rows, 'org_wonka30417');
    expect(pull.title).toMatch(/workspace-analytics tier silver → gold/);
  });

  it('snoozes an organization whose pull request a person closed, until the export says something new', async () => {
    const world = await retireWorld({ example: true });
    const rows = [
      ...STARK,
      ...WONKA,
      'org_stark55012,BETA-2026-0101,active,2026-11-20,2027-01-31,PLAN-BETA-ASSISTANT',
    ];
    const pull = await opensOnceThenRests(world, rows, 'org_stark55012');
    world.emulator.close(pull.number);
    const snoozed = await reconcile(world, { rows });
    expect(world.emulator.writes(snoozed.from)).toEqual([]);
    expect(snoozed.json.snoozed).toEqual([expect.objectContaining({ organization: 'org_stark55012' })]);
    const moved = rows.map((r) => (r.includes('BETA-2026-0101') ? r.replace('2027-01-31', '2027-02-28') : r));
    const reopened = await reconcile(world, { rows: moved });
    expect(reopened.json.results).toEqual([
      expect.objectContaining({ key: 'org_stark55012', action: 'opened' }),
    ]);
  });

  it('closes a pull request the export no longer calls for', async () => {
    const world = await retireWorld({ example: true });
    const rows = [
      ...STARK,
      ...WONKA,
      'org_stark55012,BETA-2026-0101,active,2026-11-20,2027-01-31,PLAN-BETA-ASSISTANT',
    ];
    const pull = await opensOnceThenRests(world, rows, 'org_stark55012');
    const closed = await reconcile(world, { rows: [...STARK, ...WONKA] });
    expect(closed.json.results).toEqual([
      expect.objectContaining({ key: 'org_stark55012', action: 'closed' }),
    ]);
    expect(world.emulator.pullOf('flags/reconcile/org_stark55012', 'all')[0]!.state).toBe('closed');
    expect(pull.number).toBeGreaterThan(0);
    const again = await reconcile(world, { rows: [...STARK, ...WONKA] });
    expect(world.emulator.writes(again.from)).toEqual([]);
  });

  it('reconciles the organization of a repository_dispatch and never touches another organization', async () => {
    const world = await retireWorld({ example: true });
    const stark = [
      ...STARK,
      'org_stark55012,BETA-2026-0101,active,2026-11-20,2027-01-31,PLAN-BETA-ASSISTANT',
    ];
    await opensOnceThenRests(world, [...stark, ...WONKA], 'org_stark55012');
    const dispatch = {
      action: 'agreements-changed',
      client_payload: {
        organization: 'org_wonka30417',
        agreements: [
          { agreement: 'ORD-2026-0388', status: 'active', start_date: '2026-03-01', contract: 'PLAN-TEAM' },
          {
            agreement: 'BETA-2026-0007',
            status: 'active',
            end_date: '2027-01-31',
            contract: 'PLAN-BETA-ASSISTANT',
          },
          {
            agreement: 'ORD-2026-0412',
            status: 'active',
            start_date: '2026-11-20',
            contract: 'PLAN-ENTERPRISE',
          },
        ],
      },
    };
    const first = await reconcile(world, { dispatch });
    expect(first.error).toBeUndefined();
    expect(first.json.results).toEqual([
      expect.objectContaining({ key: 'org_wonka30417', action: 'opened' }),
    ]);
    expect(world.emulator.since(first.from).length).toBeLessThanOrEqual(6);
    // Only the dispatched organization's branch was asked about: stark's pull request is not even read.
    expect(
      world.emulator
        .since(first.from)
        .map((r) => r.path)
        .join('\n'),
    ).not.toContain('org_stark55012');
    expect(world.emulator.pullOf('flags/reconcile/org_stark55012')).toHaveLength(1);
    const again = await reconcile(world, { dispatch });
    expect(world.emulator.writes(again.from)).toEqual([]);
  });

  it('reconciles the organization of a Stripe event a billing relay dispatches', async () => {
    const world = await retireWorld({ example: true });
    const stripe = JSON.parse(
      readFileSync(join(TOOLKIT_ROOT, 'test/fixtures/contracts/stripe/event-updated.json'), 'utf8'),
    ) as unknown;
    const dispatch = { action: 'customer.subscription.updated', client_payload: { stripe } };
    const first = await reconcile(world, { dispatch });
    expect(first.error).toBeUndefined();
    expect(first.json.results).toEqual([
      expect.objectContaining({ key: 'org_wonka30417', action: 'opened' }),
    ]);
    const again = await reconcile(world, { dispatch });
    expect(world.emulator.writes(again.from)).toEqual([]);
  });

  it('refuses a dispatch without an organization, naming the event file', async () => {
    const world = await retireWorld({ example: true });
    const run = await reconcile(world, { dispatch: { client_payload: { agreements: [] } } });
    expect(run.code).toBe('threw');
    expect(run.error!.message).toContain('client_payload.organization is missing');
  });
});
