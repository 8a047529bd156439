import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepository } from '../../bench/generate-repo.js';
import { FLAGD_SCHEMA_URL, toFlagdDocument } from '../../scripts/core/flagd/export.js';
import { EXAMPLE, flagdCore, flagdSchemaErrors, type LoadedFlags, loadFlags, ROOT } from './support.js';

const EDGE_CASES = join(ROOT, 'test/fixtures/flagd/edge-cases');

type FlagdFlag = {
  state: string;
  defaultVariant: string;
  variants: Record<string, unknown>;
  targeting?: unknown;
  metadata: Record<string, unknown>;
};
const flagsOf = (document: Record<string, unknown>) => document.flags as Record<string, FlagdFlag>;

describe('the flagd export', () => {
  let example: LoadedFlags;
  let edge: LoadedFlags;
  beforeAll(async () => {
    [example, edge] = await Promise.all([loadFlags(EXAMPLE), loadFlags(EDGE_CASES)]);
  });

  it("validates against flagd's published schema for every environment of the example repository", () => {
    for (const environment of example.policy.environments) {
      const document = toFlagdDocument(example.flags, example.policy, environment);
      expect(document.$schema).toBe(FLAGD_SCHEMA_URL);
      expect(Object.keys(flagsOf(document))).toHaveLength(example.flags.length);
      expect(flagdSchemaErrors(document), environment).toBeUndefined();
    }
  });

  it('is checked by a validator that does reject what flagd rejects', () => {
    const document = toFlagdDocument(example.flags, example.policy, 'production');
    const broken = structuredClone(document);
    flagsOf(broken)['new-checkout-flow']!.state = 'ON';
    expect(flagdSchemaErrors(broken)).toMatch(/invalid flagd flag configuration/);
    const badVar = structuredClone(document);
    flagsOf(badVar)['sso-saml']!.targeting = { if: [{ in: [{ var: '$flagd.now' }, ['x']] }, 'on', null] };
    expect(flagdSchemaErrors(badVar)).toMatch(/invalid flagd flag configuration/);
  });

  it('matches the reviewed export of the edge-case repository, environment by environment', () => {
    for (const environment of edge.policy.environments) {
      const document = toFlagdDocument(edge.flags, edge.policy, environment);
      const expected = readFileSync(join(EDGE_CASES, 'expected', `${environment}.flagd.json`), 'utf8');
      expect(`${JSON.stringify(document, null, 2)}\n`).toBe(expected);
      expect(flagdSchemaErrors(document), environment).toBeUndefined();
    }
  });

  it('is deterministic: file order and key order in the input never show', () => {
    const forward = JSON.stringify(toFlagdDocument(example.flags, example.policy, 'production'));
    const reversed = JSON.stringify(
      toFlagdDocument([...example.flags].reverse(), example.policy, 'production'),
    );
    expect(reversed).toBe(forward);
    const document = JSON.parse(forward) as Record<string, unknown>;
    const keysSorted = (value: unknown): boolean => {
      if (Array.isArray(value)) return value.every(keysSorted);
      if (value === null || typeof value !== 'object') return true;
      const keys = Object.keys(value);
      return keys.every((k, i) => i === 0 || keys[i - 1]! < k) && Object.values(value).every(keysSorted);
    };
    expect(keysSorted(document)).toBe(true);
  });

  it('writes grants, their expiry and the rollout as JSON Logic over the targeting key', () => {
    const flags = flagsOf(toFlagdDocument(example.flags, example.policy, 'production'));
    expect(flags['advanced-analytics']).toMatchObject({
      state: 'ENABLED',
      defaultVariant: 'off',
      variants: { on: true, off: false },
      targeting: {
        if: [
          { in: [{ var: 'targetingKey' }, ['org_globex7731', 'org_initech2210', 'org_umbrella5521']] },
          'on',
          {
            and: [
              { in: [{ var: 'targetingKey' }, ['org_hooli40921']] },
              // 2027-01-01T00:00:00Z: the trial runs through 2026-12-31.
              { '<': [{ var: '$flagd.timestamp' }, 1798761600] },
            ],
          },
          'on',
          null,
        ],
      },
      metadata: {
        owner: '@acme/analytics',
        type: 'entitlement',
        contract: 'SKU-ANALYTICS-PRO',
        reviewed: '2026-10-15',
        enabled: true,
      },
    });
    expect(flags['new-checkout-flow']?.targeting).toEqual({
      fractional: [
        ['on', 25],
        ['off', 75],
      ],
    });
    expect(flags['onboarding-checklist']?.targeting).toEqual({
      fractional: [
        ['checklist', 50],
        ['control', 50],
      ],
    });
    expect(flags['webhook-delivery']).toMatchObject({ defaultVariant: 'on' });
    expect(flags['webhook-delivery']?.targeting).toBeUndefined();
  });

  it('serves the off variant in a disabled or unconfigured environment, state ENABLED and no targeting', () => {
    const flags = flagsOf(toFlagdDocument(example.flags, example.policy, 'production'));
    expect(flags['graphql-gateway']).toEqual({
      state: 'ENABLED',
      defaultVariant: 'off',
      variants: { off: false, on: true },
      metadata: {
        owner: '@acme/platform',
        type: 'release',
        expires: '2027-01-15',
        enabled: false,
      },
    });
    const development = flagsOf(toFlagdDocument(example.flags, example.policy, 'development'));
    // api-rate-limits has no development section: its defaultVariant, the off variant.
    expect(development['api-rate-limits']).toMatchObject({ state: 'ENABLED', defaultVariant: 'basic' });
    expect(development['api-rate-limits']?.targeting).toBeUndefined();
    const core = flagdCore(toFlagdDocument(example.flags, example.policy, 'production'));
    expect(
      core.resolveBooleanEvaluation('graphql-gateway', true, { targetingKey: 'org_x1234567' }),
    ).toMatchObject({ value: false, variant: 'off', reason: 'STATIC' });
  });

  it("can write flagd's own DISABLED state instead, which answers the caller's default", () => {
    const document = toFlagdDocument(example.flags, example.policy, 'production', {
      disabled: 'flagd-disabled',
    });
    expect(flagdSchemaErrors(document)).toBeUndefined();
    expect(flagsOf(document)['graphql-gateway']).toMatchObject({ state: 'DISABLED', defaultVariant: 'off' });
    expect(flagsOf(document)['sso-saml']?.state).toBe('ENABLED');
    const core = flagdCore(document);
    expect(
      core.resolveBooleanEvaluation('graphql-gateway', true, { targetingKey: 'org_x1234567' }),
    ).toMatchObject({ value: true, reason: 'DISABLED' });
  });

  it('reads the organization from a named attribute when asked, bucketing by flag key and that id', () => {
    const document = toFlagdDocument(example.flags, example.policy, 'production', {
      organizationAttribute: 'organizationId',
    });
    expect(flagdSchemaErrors(document)).toBeUndefined();
    const flags = flagsOf(document);
    expect(flags['sso-saml']?.targeting).toEqual({
      if: [
        {
          in: [{ var: 'organizationId' }, ['org_globex7731', 'org_umbrella5521', 'org_wayne880142']],
        },
        'on',
        null,
      ],
    });
    expect(flags['new-checkout-flow']?.targeting).toEqual({
      if: [
        { var: 'organizationId' },
        {
          fractional: [
            { cat: [{ var: '$flagd.flagKey' }, { var: 'organizationId' }] },
            ['on', 25],
            ['off', 75],
          ],
        },
        null,
      ],
    });
  });

  it('carries the project and environment as flag-set metadata', () => {
    const document = toFlagdDocument(example.flags, example.policy, 'staging');
    expect(document.metadata).toEqual({ project: 'acme-platform', environment: 'staging' });
  });

  describe('of a generated repository of 1,000 flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flagd-export-'));
    let generated: LoadedFlags;
    beforeAll(async () => {
      generateRepository(dir, { flags: 1000, seed: 3 });
      generated = await loadFlags(dir);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("validates against flagd's schema in every environment", () => {
      expect(generated.flags).toHaveLength(1000);
      for (const environment of generated.policy.environments) {
        const document = toFlagdDocument(generated.flags, generated.policy, environment);
        expect(flagdSchemaErrors(document), environment).toBeUndefined();
      }
    });
  });
});
