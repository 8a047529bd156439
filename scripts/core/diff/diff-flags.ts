import { daysBetween, isValidDate } from '../dates.js';
import type { Flag, FlagEnvironment, Grant, Rollout, VariantValue } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import type {
  Change,
  ChangeDetail,
  DateChange,
  DiffSummary,
  EnvironmentState,
  FlagAt,
  FlagField,
  FlagsDiff,
  GrantField,
  GrantFieldChange,
  PolicyChange,
  Snapshot,
} from './types.js';

/**
 * Compares the changed flags of two sides. Flags are matched by key, not by path, so a file moved
 * to a subfolder is a move, not a removal and an addition. Pure: snapshots in, ordered changes out.
 */
export function diffSnapshots(base: Snapshot, head: Snapshot): FlagsDiff {
  const environments = environmentOrder(base, head);
  const brokenAtHead = new Set(head.problems.map((p) => p.file));
  // A file that no longer parses is not a removal: its flag is unknown, and `flags check` fails it.
  const baseFlags = base.flags.filter((f) => !brokenAtHead.has(f.file));
  const changes: Change[] = [];
  for (const [b, h] of matchByKey(baseFlags, head.flags)) {
    if (b && h) changes.push(...diffFlag(b, h, environments));
    else if (h) changes.push(...addedFlag(h, environments));
    else if (b) changes.push(...removedFlag(b, environments));
  }
  const problems = [...base.problems, ...head.problems].sort((x, y) =>
    x.file === y.file ? (x.side === y.side ? 0 : x.side === 'base' ? -1 : 1) : x.file < y.file ? -1 : 1,
  );
  const policy = diffPolicy(base.policy, head.policy);
  return {
    environments,
    changes,
    problems,
    ...(policy ? { policy } : {}),
    summary: summarize(changes, problems.length),
  };
}

function environmentOrder(base: Snapshot, head: Snapshot): string[] {
  const order = [...head.policy.environments];
  for (const env of base.policy.environments) if (!order.includes(env)) order.push(env);
  const extra = new Set<string>();
  for (const { flag } of [...base.flags, ...head.flags])
    for (const env of Object.keys(flag.environments)) if (!order.includes(env)) extra.add(env);
  return [...order, ...[...extra].sort()];
}

/** Pairs flags by key; where a key appears in several files, the same path pairs first. */
function matchByKey(base: readonly FlagAt[], head: readonly FlagAt[]): [FlagAt?, FlagAt?][] {
  const group = (flags: readonly FlagAt[]) => {
    const byKey = new Map<string, FlagAt[]>();
    for (const f of [...flags].sort((a, b) => compare(a.file, b.file))) {
      const list = byKey.get(f.flag.key) ?? [];
      list.push(f);
      byKey.set(f.flag.key, list);
    }
    return byKey;
  };
  const b = group(base);
  const h = group(head);
  const keys = [...new Set([...b.keys(), ...h.keys()])].sort(compare);
  const pairs: [FlagAt?, FlagAt?][] = [];
  for (const key of keys) {
    const left = [...(b.get(key) ?? [])];
    const right = [...(h.get(key) ?? [])];
    for (const l of [...left]) {
      const same = right.findIndex((r) => r.file === l.file);
      if (same < 0) continue;
      pairs.push([l, right[same]]);
      right.splice(same, 1);
      left.splice(left.indexOf(l), 1);
    }
    while (left.length > 0 && right.length > 0) pairs.push([left.shift(), right.shift()]);
    for (const l of left) pairs.push([l, undefined]);
    for (const r of right) pairs.push([undefined, r]);
  }
  return pairs;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const isEntitlement = (...flags: Flag[]): boolean => flags.some((f) => f.type === 'entitlement');

/** Builds changes of one flag, marking which of them concern customer access. */
function collector(key: string, flagType: Flag['type'], entitlement: boolean) {
  const changes: Change[] = [];
  const add = (detail: ChangeDetail, env?: string) => {
    const access =
      detail.kind.startsWith('grant-') ||
      detail.kind === 'contract-changed' ||
      (entitlement && env !== undefined);
    changes.push({ ...detail, key, flagType, ...(env !== undefined ? { env } : {}), access });
  };
  return { changes, add };
}

function addedFlag({ file, flag }: FlagAt, environments: readonly string[]): Change[] {
  const { changes, add } = collector(flag.key, flag.type, isEntitlement(flag));
  add({ kind: 'flag-added', file, type: flag.type, owner: flag.owner });
  for (const env of flagEnvironments(environments, flag)) {
    const config = flag.environments[env];
    if (!config) continue;
    add({ kind: 'environment-added', state: environmentState(config) }, env);
    for (const grant of config.grants ?? []) add({ kind: 'grant-added', org: grant.org, grant }, env);
  }
  return changes;
}

function removedFlag({ file, flag }: FlagAt, environments: readonly string[]): Change[] {
  const { changes, add } = collector(flag.key, flag.type, isEntitlement(flag));
  add({ kind: 'flag-removed', file, type: flag.type, owner: flag.owner });
  // Every organization granted the flag loses it: that is what an entitlement reviewer must see.
  for (const env of flagEnvironments(environments, flag))
    for (const grant of flag.environments[env]?.grants ?? [])
      add({ kind: 'grant-revoked', org: grant.org, grant }, env);
  return changes;
}

function diffFlag(b: FlagAt, h: FlagAt, environments: readonly string[]): Change[] {
  const before = b.flag;
  const after = h.flag;
  const { changes, add } = collector(after.key, after.type, isEntitlement(before, after));
  if (b.file !== h.file) add({ kind: 'flag-moved', from: b.file, to: h.file });
  if (before.type !== after.type) add({ kind: 'type-changed', from: before.type, to: after.type });
  if (before.owner !== after.owner) add({ kind: 'owner-changed', from: before.owner, to: after.owner });
  if (before.contract !== after.contract)
    add({ kind: 'contract-changed', ...defined({ from: before.contract, to: after.contract }) });
  if (before.expires !== after.expires)
    add({ kind: 'expiry-changed', ...dateChange(before.expires, after.expires) });
  const fields: [FlagField, string | undefined, string | undefined][] = [
    ['description', before.description, after.description],
    ['ticket', before.ticket, after.ticket],
    ['tags', before.tags?.join(', '), after.tags?.join(', ')],
    ['reviewed', before.reviewed, after.reviewed],
  ];
  for (const [field, from, to] of fields)
    if (from !== to) add({ kind: 'field-changed', field, ...defined({ from, to }) });
  const variants = diffVariants(before.variants, after.variants);
  if (variants) add({ kind: 'variants-changed', ...variants });
  if (before.defaultVariant !== after.defaultVariant)
    add({
      kind: 'default-variant-changed',
      ...defined({ from: before.defaultVariant, to: after.defaultVariant }),
    });
  for (const env of flagEnvironments(environments, before, after))
    diffEnvironment(before.environments[env], after.environments[env], (detail) => add(detail, env));
  return changes;
}

/** The environments of the policy order that either flag configures, then any it names besides. */
function flagEnvironments(order: readonly string[], ...flags: Flag[]): string[] {
  const named = new Set(flags.flatMap((f) => Object.keys(f.environments)));
  return [
    ...order.filter((env) => named.has(env)),
    ...[...named].filter((env) => !order.includes(env)).sort(),
  ];
}

function diffEnvironment(
  before: FlagEnvironment | undefined,
  after: FlagEnvironment | undefined,
  add: (detail: ChangeDetail) => void,
): void {
  if (!before && !after) return;
  if (!before && after) {
    add({ kind: 'environment-added', state: environmentState(after) });
    for (const grant of after.grants ?? []) add({ kind: 'grant-added', org: grant.org, grant });
    return;
  }
  if (before && !after) {
    add({ kind: 'environment-removed', state: environmentState(before) });
    for (const grant of before.grants ?? []) add({ kind: 'grant-revoked', org: grant.org, grant });
    return;
  }
  if (!before || !after) return;
  if (before.enabled !== after.enabled)
    add({ kind: 'enabled-changed', from: before.enabled, to: after.enabled });
  if (before.default !== after.default)
    add({ kind: 'default-changed', ...defined({ from: before.default, to: after.default }) });
  if (!sameRollout(before.rollout, after.rollout))
    add({ kind: 'rollout-changed', ...defined({ from: before.rollout, to: after.rollout }) });
  diffGrants(before.grants ?? [], after.grants ?? [], add);
}

const sameRollout = (a?: Rollout, b?: Rollout): boolean =>
  a === b || (a !== undefined && b !== undefined && a.percentage === b.percentage && a.variant === b.variant);

export function environmentState(env: FlagEnvironment): EnvironmentState {
  return {
    enabled: env.enabled,
    ...(env.default !== undefined ? { default: env.default } : {}),
    ...(env.rollout ? { rollout: env.rollout } : {}),
    grants: env.grants?.length ?? 0,
  };
}

/** Grants are matched by organization; an organization listed twice pairs in order of appearance. */
function diffGrants(
  before: readonly Grant[],
  after: readonly Grant[],
  add: (detail: ChangeDetail) => void,
): void {
  const remaining = new Map<string, Grant[]>();
  for (const grant of before) remaining.set(grant.org, [...(remaining.get(grant.org) ?? []), grant]);
  const added: Grant[] = [];
  const changed: ChangeDetail[] = [];
  for (const grant of after) {
    const previous = remaining.get(grant.org)?.shift();
    if (!previous) {
      added.push(grant);
      continue;
    }
    const fields = diffGrant(previous, grant);
    if (fields.length > 0)
      changed.push({ kind: 'grant-changed', org: grant.org, before: previous, after: grant, fields });
  }
  const revoked = before.filter((grant) => {
    const left = remaining.get(grant.org);
    if (!left?.includes(grant)) return false;
    left.splice(left.indexOf(grant), 1);
    return true;
  });
  for (const grant of added) add({ kind: 'grant-added', org: grant.org, grant });
  for (const grant of revoked) add({ kind: 'grant-revoked', org: grant.org, grant });
  for (const detail of changed) add(detail);
}

const GRANT_FIELDS: readonly GrantField[] = ['agreement', 'expires', 'variant', 'ticket', 'note'];

function diffGrant(before: Grant, after: Grant): GrantFieldChange[] {
  const out: GrantFieldChange[] = [];
  for (const field of GRANT_FIELDS) {
    if (before[field] === after[field]) continue;
    out.push(
      field === 'expires'
        ? { field, ...dateChange(before.expires, after.expires) }
        : { field, ...defined({ from: before[field], to: after[field] }) },
    );
  }
  return out;
}

/** Days between two dates; an expiry that disappears is an extension without end, so it has none. */
export function dateChange(from: string | undefined, to: string | undefined): DateChange {
  const change: DateChange = defined({ from, to });
  if (from !== undefined && to !== undefined && isValidDate(from) && isValidDate(to))
    change.days = daysBetween(from, to);
  return change;
}

function diffVariants(
  before: Record<string, VariantValue> | undefined,
  after: Record<string, VariantValue> | undefined,
): { added: string[]; removed: string[]; changed: string[] } | undefined {
  const a = before ?? {};
  const b = after ?? {};
  const added = Object.keys(b).filter((name) => !(name in a));
  const removed = Object.keys(a).filter((name) => !(name in b));
  const changed = Object.keys(b).filter((name) => name in a && canonical(a[name]) !== canonical(b[name]));
  return added.length + removed.length + changed.length > 0 ? { added, removed, changed } : undefined;
}

/** JSON with sorted object keys, so reordering an object variant's fields is not a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function diffPolicy(before: Policy, after: Policy): PolicyChange | undefined {
  const sections = (Object.keys(after) as (keyof Policy)[]).filter(
    (section) => canonical(before[section]) !== canonical(after[section]),
  );
  if (sections.length === 0) return undefined;
  return {
    sections,
    environmentsAdded: after.environments.filter((env) => !before.environments.includes(env)),
    environmentsRemoved: before.environments.filter((env) => !after.environments.includes(env)),
  };
}

function summarize(changes: readonly Change[], problems: number): DiffSummary {
  const keys = (kind?: Change['kind']) =>
    new Set(changes.filter((c) => kind === undefined || c.kind === kind).map((c) => c.key)).size;
  const flagsAdded = keys('flag-added');
  const flagsRemoved = keys('flag-removed');
  return {
    flagsAdded,
    flagsRemoved,
    flagsChanged: keys() - flagsAdded - flagsRemoved,
    accessChanges: changes.filter((c) => c.access).length,
    problems,
  };
}

/** Drops undefined members, so the JSON output and snapshots carry only what is there. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
