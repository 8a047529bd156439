import type { JsonValue } from './bundle-format.js';

/**
 * Immutable JSON values. The runtime hands out variant values by reference (no copy per
 * evaluation, so boolean evaluation costs nothing more); they are frozen all the way down once,
 * when a bundle is loaded, so a caller that changes a value it was given gets a TypeError (strict
 * mode) or nothing, never a change to what the next evaluation answers.
 */

/** Freezes a parsed JSON value and everything in it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const member of Object.values(value)) if (!isDeepFrozen(member)) return false;
  return true;
}

/**
 * The value itself when it is deep-frozen already (verified content is: parseContent freezes it),
 * else a deep-frozen copy, so that content an application built and still holds is left as it was.
 */
export function immutable<T extends JsonValue>(value: T): T {
  return isDeepFrozen(value) ? value : deepFreeze(structuredClone(value));
}
