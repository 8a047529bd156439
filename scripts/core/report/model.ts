import { addDays, daysBetween, type IsoDate, isValidDate } from '../dates.js';
import { FLAG_TYPES, type Flag, type FlagType, isTemporary } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import type { FindingCode } from '../findings/codes.js';
import { staleFindings } from '../rules/stale.js';
import { usageByKey, type UsageExport, usageEvidence } from '../usage/model.js';

/**
 * The governance report as data: the inventory (one row per flag), the entitlement matrix (one row
 * per grant: which organization holds what, where, under which agreement, until when) and the
 * expiry timeline. Pure and deterministic: every date is relative to `today`, every list is sorted.
 */

export const REPORT_FORMAT = 'flags-report/v1';

/** The window of "due soon" in the timeline: due within this many days (inclusive). */
export const DUE_SOON_DAYS = 30;

export interface Change {
  commit: string;
  /** Author time, UTC, ISO 8601. */
  at: string;
  author: string;
}

export interface FileChanges {
  created: Change;
  lastChanged: Change;
  commits: number;
}

export interface HistoryInput {
  available: boolean;
  shallow: boolean;
  files: ReadonlyMap<string, FileChanges>;
}

export type Bucket = 'overdue' | 'due-soon' | 'later';
export type Status = Bucket | 'none';
export type Lifetime = 'temporary' | 'long-lived';

export interface EnvironmentState {
  /** "off" when disabled or not configured; else what most organizations get. */
  state: string;
  granted: number;
  rollout?: number;
}

export interface InventoryRow {
  key: string;
  file: string;
  type: FlagType;
  lifetime: Lifetime;
  owner: string;
  description: string;
  contract?: string;
  ticket?: string;
  tags: string[];
  created?: Change;
  lastChanged?: Change;
  reviewed?: IsoDate;
  reviewDue?: IsoDate;
  reviewDaysLeft?: number;
  expires?: IsoDate;
  expiresDaysLeft?: number;
  /** The flag's next lifecycle date: its expiry or its review, whichever comes first. */
  due?: { kind: 'expiry' | 'review'; date: IsoDate; daysLeft: number };
  status: Status;
  /** Agreement references of its grants, sorted, without repeats. */
  agreements: string[];
  /** Organizations granted per environment (grants not yet expired), for every policy environment. */
  granted: Record<string, number>;
  environments: Record<string, EnvironmentState>;
  /** Only for a flag that is not live (docs/lifecycle.md). */
  state?: 'deprecated' | 'archived';
  /** Only with a usage export: what it says of the flag. */
  usage?: { lastSeen?: IsoDate; count: number; text: string };
  /** Only when there are any: the stale findings of the flag, with their evidence. */
  findings?: { code: FindingCode; message: string }[];
}

export interface EntitlementRow {
  organization: string;
  environment: string;
  key: string;
  file: string;
  type: FlagType;
  owner: string;
  variant?: string;
  agreement?: string;
  ticket?: string;
  expires?: IsoDate;
  daysLeft?: number;
  status: 'active' | 'expiring' | 'expired';
}

export interface TimelineItem {
  date: IsoDate;
  daysLeft: number;
  bucket: Bucket;
  kind: 'flag-expiry' | 'review' | 'grant-expiry';
  key: string;
  file: string;
  owner: string;
  organization?: string;
  environment?: string;
}

export interface Report {
  format: typeof REPORT_FORMAT;
  project: string;
  today: IsoDate;
  environments: string[];
  /** Where created/last changed come from: the full history, a shallow clone's, or none. */
  history: 'full' | 'shallow' | 'none';
  summary: {
    flags: number;
    byType: Record<FlagType, number>;
    byLifetime: Record<Lifetime, number>;
    byOwner: { owner: string; flags: number }[];
    timeline: Record<Bucket, number>;
    organizations: number;
    grants: number;
  };
  flags: InventoryRow[];
  entitlements: EntitlementRow[];
  organizations: string[];
  timeline: TimelineItem[];
}

export interface ReportInput {
  flags: readonly { file: string; flag: Flag }[];
  policy: Policy;
  today: IsoDate;
  history?: HistoryInput;
  usage?: UsageExport;
  /** Findings the adapters worked out (lifecycle/unreferenced from the code trees), shown as stale. */
  findings?: readonly { file: string; code: FindingCode; message: string }[];
}

const daysLeft = (today: IsoDate, date: IsoDate | undefined): number | undefined =>
  date !== undefined && isValidDate(date) ? daysBetween(today, date) : undefined;

export const bucketOf = (left: number): Bucket =>
  left < 0 ? 'overdue' : left <= DUE_SOON_DAYS ? 'due-soon' : 'later';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function buildReport(input: ReportInput): Report {
  const { policy, today } = input;
  const environments = [...policy.environments];
  const envOrder = new Map(environments.map((e, i) => [e, i]));
  const sorted = [...input.flags].sort((a, b) => byText(a.flag.key, b.flag.key) || byText(a.file, b.file));
  const flags: InventoryRow[] = [];
  const entitlements: EntitlementRow[] = [];
  const timeline: TimelineItem[] = [];
  const stale = staleOf(input);
  const usage = input.usage ? usageByKey(input.usage) : undefined;
  for (const { file, flag } of sorted) {
    const row = inventoryRow(file, flag, policy, today, environments, input.history);
    flags.push(row);
    if (flag.deprecated === true || flag.archived === true)
      row.state = flag.archived === true ? 'archived' : 'deprecated';
    if (usage && input.usage) {
      const evidence = usageEvidence(
        usage.get(flag.key),
        input.usage.since,
        today,
        policy.stale.unevaluatedAfterDays,
      );
      row.usage = {
        ...(evidence.lastSeen ? { lastSeen: evidence.lastSeen } : {}),
        count: evidence.count,
        text: evidence.text,
      };
    }
    const findings = stale.get(file);
    if (findings) row.findings = findings;
    // An archived flag owes no date: it is in the inventory, never in the timeline.
    if (flag.archived === true) continue;
    if (row.expires !== undefined && row.expiresDaysLeft !== undefined)
      timeline.push(item('flag-expiry', row, row.expires, row.expiresDaysLeft));
    if (row.reviewDue !== undefined && row.reviewDaysLeft !== undefined)
      timeline.push(item('review', row, row.reviewDue, row.reviewDaysLeft));
    for (const environment of Object.keys(flag.environments)) {
      for (const grant of flag.environments[environment]!.grants ?? []) {
        const left = daysLeft(today, grant.expires);
        const entry: EntitlementRow = {
          organization: grant.org,
          environment,
          key: flag.key,
          file,
          type: flag.type,
          owner: flag.owner,
          status: left === undefined || left > DUE_SOON_DAYS ? 'active' : left < 0 ? 'expired' : 'expiring',
        };
        if (grant.variant !== undefined) entry.variant = grant.variant;
        if (grant.agreement !== undefined) entry.agreement = grant.agreement;
        if (grant.ticket !== undefined) entry.ticket = grant.ticket;
        if (grant.expires !== undefined) entry.expires = grant.expires;
        if (left !== undefined) {
          entry.daysLeft = left;
          timeline.push({
            ...item('grant-expiry', row, grant.expires!, left),
            organization: grant.org,
            environment,
          });
        }
        entitlements.push(entry);
      }
    }
  }
  const envIndex = (e: string) => envOrder.get(e) ?? environments.length;
  entitlements.sort(
    (a, b) =>
      byText(a.organization, b.organization) ||
      envIndex(a.environment) - envIndex(b.environment) ||
      byText(a.environment, b.environment) ||
      byText(a.key, b.key),
  );
  timeline.sort(
    (a, b) =>
      byText(a.date, b.date) ||
      byText(a.key, b.key) ||
      byText(a.kind, b.kind) ||
      byText(a.organization ?? '', b.organization ?? '') ||
      envIndex(a.environment ?? '') - envIndex(b.environment ?? ''),
  );
  const byType = Object.fromEntries(FLAG_TYPES.map((t) => [t, 0])) as Record<FlagType, number>;
  const byLifetime: Record<Lifetime, number> = { 'long-lived': 0, temporary: 0 };
  const owners = new Map<string, number>();
  for (const row of flags) {
    byType[row.type]++;
    byLifetime[row.lifetime]++;
    owners.set(row.owner, (owners.get(row.owner) ?? 0) + 1);
  }
  const counts: Record<Bucket, number> = { overdue: 0, 'due-soon': 0, later: 0 };
  for (const entry of timeline) counts[entry.bucket]++;
  const organizations = [...new Set(entitlements.map((e) => e.organization))].sort(byText);
  return {
    format: REPORT_FORMAT,
    project: policy.project,
    today,
    environments,
    history: !input.history?.available ? 'none' : input.history.shallow ? 'shallow' : 'full',
    summary: {
      flags: flags.length,
      byType,
      byLifetime,
      byOwner: [...owners]
        .map(([owner, n]) => ({ owner, flags: n }))
        .sort((a, b) => b.flags - a.flags || byText(a.owner, b.owner)),
      timeline: counts,
      organizations: organizations.length,
      grants: entitlements.length,
    },
    flags,
    entitlements,
    organizations,
    timeline,
  };
}

/** The stale findings per file: lifetimes from the history's first commits, unevaluated from the usage export. */
function staleOf(input: ReportInput): Map<string, { code: FindingCode; message: string }[]> {
  const created = new Map<string, IsoDate>();
  for (const [file, changes] of input.history?.available ? input.history.files : [])
    created.set(file, changes.created.at.slice(0, 10));
  const out = new Map<string, { code: FindingCode; message: string }[]>();
  for (const f of staleFindings({
    flags: input.flags.map(({ file, flag }) => ({ file, flag, at: { line: 1, col: 1 } })),
    policy: input.policy,
    today: input.today,
    created,
    ...(input.usage ? { usage: input.usage } : {}),
  })) {
    const list = out.get(f.file) ?? [];
    list.push({ code: f.code, message: f.message });
    out.set(f.file, list);
  }
  for (const f of input.findings ?? []) {
    const list = out.get(f.file) ?? [];
    list.push({ code: f.code, message: f.message });
    out.set(f.file, list);
  }
  return out;
}

function item(kind: TimelineItem['kind'], row: InventoryRow, date: IsoDate, left: number): TimelineItem {
  return {
    date,
    daysLeft: left,
    bucket: bucketOf(left),
    kind,
    key: row.key,
    file: row.file,
    owner: row.owner,
  };
}

function inventoryRow(
  file: string,
  flag: Flag,
  policy: Policy,
  today: IsoDate,
  environments: readonly string[],
  history: HistoryInput | undefined,
): InventoryRow {
  const temporary = isTemporary(flag.type);
  const row: InventoryRow = {
    key: flag.key,
    file,
    type: flag.type,
    lifetime: temporary ? 'temporary' : 'long-lived',
    owner: flag.owner,
    description: flag.description,
    tags: [...(flag.tags ?? [])],
    status: 'none',
    agreements: [],
    granted: {},
    environments: {},
  };
  if (flag.contract !== undefined) row.contract = flag.contract;
  if (flag.ticket !== undefined) row.ticket = flag.ticket;
  const changes = history?.files.get(file);
  if (changes) {
    row.created = changes.created;
    row.lastChanged = changes.lastChanged;
  }
  if (flag.reviewed !== undefined) row.reviewed = flag.reviewed;
  const cadence = temporary ? undefined : policy.types[flag.type].reviewEveryDays;
  if (cadence !== undefined && flag.reviewed !== undefined && isValidDate(flag.reviewed)) {
    row.reviewDue = addDays(flag.reviewed, cadence);
    row.reviewDaysLeft = daysBetween(today, row.reviewDue);
  }
  if (flag.expires !== undefined) {
    row.expires = flag.expires;
    const left = daysLeft(today, flag.expires);
    if (left !== undefined) row.expiresDaysLeft = left;
  }
  if (row.expires !== undefined && row.expiresDaysLeft !== undefined)
    row.due = { kind: 'expiry', date: row.expires, daysLeft: row.expiresDaysLeft };
  if (
    row.reviewDue !== undefined &&
    row.reviewDaysLeft !== undefined &&
    (row.due === undefined || row.reviewDaysLeft < row.due.daysLeft)
  )
    row.due = { kind: 'review', date: row.reviewDue, daysLeft: row.reviewDaysLeft };
  if (row.due) row.status = bucketOf(row.due.daysLeft);
  const agreements = new Set<string>();
  for (const environment of environments) {
    const config = flag.environments[environment];
    const active = (config?.grants ?? []).filter((g) => {
      const left = daysLeft(today, g.expires);
      return left === undefined || left >= 0;
    });
    row.granted[environment] = new Set(active.map((g) => g.org)).size;
    const state: EnvironmentState = { state: stateOf(flag, config), granted: row.granted[environment]! };
    if (config?.enabled && config.rollout && config.rollout.percentage > 0)
      state.rollout = config.rollout.percentage;
    row.environments[environment] = state;
  }
  for (const config of Object.values(flag.environments))
    for (const grant of config.grants ?? [])
      if (grant.agreement !== undefined) agreements.add(grant.agreement);
  row.agreements = [...agreements].sort(byText);
  return row;
}

/**
 * What an organization without a grant gets: "on"/"off" for boolean flags, the variant name
 * otherwise; "disabled" when the environment is off and "-" when the flag does not configure it.
 */
function stateOf(flag: Flag, config: Flag['environments'][string] | undefined): string {
  if (!config) return '-';
  if (!config.enabled) return 'disabled';
  if (flag.variants === undefined) return config.default === true ? 'on' : 'off';
  if (typeof config.default === 'string') return config.default;
  return flag.defaultVariant ?? Object.keys(flag.variants)[0] ?? '-';
}
