import { describe, expect, it } from 'vitest';
import type { BundleContent, ClaimChangeRange } from '../../scripts/runtime/bundle-format.js';
import {
  type ClaimChange,
  FlagsRuntime,
  VerificationError,
  verifyBundle,
} from '../../scripts/runtime/index.js';
import { keysetFor, NOW, newKey, sampleContent, signedBundle } from './support.js';

const key = newKey();
const { trusted: keyset } = await keysetFor([{ key, environments: ['production'] }]);

const withRanges = (ranges: ClaimChangeRange[] | undefined, variant = 0): BundleContent => {
  const content = sampleContent('production', variant);
  if (ranges) content.claimChanges = ranges;
  return content;
};
const bundle = (serial: number, content: BundleContent, statement: { nextChangeAt?: number } = {}) =>
  signedBundle({ signers: [key.signer], statement: { serial, ...statement }, content });
/** A bundle whose statement says its content is flags-bundle/v1. */
const v1Bundle = (serial: number, content: BundleContent) =>
  signedBundle({
    signers: [key.signer],
    statement: { serial },
    content,
    patch: (statement) => ({ ...statement, bundleFormat: 'flags-bundle/v1' }),
  });

async function runtimeAt(clock: { now: number }) {
  const changes: ClaimChange[] = [];
  const runtime = await FlagsRuntime.create({
    environment: 'production',
    keyset,
    now: () => clock.now,
    onChange: (change) => changes.push(change),
  });
  return { runtime, changes };
}

const TRIAL_REMOVED: ClaimChangeRange = {
  from: 5,
  to: 6,
  organizations: { org_trial0001: { added: [], removed: ['sso'] } },
};

describe('claim changes in the runtime', () => {
  it('reports, after a swap, the organizations the new bundle names for the serial it replaced', async () => {
    const { runtime, changes } = await runtimeAt({ now: NOW });
    expect((await runtime.loadBytes(bundle(6, withRanges(undefined)))).ok).toBe(true);
    expect(changes).toEqual([]); // the first bundle replaces nothing
    const result = await runtime.loadBytes(bundle(7, withRanges([TRIAL_REMOVED], 1)));
    expect(result.ok && result.claimChange).toEqual({
      serial: 7,
      organizations: ['org_trial0001'],
      cause: 'bundle',
      at: NOW,
    });
    expect(changes).toHaveLength(1);
    expect(runtime.claimChangedSince('org_trial0001', 6)).toBe(true);
    expect(runtime.claimChangedSince('org_trial0001', 5)).toBe(true);
    expect(runtime.claimChangedSince('org_granted01', 6)).toBe(false);
    expect(runtime.claimChangedSince('org_trial0001', 7)).toBe(false);
    // A token from a newer bundle than this instance serves: this instance is behind, not the token.
    expect(runtime.claimChangedSince('org_trial0001', 9)).toBe(false);
  });

  it('treats a serial the bundle cannot bridge, or a range for everyone, as everyone changed', async () => {
    const { runtime, changes } = await runtimeAt({ now: NOW });
    await runtime.loadBytes(bundle(3, withRanges(undefined)));
    await runtime.loadBytes(bundle(7, withRanges([TRIAL_REMOVED, { from: 1, to: 2, everyone: true }], 1)));
    expect(changes.map((c) => c.organizations)).toEqual(['everyone']);
    expect(runtime.claimChangedSince('org_granted01', 3)).toBe(true); // 3 is in no range
    expect(runtime.claimChangedSince('org_granted01', 2)).toBe(true); // everyone
    expect(runtime.claimChangedSince('org_granted01', 6)).toBe(false);
  });

  it('reads a range it cannot understand as everyone, never as nobody', async () => {
    const { runtime } = await runtimeAt({ now: NOW });
    const odd = [
      { from: 5, to: 6, organizations: { org_trial0001: { added: 'sso' } } },
    ] as unknown as ClaimChangeRange[];
    await runtime.loadBytes(bundle(7, withRanges(odd)));
    expect(runtime.claimChangedSince('org_granted01', 6)).toBe(true);
  });

  it('accepts a flags-bundle/v1 bundle, which names no changes: a swap to it is everyone', async () => {
    const { runtime, changes } = await runtimeAt({ now: NOW });
    const v1 = { ...withRanges(undefined), format: 'flags-bundle/v1' } as BundleContent;
    await runtime.loadBytes(bundle(6, withRanges(undefined)));
    const result = await runtime.loadBytes(v1Bundle(7, v1));
    expect(result.ok).toBe(true);
    expect(changes.map((c) => c.organizations)).toEqual(['everyone']);
    expect(runtime.isEnabled('sso', 'org_granted01')).toBe(true);
  });

  it('refuses a newer content format and says to upgrade the runtime', async () => {
    const newer = signedBundle({
      signers: [key.signer],
      content: withRanges(undefined),
      patch: (statement) => ({ ...statement, bundleFormat: 'flags-bundle/v3' as 'flags-bundle/v2' }),
    });
    let error: unknown;
    try {
      await verifyBundle(newer, { keyset, environment: 'production', now: NOW });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).code).toBe('unsupported-format');
    expect((error as VerificationError).message).toContain('"flags-bundle/v3"');
    expect((error as VerificationError).message).toContain('upgrade flags-as-code');
  });

  it('refuses a content whose format is not the one its statement signs', async () => {
    const { runtime } = await runtimeAt({ now: NOW });
    const result = await runtime.loadBytes(v1Bundle(7, withRanges(undefined)));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('bad-content');
  });

  it("recomputes when a grant's last day ends and reports the organizations whose claim changed", async () => {
    const clock = { now: NOW };
    const { runtime, changes } = await runtimeAt(clock);
    await runtime.loadBytes(bundle(7, withRanges(undefined)));
    const mintedAt = clock.now;
    // org_trial0001's sso grant lasts through 2026-11-30.
    expect(runtime.nextClaimChangeAt).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(runtime.claimsFor('org_trial0001')).toContain('sso');
    clock.now = Date.parse('2026-11-30T23:59:59Z');
    runtime.checkClaimClock();
    expect(changes).toEqual([]);
    clock.now = Date.parse('2026-12-01T00:00:05Z');
    runtime.checkClaimClock();
    expect(changes).toEqual([{ serial: 7, organizations: ['org_trial0001'], cause: 'clock', at: clock.now }]);
    expect(runtime.claimsFor('org_trial0001')).not.toContain('sso');
    expect(runtime.claimChangedSince('org_trial0001', 7, mintedAt)).toBe(true);
    expect(runtime.claimChangedSince('org_trial0001', 7, clock.now)).toBe(false);
    expect(runtime.claimChangedSince('org_granted01', 7, mintedAt)).toBe(false);
    // Next: the end of new-checkout's own last day (2027-01-31), which changes no claim here.
    expect(runtime.nextClaimChangeAt).toBe(Date.parse('2027-02-01T00:00:00Z'));
  });

  it('arms for the nextChangeAt its statement names, and after it for what the content says', async () => {
    const clock = { now: NOW };
    const { runtime } = await runtimeAt(clock);
    await runtime.loadBytes(
      bundle(7, withRanges(undefined), { nextChangeAt: Date.parse('2026-11-25T00:00:00Z') }),
    );
    expect(runtime.nextClaimChangeAt).toBe(Date.parse('2026-11-25T00:00:00Z'));
    clock.now = Date.parse('2026-11-25T00:00:00Z');
    runtime.checkClaimClock();
    expect(runtime.nextClaimChangeAt).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });

  it('calls the onChange of a watch while it runs', async () => {
    const { runtime } = await runtimeAt({ now: NOW });
    await runtime.loadBytes(bundle(6, withRanges(undefined)));
    const seen: ClaimChange[] = [];
    const watch = runtime.watch({ bytes: bundle(7, withRanges([TRIAL_REMOVED], 1)) }, 10, {
      onChange: (change) => seen.push(change),
    });
    await expect.poll(() => seen.length).toBe(1);
    watch.stop();
    expect(seen[0]!.organizations).toEqual(['org_trial0001']);
  });
});
