import { describe, expect, it } from 'vitest';
import type { BundleContent, BundleFlag } from '../../scripts/runtime/bundle-format.js';
import { Evaluator } from '../../scripts/runtime/evaluate.js';

/**
 * Grants as the Evaluator indexes them: one without an expiry maps straight to its answer (shared
 * by the flag's grants of that variant), one with an expiry applies through the end of its date
 * (UTC) and not a millisecond after.
 */

const flag = (grants: BundleFlag['grants']): BundleFlag => ({
  type: 'entitlement',
  owner: '@acme/platform',
  valueType: 'string',
  variants: { basic: 'basic', pro: 'pro', scale: 'scale' },
  enabled: true,
  offVariant: 'basic',
  defaultVariant: 'basic',
  grants,
});

const content: BundleContent = {
  format: 'flags-bundle/v1',
  project: 'acme-platform',
  environment: 'production',
  flags: {
    plan: flag({
      org_always001: { variant: 'pro' },
      org_always002: { variant: 'pro' },
      org_scaled001: { variant: 'scale' },
      org_expiring1: { variant: 'scale', expires: '2026-11-30' },
    }),
  },
} as BundleContent;

const at = (instant: string) => new Evaluator(content, { now: () => Date.parse(instant) });

describe('grants in the Evaluator', () => {
  it('answer for every organization granted a variant, with the same frozen answer', () => {
    const evaluator = at('2026-11-24T12:00:00Z');
    const first = evaluator.resolve('plan', 'org_always001');
    expect(first).toEqual({ value: 'pro', variant: 'pro', reason: 'TARGETING_MATCH' });
    expect(evaluator.resolve('plan', 'org_always002')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(evaluator.resolve('plan', 'org_scaled001')).toEqual({
      value: 'scale',
      variant: 'scale',
      reason: 'TARGETING_MATCH',
    });
  });

  it('apply through the end of their expiry date, UTC, and not after', () => {
    const granted = { value: 'scale', variant: 'scale', reason: 'TARGETING_MATCH' };
    const fallback = { value: 'basic', variant: 'basic', reason: 'DEFAULT' };
    expect(at('2026-11-30T23:59:59.999Z').resolve('plan', 'org_expiring1')).toEqual(granted);
    expect(at('2026-12-01T00:00:00.000Z').resolve('plan', 'org_expiring1')).toEqual(fallback);
    // An expiring grant and a lasting one of the same variant give equal answers while both apply.
    expect(at('2026-11-24T12:00:00Z').resolve('plan', 'org_expiring1')).toEqual(
      at('2026-11-24T12:00:00Z').resolve('plan', 'org_scaled001'),
    );
  });
});
