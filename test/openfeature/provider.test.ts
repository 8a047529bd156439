import { type Client, type EvaluationContext, OpenFeature } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { compileEnvironment } from '../../scripts/core/bundle/compile.js';
import { toFlagdDocument } from '../../scripts/core/flagd/export.js';
import type { BundleContent } from '../../scripts/runtime/bundle-format.js';
import { Evaluator } from '../../scripts/runtime/evaluate.js';
import { bucketOf } from '../../scripts/runtime/murmur3.js';
import { FlagsProvider } from '../../scripts/runtime/openfeature.js';
import { EXAMPLE, flagdCore, type LoadedFlags, loadFlags, randomOrgs } from '../flagd/support.js';

/** Every test evaluates through a real OpenFeature client, each provider in a domain of its own. */

const SNAPSHOT = Date.parse('2026-11-24T12:00:00Z');
let example: LoadedFlags;
let production: BundleContent;
let domains = 0;

async function clientFor(provider: FlagsProvider): Promise<Client> {
  const domain = `flags-${++domains}`;
  await OpenFeature.setProviderAndWait(domain, provider);
  return OpenFeature.getClient(domain);
}

beforeAll(async () => {
  example = await loadFlags(EXAMPLE);
  production = compileEnvironment(example.flags, example.policy, 'production');
});
afterAll(async () => {
  await OpenFeature.close();
});

describe('the OpenFeature provider', () => {
  it('turns a granted entitlement on for its organization only', async () => {
    const client = await clientFor(new FlagsProvider(production, { now: () => SNAPSHOT }));
    expect(await client.getBooleanValue('sso-saml', false, { targetingKey: 'org_globex7731' })).toBe(true);
    expect(await client.getBooleanValue('sso-saml', true, { targetingKey: 'org_hooli40921' })).toBe(false);
    const details = await client.getBooleanDetails('sso-saml', false, { targetingKey: 'org_globex7731' });
    expect(details).toMatchObject({
      flagKey: 'sso-saml',
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      flagMetadata: {
        owner: '@acme/identity',
        type: 'entitlement',
        contract: 'PLAN-ENTERPRISE',
        enabled: true,
        project: 'acme-platform',
        environment: 'production',
      },
    });
    expect(details.errorCode).toBeUndefined();
  });

  it("answers STATIC for a flag without targeting, DEFAULT for one with, and the caller's default with DISABLED", async () => {
    const client = await clientFor(new FlagsProvider(production, { now: () => SNAPSHOT }));
    expect(
      await client.getBooleanDetails('webhook-delivery', false, { targetingKey: 'org_x1234567' }),
    ).toMatchObject({ value: true, variant: 'on', reason: 'STATIC' });
    expect(await client.getBooleanDetails('sso-saml', true, { targetingKey: 'org_x1234567' })).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
    });
    for (const fallback of [true, false]) {
      const details = await client.getBooleanDetails('graphql-gateway', fallback, {
        targetingKey: 'org_x1234567',
      });
      expect(details).toMatchObject({ value: fallback, reason: 'DISABLED' });
      expect(details.variant).toBeUndefined();
    }
  });

  it('resolves string, number and object variants', async () => {
    const client = await clientFor(new FlagsProvider(production, { now: () => SNAPSHOT }));
    expect(
      await client.getNumberDetails('custom-data-retention', 0, { targetingKey: 'org_wayne880142' }),
    ).toMatchObject({ value: 2555, variant: 'legal-hold', reason: 'TARGETING_MATCH' });
    expect(
      await client.getObjectDetails('api-rate-limits', {}, { targetingKey: 'org_umbrella5521' }),
    ).toMatchObject({ value: { requestsPerMinute: 6000, burst: 1000 }, variant: 'scale' });
    const evaluator = new Evaluator(production);
    let checklist = 0;
    for (const org of randomOrgs(200, 1)) {
      const details = await client.getStringDetails('onboarding-checklist', 'none', { targetingKey: org });
      const rolledOut = bucketOf('onboarding-checklist', org) < 50;
      if (rolledOut) checklist++;
      expect(details).toMatchObject({
        value: rolledOut ? 'guided-checklist' : 'classic-welcome',
        variant: rolledOut ? 'checklist' : 'control',
        reason: rolledOut ? 'TARGETING_MATCH' : 'DEFAULT',
      });
      expect(details.value).toBe(evaluator.resolveString('onboarding-checklist', 'none', org).value);
    }
    expect(checklist).toBeGreaterThan(60);
    expect(checklist).toBeLessThan(140);
  });

  it("reports FLAG_NOT_FOUND with the caller's default", async () => {
    const client = await clientFor(new FlagsProvider(production));
    const details = await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'org_globex7731' });
    expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(details.errorMessage).toContain('no-such-flag');
    expect(await client.getStringValue('no-such-flag', 'fallback')).toBe('fallback');
  });

  it("reports TYPE_MISMATCH with the caller's default", async () => {
    const client = await clientFor(new FlagsProvider(production));
    const context = { targetingKey: 'org_globex7731' };
    expect(await client.getStringDetails('sso-saml', 'no', context)).toMatchObject({
      value: 'no',
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(await client.getBooleanDetails('custom-data-retention', false, context)).toMatchObject({
      value: false,
      errorCode: 'TYPE_MISMATCH',
    });
    expect(await client.getNumberValue('api-rate-limits', 7, context)).toBe(7);
  });

  it('takes the organization from a named attribute when configured', async () => {
    const client = await clientFor(
      new FlagsProvider(production, { organizationAttribute: 'organizationId', now: () => SNAPSHOT }),
    );
    expect(await client.getBooleanValue('sso-saml', false, { organizationId: 'org_globex7731' })).toBe(true);
    // The targeting key is not the organization here.
    expect(await client.getBooleanValue('sso-saml', false, { targetingKey: 'org_globex7731' })).toBe(false);
    expect(
      await client.getBooleanDetails('sso-saml', false, { organizationId: 42 as unknown as string }),
    ).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
  });

  it('merges the client context, as OpenFeature does', async () => {
    const client = await clientFor(new FlagsProvider(production, { now: () => SNAPSHOT }));
    client.setContext({ targetingKey: 'org_umbrella5521' });
    expect(await client.getBooleanValue('advanced-analytics', false)).toBe(true);
    expect(await client.getBooleanValue('advanced-analytics', false, { targetingKey: 'org_x1234567' })).toBe(
      false,
    );
  });

  it('treats a missing or empty organization id as no organization', async () => {
    const client = await clientFor(new FlagsProvider(production));
    // bucketOf('new-checkout-flow', '') = 14 < 25: an empty id must not be bucketed into the rollout.
    expect(bucketOf('new-checkout-flow', '')).toBeLessThan(25);
    for (const context of [{}, { targetingKey: '' }] as EvaluationContext[])
      expect(await client.getBooleanDetails('new-checkout-flow', true, context)).toMatchObject({
        value: false,
        variant: 'off',
        reason: 'DEFAULT',
      });
  });

  it('ends a trial grant with its last day, on the clock it is given', async () => {
    let now = Date.parse('2026-12-31T23:59:59.999Z');
    const client = await clientFor(new FlagsProvider(production, { now: () => now }));
    const context = { targetingKey: 'org_hooli40921' };
    expect(await client.getBooleanValue('advanced-analytics', false, context)).toBe(true);
    now = Date.parse('2027-01-01T00:00:00.000Z');
    expect(await client.getBooleanValue('advanced-analytics', false, context)).toBe(false);
  });

  it('follows the source to the newest verified bundle without being set again', async () => {
    const staging = compileEnvironment(example.flags, example.policy, 'staging');
    let current = new Evaluator(staging);
    const client = await clientFor(new FlagsProvider(() => current));
    const context = { targetingKey: 'org_x1234567' };
    expect(await client.getBooleanDetails('sso-saml', false, context)).toMatchObject({
      value: true,
      flagMetadata: { environment: 'staging' },
    });
    current = new Evaluator(production);
    expect(await client.getBooleanDetails('sso-saml', true, context)).toMatchObject({
      value: false,
      flagMetadata: { environment: 'production' },
    });
  });

  it('answers as flagd-core does over the flagd export, for every flag of every environment', async () => {
    const orgs = [
      'org_globex7731',
      'org_initech2210',
      'org_umbrella5521',
      'org_hooli40921',
      'org_wayne880142',
      'org_acmeqa01',
      ...randomOrgs(60, 9),
    ];
    // Both on the snapshot instant: flagd-core takes $flagd.timestamp from Date.now.
    const clock = vi.spyOn(Date, 'now').mockReturnValue(SNAPSHOT);
    onTestFinished(() => clock.mockRestore());
    for (const environment of example.policy.environments) {
      const content = compileEnvironment(example.flags, example.policy, environment);
      const client = await clientFor(new FlagsProvider(content, { now: () => SNAPSHOT }));
      const core = flagdCore(toFlagdDocument(example.flags, example.policy, environment));
      for (const key of Object.keys(content.flags)) {
        const type = content.flags[key]!.valueType;
        for (const org of orgs) {
          const context = { targetingKey: org };
          const ours =
            type === 'boolean'
              ? await client.getBooleanDetails(key, false, context)
              : type === 'string'
                ? await client.getStringDetails(key, '', context)
                : type === 'number'
                  ? await client.getNumberDetails(key, -1, context)
                  : await client.getObjectDetails(key, {}, context);
          if (!content.flags[key]!.enabled) {
            // OpenFeature's DISABLED: the caller's default, where the flagd export serves the off variant.
            expect({ key, org, reason: ours.reason, value: ours.value, variant: ours.variant }).toEqual({
              key,
              org,
              reason: 'DISABLED',
              value: type === 'boolean' ? false : type === 'string' ? '' : type === 'number' ? -1 : {},
              variant: undefined,
            });
            continue;
          }
          const theirs = core.resolve(type, key, ours.value as never, context);
          expect({ key, org, value: ours.value, variant: ours.variant }).toEqual({
            key,
            org,
            value: theirs.value,
            variant: theirs.variant,
          });
        }
      }
    }
  });
});
