import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRepository, validFlags } from '../../scripts/adapters/repository.js';
import { scanReferences } from '../../scripts/adapters/source-files.js';
import type { Agreement } from '../../scripts/core/agreements/model.js';
import { parseAgreements } from '../../scripts/core/agreements/parse.js';
import type { Policy } from '../../scripts/core/model/policy.js';
import { groupByKey } from '../../scripts/core/refs/find.js';
import { parseMarker, withMarker } from '../../scripts/core/retire/marker.js';
import type { ExistingPullRequest, PlanInput, PlannedPullRequest } from '../../scripts/core/retire/model.js';
import { planRetirement } from '../../scripts/core/retire/plan.js';
import { reviewersFor } from '../../scripts/core/retire/render.js';
import { planText } from '../../scripts/core/retire/report.js';
import { FIXTURES } from '../helpers/gitdir.js';

const ROOT = join(FIXTURES, 'retire', 'repo');
let base: Omit<PlanInput, 'today'>;
let policy: Policy;
let agreements: Agreement[];

beforeAll(async () => {
  const repo = await loadRepository(ROOT, { cacheDir: false, threads: 1 });
  policy = repo.policy;
  const flags = validFlags(repo);
  const { references } = scanReferences(
    ROOT,
    ['src'],
    flags.map((f) => f.flag.key),
    policy.retire.codeAliases,
  );
  agreements = parseAgreements(
    'agreements.csv',
    readFileSync(join(ROOT, 'agreements.csv'), 'utf8'),
  ).agreements;
  base = {
    flags,
    policy: { ...policy, retire: { ...policy.retire, maxPullRequestsPerRun: 20 } },
    references: { references: groupByKey(references), searched: ['src'] },
    repositoryOwner: 'acme',
    historyFor: 'all',
  };
});

const plan = (over: Partial<PlanInput> = {}) =>
  planRetirement({ ...base, today: '2027-03-01', aliases: policy.retire.codeAliases, ...over });

/** The pull request as GitHub would show it had the bot opened it. */
function asExisting(
  pull: PlannedPullRequest,
  number: number,
  over: Partial<ExistingPullRequest> = {},
): ExistingPullRequest {
  return {
    number,
    state: 'open',
    merged: false,
    branch: pull.branch,
    title: pull.title,
    body: pull.body,
    labels: pull.labels,
    requestedUsers: pull.reviewers.users,
    requestedTeams: pull.reviewers.teams,
    ...over,
  };
}

function rendered(pull: PlannedPullRequest): string {
  return [
    `branch: ${pull.branch}`,
    `title: ${pull.title}`,
    `labels: ${pull.labels.join(', ')}`,
    `reviewers: ${JSON.stringify(pull.reviewers)}`,
    '',
    '--- commit message ---',
    pull.commitMessage,
    '--- body ---',
    '',
    pull.body,
  ].join('\n');
}

describe('the retirement planner', () => {
  it('finds expired flags, expired grants, ended agreements and overdue reviews, one pull request per flag', () => {
    const result = plan({ agreements });
    expect(
      result.open.map((p) => [p.key, p.item.change.kind, p.item.reasons.map((r) => r.kind).join('+')]),
    ).toEqual([
      ['advanced-analytics', 'edit-file', 'agreement-ended+grant-expired+agreement-ended'],
      ['onboarding-checklist', 'delete-file', 'flag-expired'],
      ['graphql-gateway', 'delete-file', 'flag-expired'],
      ['new-checkout-flow', 'delete-file', 'flag-expired'],
      ['invoice-pdf-v2', 'edit-file', 'grant-expired'],
      ['webhook-delivery', 'edit-file', 'review-overdue'],
      ['api-rate-limits', 'edit-file', 'review-overdue'],
    ]);
    const analytics = result.open[0]!.item.change;
    expect(analytics).toEqual({
      kind: 'edit-file',
      removeGrants: [
        {
          env: 'production',
          index: 1,
          org: 'org_umbrella5521',
          agreement: 'MSA-2025-0088',
          why: ['agreement-ended'],
        },
        {
          env: 'production',
          index: 2,
          org: 'org_hooli40921',
          agreement: 'TRIAL-2026-0097',
          expires: '2026-12-31',
          why: ['expired', 'agreement-ended'],
        },
      ],
    });
    expect(result.summary).toEqual({
      flags: 9,
      due: 7,
      openBefore: 0,
      openAfter: 7,
      maxPerRun: 20,
      maxOpen: 20,
    });
  });

  it('reports drift between the agreements export and the grants, and plans no change for it', () => {
    const result = plan({ agreements });
    expect(result.drift.map((d) => `${d.kind} ${d.key} ${d.org} ${d.agreement}`)).toEqual([
      'missing-grant sso-saml org_wayne880142 MSA-2026-0012',
      'unknown-agreement api-rate-limits org_umbrella5521 ORD-2025-0510',
    ]);
    expect(result.open.some((p) => p.key === 'sso-saml')).toBe(false);
  });

  it('is deterministic and never mentions today in what it writes', () => {
    const a = plan({ agreements });
    const b = plan({ agreements, today: '2027-03-02' });
    expect(JSON.stringify(plan({ agreements }))).toBe(JSON.stringify(a));
    const bodies = (p: typeof a) =>
      p.open
        .filter((x) => x.item.change.kind !== 'edit-file' || !x.item.change.setReviewed)
        .map((x) => x.body);
    expect(bodies(b)).toEqual(bodies(a));
  });

  it('updates an open pull request in place, keeping the reviewed date it chose', () => {
    const first = plan();
    const pulls = first.open.map((p, i) => asExisting(p, i + 1));
    const later = plan({ today: '2027-03-09', pulls });
    expect(later.open).toEqual([]);
    expect(later.update.map((u) => [u.existing.number, u.changes])).toEqual(pulls.map((p) => [p.number, []]));
    const webhook = later.update.find((u) => u.pull.key === 'webhook-delivery')!;
    expect(webhook.pull.item.change).toMatchObject({ setReviewed: '2027-03-01' });
  });

  it('notices title, body and missing labels to fix on an open pull request', () => {
    const first = plan();
    const pull = first.open.find((p) => p.key === 'graphql-gateway')!;
    const result = plan({
      pulls: [asExisting(pull, 7, { title: 'edited', body: `${pull.body}\nmore`, labels: ['flags'] })],
    });
    expect(result.update[0]!.changes).toEqual(['title', 'body', 'labels']);
  });

  it('treats a pull request closed without merge as snoozed until what it was about changes', () => {
    const first = plan();
    const pull = first.open.find((p) => p.key === 'graphql-gateway')!;
    const closed = asExisting(pull, 3, { state: 'closed' });
    const snoozed = plan({ pulls: [closed] });
    expect(snoozed.snoozed).toEqual([{ key: 'graphql-gateway', number: 3, snooze: 'expires=2027-01-15' }]);
    expect(snoozed.open.some((p) => p.key === 'graphql-gateway')).toBe(false);
    expect(parseMarker(closed.body)?.snooze).toBe('expires=2027-01-15');

    // A merged one, or one the bot closed itself, snoozes nothing.
    expect(plan({ pulls: [{ ...closed, merged: true }] }).open.some((p) => p.key === 'graphql-gateway')).toBe(
      true,
    );
    const botClosed = {
      ...closed,
      body: withMarker(closed.body, { ...parseMarker(closed.body)!, closed: 'revived' }),
    };
    expect(plan({ pulls: [botClosed] }).open.some((p) => p.key === 'graphql-gateway')).toBe(true);
    // A different expiry is due anew.
    const moved = { ...closed, body: closed.body.replace('expires=2027-01-15', 'expires=2027-01-01') };
    expect(plan({ pulls: [moved] }).open.some((p) => p.key === 'graphql-gateway')).toBe(true);
  });

  it('closes the pull requests of revived flags and of flags that are gone', () => {
    const early = plan({ today: '2027-01-20' });
    const checkout = asExisting(plan().open.find((p) => p.key === 'new-checkout-flow')!, 5);
    const gone = asExisting(plan().open.find((p) => p.key === 'graphql-gateway')!, 6, {
      branch: 'flags/retire/removed-flag',
    });
    const result = plan({ today: '2027-01-20', pulls: [checkout, gone] });
    expect(early.open.some((p) => p.key === 'new-checkout-flow')).toBe(false);
    expect(result.close.map((c) => [c.existing.number, c.key, c.reason])).toEqual([
      [5, 'new-checkout-flow', 'revived'],
      [6, 'removed-flag', 'gone'],
    ]);
    expect(result.close[0]!.comment).toContain('its expiry moved to 2027-02-12');
    expect(parseMarker(result.close[0]!.body)?.closed).toBe('revived');
  });

  it('leaves alone the pull request of a flag file that does not read for the moment', () => {
    const pull = asExisting(plan().open.find((p) => p.key === 'graphql-gateway')!, 4);
    const flags = base.flags.filter((f) => f.flag.key !== 'graphql-gateway');
    const result = plan({ flags, unreadable: ['graphql-gateway'], pulls: [pull] });
    expect(result.close).toEqual([]);
    expect(result.untouched).toEqual([{ key: 'graphql-gateway', number: 4, reason: 'unreadable' }]);
  });

  it('leaves alone a pull request that revokes grants of ended agreements when the run has no export', () => {
    const revoke = asExisting(plan({ agreements }).open.find((p) => p.key === 'advanced-analytics')!, 7);
    const expired = asExisting(plan().open.find((p) => p.key === 'graphql-gateway')!, 8);
    const result = plan({ pulls: [revoke, expired] });
    expect(result.untouched).toEqual([{ key: 'advanced-analytics', number: 7, reason: 'no-agreements' }]);
    expect(result.close).toEqual([]);
    expect(result.update.map((u) => u.existing.number)).toEqual([8]);
    expect(result.open.map((p) => p.key)).not.toContain('advanced-analytics');
    expect(planText(result)).toContain(
      '  #7 advanced-analytics  (not closed, not updated: pass --agreements or set FLAGS_AGREEMENTS)',
    );
    // An export that no longer lists the agreement as ended is an answer: the revocation goes.
    const renewed = agreements.map((a) => ({ ...a, status: 'active' as const, endDate: '2027-12-31' }));
    const answered = plan({ agreements: renewed, pulls: [revoke, expired] });
    expect(answered.untouched).toEqual([]);
    expect(answered.update.find((u) => u.existing.number === 7)?.changes).toContain('title');
  });

  it('leaves grants of ended agreements to flags reconcile, and an open pull request that revokes them alone', () => {
    const revoke = asExisting(plan({ agreements }).open.find((p) => p.key === 'advanced-analytics')!, 7);
    const handedOver = plan({ agreements, agreementRevocations: false, pulls: [revoke] });
    expect(handedOver.open.flatMap((p) => p.item.reasons.map((r) => r.kind))).not.toContain(
      'agreement-ended',
    );
    expect(handedOver.untouched).toEqual([{ key: 'advanced-analytics', number: 7, reason: 'reconcile' }]);
    expect(handedOver.close).toEqual([]);
    expect(planText(handedOver)).toContain(
      "  #7 advanced-analytics  (close it once flags reconcile's pull request stands)",
    );
    // The export still feeds the drift report.
    expect(handedOver.drift).toEqual(plan({ agreements }).drift);
  });

  it('opens at most N per run and stops at M open at once, most urgent first', () => {
    const perRun = plan({
      policy: { ...base.policy, retire: { ...base.policy.retire, maxPullRequestsPerRun: 2 } },
    });
    expect(perRun.open.map((p) => p.key)).toEqual(['onboarding-checklist', 'graphql-gateway']);
    expect(perRun.deferred.map((d) => d.limit)).toEqual(Array(5).fill('per-run'));
    const open = plan()
      .open.slice(0, 3)
      .map((p, i) => asExisting(p, i + 1));
    const atOnce = plan({
      pulls: open,
      policy: { ...base.policy, retire: { ...base.policy.retire, maxOpenPullRequests: 4 } },
    });
    expect(atOnce.open).toHaveLength(1);
    expect(atOnce.deferred.every((d) => d.limit === 'open-at-once')).toBe(true);
    expect(atOnce.summary.openAfter).toBe(4);
  });

  it('asks for the closed history of only the branches it would open', () => {
    const result = plan({ historyFor: new Set(['graphql-gateway']) });
    expect(result.open.filter((p) => !p.historyChecked).map((p) => p.key)).not.toContain('graphql-gateway');
    expect(result.open.filter((p) => !p.historyChecked)).toHaveLength(6);
  });

  it('asks teams of the organization and users for review, and says why not for other teams', () => {
    expect(reviewersFor('@acme/payments', 'acme')).toEqual({ users: [], teams: ['payments'] });
    expect(reviewersFor('@sre-lead', 'acme')).toEqual({ users: ['sre-lead'], teams: [] });
    expect(reviewersFor('@other/payments', 'acme')).toMatchObject({
      users: [],
      teams: [],
      note: expect.stringContaining('another organization'),
    });
  });
});

describe('the pull request the bot would open', () => {
  it('for an expired flag with code references left', async () => {
    const pull = plan().open.find((p) => p.key === 'new-checkout-flow')!;
    await expect(rendered(pull)).toMatchFileSnapshot('__snapshots__/pr-new-checkout-flow.txt');
  });

  it('for grants past their expiry or agreement', async () => {
    const pull = plan({ agreements }).open.find((p) => p.key === 'advanced-analytics')!;
    await expect(rendered(pull)).toMatchFileSnapshot('__snapshots__/pr-advanced-analytics.txt');
  });

  it('for an overdue review', async () => {
    const pull = plan().open.find((p) => p.key === 'webhook-delivery')!;
    await expect(rendered(pull)).toMatchFileSnapshot('__snapshots__/pr-webhook-delivery.txt');
  });
});
