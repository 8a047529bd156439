import type { BundleContent, ClaimChangeRange, ClaimDelta } from './bundle-format.js';
import { endOfDay, type Evaluator } from './evaluate.js';

/**
 * Whose `feature_flags` claim changed, as an application's session layer needs to know it: after
 * a bundle swap (from the bundle's signed `claimChanges`) and when the clock passes the end of a
 * grant's last day (no new bundle comes for that). An application refreshes exactly the sessions
 * of those organizations; one that cannot tell refreshes everyone's.
 */

export interface ClaimChange {
  /** The serial being served once the change took effect. */
  serial: number;
  /** Sorted organization ids, or everyone's claim may have changed. */
  organizations: string[] | 'everyone';
  /** A new bundle, or the clock (a grant's last day ended). */
  cause: 'bundle' | 'clock';
  /** Epoch ms at which the runtime saw it. */
  at: number;
}

interface IndexedRange {
  from: number;
  to: number;
  organizations: ReadonlyMap<string, ClaimDelta> | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * The ranges of a content's claimChanges, read defensively: the content is signed, but a range
 * this runtime cannot read counts as everyone's change, never as nobody's.
 */
export function indexClaimChanges(content: BundleContent, serial: number): IndexedRange[] {
  const ranges: unknown = content.claimChanges;
  if (!Array.isArray(ranges)) return [];
  const out: IndexedRange[] = [];
  for (const range of ranges as unknown[]) {
    if (!isRecord(range)) continue;
    const { from, to } = range as Partial<ClaimChangeRange>;
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from! > to! || to! >= serial) continue;
    let organizations: Map<string, ClaimDelta> | undefined;
    if (range.everyone !== true && isRecord(range.organizations)) {
      organizations = new Map();
      for (const [id, delta] of Object.entries(range.organizations)) {
        if (!isRecord(delta) || !isStrings(delta.added) || !isStrings(delta.removed)) {
          organizations = undefined;
          break;
        }
        organizations.set(id, { added: delta.added, removed: delta.removed });
      }
    }
    out.push({ from: from!, to: to!, organizations });
  }
  return out;
}

/** The range covering a held serial; undefined when none does (the application cannot bridge). */
export const rangeFor = (ranges: readonly IndexedRange[], held: number): IndexedRange | undefined =>
  ranges.find((r) => r.from <= held && held <= r.to);

const EXPIRES = '"expires":"';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The first instant after `after` at which a claim may change with no new bundle: the end of the
 * last day of a grant or a flag. Read from the content's canonical JSON text, where `"expires":"`
 * can only open an expiry's value (a quote inside a string is escaped), so the build, which holds
 * the content as bytes and not every flag as an object, and the runtime find the same instant.
 * An expiry that changes nobody's claim only costs a recomputation.
 */
export function nextChangeAfter(contentText: string, after: number): number | undefined {
  let next: number | undefined;
  for (let i = contentText.indexOf(EXPIRES); i >= 0; i = contentText.indexOf(EXPIRES, i + 1)) {
    const date = contentText.slice(i + EXPIRES.length, i + EXPIRES.length + 10);
    if (!DATE.test(date)) continue;
    const at = endOfDay(date);
    if (at > after && (next === undefined || at < next)) next = at;
  }
  return next;
}

/**
 * The organizations whose claim changed at instant `at` (the end of some grants' last day): a
 * grant on a boolean flag that ended then, whose answer differs from what the organization gets
 * now (a rollout or the default may give the same).
 */
export function clockChangesAt(evaluator: Evaluator, at: number): string[] {
  const changed = new Set<string>();
  const flags = evaluator.content.flags;
  for (const key of Object.keys(flags)) {
    const flag = flags[key]!;
    if (flag.valueType !== 'boolean' || !flag.enabled) continue;
    for (const organization of Object.keys(flag.grants)) {
      const grant = flag.grants[organization]!;
      if (grant.expires === undefined || endOfDay(grant.expires) !== at) continue;
      const before = flag.variants[grant.variant] === true;
      if (before !== evaluator.isEnabled(key, organization)) changed.add(organization);
    }
  }
  return [...changed].sort();
}

/** How many changes by the clock are kept for claimChangedSince; older tokens count as changed. */
const CLOCK_HISTORY = 64;

/**
 * What a runtime knows about claim changes: the serving bundle's ranges and the recent changes
 * by the clock. `changedSince` is a range lookup and a Map probe.
 */
export class ClaimChangeLog {
  private serial = 0;
  private ranges: IndexedRange[] = [];
  private clock: { at: number; organizations: ReadonlySet<string> }[] = [];
  /** Changes by the clock before this instant were dropped from the history. */
  private horizon = Number.NEGATIVE_INFINITY;

  /** A bundle starts serving; returns the change from the previous one (none for the first). */
  swapped(
    content: BundleContent,
    serial: number,
    previous: number | undefined,
    at: number,
  ): ClaimChange | undefined {
    this.serial = serial;
    this.ranges = indexClaimChanges(content, serial);
    if (previous === undefined || previous >= serial) return undefined;
    const range = rangeFor(this.ranges, previous);
    const organizations = range?.organizations ? [...range.organizations.keys()].sort() : 'everyone';
    return { serial, organizations, cause: 'bundle', at };
  }

  /** The clock passed the end of some grants' last day. */
  clockChanged(organizations: readonly string[], at: number): ClaimChange {
    this.clock.push({ at, organizations: new Set(organizations) });
    if (this.clock.length > CLOCK_HISTORY) this.horizon = this.clock.shift()!.at;
    return { serial: this.serial, organizations: [...organizations], cause: 'clock', at };
  }

  /**
   * Whether a claim minted from `serial` (at `mintedAt`, epoch ms, when given) may differ from the
   * organization's claim now. A serial newer than the one served says no: this instance is behind.
   */
  changedSince(organization: string, serial: number, mintedAt?: number): boolean {
    if (serial < this.serial) {
      const range = rangeFor(this.ranges, serial);
      if (!range?.organizations || range.organizations.has(organization)) return true;
    }
    if (mintedAt === undefined) return false;
    if (mintedAt < this.horizon) return true;
    return this.clock.some((change) => change.at > mintedAt && change.organizations.has(organization));
  }

  /** The delta of one organization since a serial, when the serving bundle names it. */
  deltaSince(organization: string, serial: number): ClaimDelta | 'everyone' | undefined {
    if (serial >= this.serial) return undefined;
    const range = rangeFor(this.ranges, serial);
    if (!range?.organizations) return 'everyone';
    return range.organizations.get(organization);
  }
}

/** setTimeout's longest delay; a later instant is reached in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Wakes a runtime at the next instant a claim may change. The timer is unref'd (it never keeps a
 * process alive) and re-armed at every bundle swap; `due` runs the recomputation when the clock
 * has passed the instant, so a late timer (a suspended laptop) still reports.
 */
export class ClaimClock {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private next: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly fire: (at: number) => number | undefined,
  ) {}

  /** Arms the timer for `next` (undefined: nothing is due). */
  arm(next: number | undefined): void {
    this.stop();
    this.next = next;
    if (next === undefined) return;
    const delay = Math.min(Math.max(next - this.now(), 0), MAX_DELAY);
    this.timer = setTimeout(() => this.due(), delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** The instant armed for, if any. */
  get nextAt(): number | undefined {
    return this.next;
  }

  /** Runs every recomputation whose instant has passed, then arms for the following one. */
  due(): void {
    let next = this.next;
    while (next !== undefined && this.now() >= next) next = this.fire(next);
    this.arm(next);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
