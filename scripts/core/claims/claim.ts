import { Evaluator } from '../../runtime/evaluate.js';
import { compileEnvironment } from '../bundle/compile.js';
import { dayNumber, type IsoDate } from '../dates.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';

/**
 * The `feature_flags` claim of an access token: the sorted keys of the boolean flags on for one
 * organization, as the Evaluator computes it from the compiled bundle. Date-based commands evaluate
 * at the start of `today` (UTC), so a grant that expires today still counts, as it does all day.
 */

export interface Claim {
  organization: string;
  environment: string;
  keys: string[];
  /** Bytes of the claim as JSON (UTF-8), the size a token grows by. */
  bytes: number;
}

const encoder = new TextEncoder();

export const claimBytes = (keys: readonly string[]): number => encoder.encode(JSON.stringify(keys)).length;

/** Epoch milliseconds of the start of a UTC day: the instant date-based evaluation happens at. */
export function startOfDayMs(today: IsoDate): number {
  const day = dayNumber(today);
  if (day === undefined) throw new RangeError(`not a date: ${today}`);
  return day * 86_400_000;
}

export function evaluatorFor(
  flags: readonly { flag: Flag }[],
  policy: Policy,
  environment: string,
  today: IsoDate,
): Evaluator {
  const at = startOfDayMs(today);
  return new Evaluator(compileEnvironment(flags, policy, environment), { now: () => at });
}

export function claimOf(evaluator: Evaluator, organization: string): Claim {
  const keys = evaluator.claimsFor(organization);
  return { organization, environment: evaluator.content.environment, keys, bytes: claimBytes(keys) };
}
