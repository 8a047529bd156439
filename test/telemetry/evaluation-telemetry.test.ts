import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BundleContent } from '../../scripts/runtime/bundle-format.js';
import {
  COUNTER_NAME,
  type DeprecatedFlag,
  EvaluationTelemetry,
  FlagsRuntime,
  type UsageSnapshot,
} from '../../scripts/runtime/index.js';
import { MAX_UNKNOWN_KEYS } from '../../scripts/runtime/telemetry.js';
import { keysetFor, NOW, newKey, sampleContent, signedBundle, type TestKey } from '../runtime/support.js';

/**
 * Evaluation telemetry as an application sees it: a FlagsRuntime serving real signed bundles,
 * counted in the runtime, read through a real OpenTelemetry MeterProvider (the SDK's in-memory
 * exporter) and through the JSON snapshot.
 */

let key: TestKey;

beforeAll(() => {
  key = newKey();
});

async function runtimeWith(options: {
  telemetry?: EvaluationTelemetry;
  onDeprecated?: (flag: DeprecatedFlag) => void;
}): Promise<FlagsRuntime> {
  const { trusted } = await keysetFor([{ key, environments: ['production', 'staging'] }]);
  return FlagsRuntime.create({ environment: 'production', keyset: trusted, now: () => NOW, ...options });
}

const bundleOf = (content: BundleContent, serial: number) =>
  signedBundle({ content, signers: [key.signer], statement: { serial } });

function deprecatedContent(keys: string[]): BundleContent {
  const content = sampleContent();
  for (const k of keys) content.flags[k]!.deprecated = true;
  return content;
}

/** A MeterProvider whose reader exports on demand into memory. */
function meterProvider() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    exporter.reset();
    await reader.forceFlush();
    const points = exporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === COUNTER_NAME)
      .flatMap((metric) => metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);
    return points.map((point) => ({ attributes: point.attributes, value: point.value }));
  };
  return { provider, collect };
}

const sortPoints = <T extends { attributes: Record<string, unknown> }>(points: T[]) =>
  points.sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));

describe('evaluation telemetry', () => {
  it('counts evaluations per flag and environment, read through an OpenTelemetry MeterProvider', async () => {
    const telemetry = new EvaluationTelemetry();
    const runtime = await runtimeWith({ telemetry });
    expect(await runtime.loadBytes(bundleOf(sampleContent(), 1))).toMatchObject({ ok: true });
    const { provider, collect } = meterProvider();
    const observation = telemetry.observe(provider.getMeter('app'));

    for (let i = 0; i < 5; i++) runtime.isEnabled('sso', 'org_granted01');
    runtime.resolveBoolean('new-checkout', false, 'org_other0001');
    runtime.resolveObject('api-limits', {}, 'org_granted01');
    runtime.resolveString('sso', 'x', 'org_granted01'); // a type mismatch still reads the flag

    const points = sortPoints(await collect());
    const attributes = (flag: string) => ({
      'feature_flag.key': flag,
      'feature_flag.provider.name': 'flags-as-code',
      'feature_flag.set.id': 'acme-platform/production',
      'deployment.environment.name': 'production',
    });
    expect(points).toEqual(
      sortPoints([
        { attributes: attributes('api-limits'), value: 1 },
        { attributes: attributes('new-checkout'), value: 1 },
        { attributes: attributes('sso'), value: 6 },
        { attributes: attributes('theme'), value: 0 },
      ]),
    );

    // A newer bundle keeps counting on the same series: the counter stays monotonic.
    expect(await runtime.loadBytes(bundleOf(sampleContent('production', 1), 2))).toMatchObject({
      ok: true,
      changed: true,
    });
    runtime.isEnabled('sso', 'org_granted01');
    expect((await collect()).find((p) => p.attributes['feature_flag.key'] === 'sso')?.value).toBe(7);

    // Stopped: the SDK is no longer told of later evaluations.
    observation.stop();
    runtime.isEnabled('sso', 'org_granted01');
    expect((await collect()).find((p) => p.attributes['feature_flag.key'] === 'sso')?.value ?? 7).toBe(7);
    expect(telemetry.snapshot().evaluations.find((e) => e.key === 'sso')?.count).toBe(8);
    await provider.shutdown();
  });

  it('counts per variant when asked, with feature_flag.result.variant', async () => {
    const telemetry = new EvaluationTelemetry({ variants: true });
    const runtime = await runtimeWith({ telemetry });
    await runtime.loadBytes(bundleOf(sampleContent(), 1));
    const { provider, collect } = meterProvider();
    telemetry.observe(provider.getMeter('app'));

    runtime.isEnabled('sso', 'org_granted01');
    runtime.isEnabled('sso', 'org_granted01');
    runtime.isEnabled('sso', 'org_nobody001');
    runtime.resolveNumber('sso', 0); // no variant: a series without the attribute

    const sso = sortPoints((await collect()).filter((p) => p.attributes['feature_flag.key'] === 'sso'));
    expect(sso.map((p) => [p.attributes['feature_flag.result.variant'], p.value])).toEqual(
      sortPoints([
        { attributes: { v: 'off' }, value: 1 },
        { attributes: { v: 'on' }, value: 2 },
        { attributes: {}, value: 1 },
      ]).map((p) => [p.attributes.v, p.value]),
    );
    await provider.shutdown();
  });

  it('writes a JSON snapshot: counts, when a reading first saw them, variants and unknown keys', async () => {
    let now = NOW;
    const telemetry = new EvaluationTelemetry({ variants: true, now: () => now });
    const runtime = await runtimeWith({ telemetry });
    await runtime.loadBytes(bundleOf(sampleContent(), 1));

    runtime.isEnabled('sso', 'org_granted01');
    runtime.isEnabled('sso-typo', 'org_granted01');
    runtime.resolveBoolean('removed-flag', false);
    runtime.resolveBoolean('removed-flag', false);
    now += 60_000;
    const first: UsageSnapshot = JSON.parse(JSON.stringify(telemetry.snapshot()));
    expect(first).toEqual({
      format: 'flags-usage/v1',
      provider: 'flags-as-code',
      since: '2026-11-24T12:00:00.000Z',
      at: '2026-11-24T12:01:00.000Z',
      evaluations: [
        { key: 'api-limits', project: 'acme-platform', environment: 'production', count: 0, variants: {} },
        { key: 'new-checkout', project: 'acme-platform', environment: 'production', count: 0, variants: {} },
        {
          key: 'sso',
          project: 'acme-platform',
          environment: 'production',
          count: 1,
          lastEvaluated: '2026-11-24T12:01:00.000Z',
          variants: { on: 1 },
        },
        { key: 'theme', project: 'acme-platform', environment: 'production', count: 0, variants: {} },
      ],
      unknown: [
        {
          key: 'removed-flag',
          project: 'acme-platform',
          environment: 'production',
          count: 2,
          lastEvaluated: '2026-11-24T12:01:00.000Z',
        },
        {
          key: 'sso-typo',
          project: 'acme-platform',
          environment: 'production',
          count: 1,
          lastEvaluated: '2026-11-24T12:01:00.000Z',
        },
      ],
    });

    // Not evaluated since: the last reading that saw it grow stays its time.
    now += 60_000;
    runtime.isEnabled('new-checkout', 'org_granted01');
    const second = telemetry.snapshot();
    expect(second.evaluations.find((e) => e.key === 'sso')?.lastEvaluated).toBe('2026-11-24T12:01:00.000Z');
    expect(second.evaluations.find((e) => e.key === 'new-checkout')).toMatchObject({
      count: 1,
      lastEvaluated: '2026-11-24T12:02:00.000Z',
      variants: { on: 1 },
    });
  });

  it('caps the unknown keys it counts, so made-up keys cannot grow memory', async () => {
    const telemetry = new EvaluationTelemetry();
    const runtime = await runtimeWith({ telemetry });
    await runtime.loadBytes(bundleOf(sampleContent(), 1));
    for (let i = 0; i < MAX_UNKNOWN_KEYS + 50; i++) runtime.isEnabled(`made-up-${i}`);
    runtime.isEnabled('made-up-0');
    const { unknown } = telemetry.snapshot();
    expect(unknown).toHaveLength(MAX_UNKNOWN_KEYS);
    expect(unknown.find((u) => u.key === 'made-up-0')?.count).toBe(2);
  });

  it('costs nothing to read when not asked for: no telemetry, no counts', async () => {
    const runtime = await runtimeWith({});
    await runtime.loadBytes(bundleOf(sampleContent(), 1));
    expect(runtime.isEnabled('sso', 'org_granted01')).toBe(true);
    const telemetry = new EvaluationTelemetry();
    expect(telemetry.snapshot().evaluations).toEqual([]);
  });
});

describe('deprecated flags', () => {
  it('are reported once per key at their first evaluation, across bundles', async () => {
    const reported: DeprecatedFlag[] = [];
    const runtime = await runtimeWith({ onDeprecated: (flag) => reported.push(flag) });
    await runtime.loadBytes(bundleOf(deprecatedContent(['new-checkout', 'theme']), 1));
    expect(reported).toEqual([]);

    runtime.isEnabled('sso', 'org_granted01');
    runtime.isEnabled('new-checkout', 'org_granted01');
    runtime.isEnabled('new-checkout', 'org_granted01');
    runtime.resolveBoolean('new-checkout', false);
    expect(reported).toEqual([
      {
        key: 'new-checkout',
        project: 'acme-platform',
        environment: 'production',
        owner: '@acme/platform',
        expires: '2027-01-31',
      },
    ]);

    // The next bundle still marks it: still once. A newly evaluated deprecated flag is reported.
    const next = deprecatedContent(['new-checkout', 'theme']);
    next.flags['api-limits']!.variants.scale = { rpm: 7000 };
    expect(await runtime.loadBytes(bundleOf(next, 2))).toMatchObject({ ok: true, changed: true });
    runtime.isEnabled('new-checkout', 'org_granted01');
    runtime.resolveString('theme', 'light', 'org_granted01');
    runtime.resolveString('theme', 'light', 'org_granted01');
    expect(reported.map((f) => f.key)).toEqual(['new-checkout', 'theme']);
  });

  it('are counted and reported together when both are asked for', async () => {
    const reported: string[] = [];
    const telemetry = new EvaluationTelemetry();
    const runtime = await runtimeWith({ telemetry, onDeprecated: (flag) => reported.push(flag.key) });
    await runtime.loadBytes(bundleOf(deprecatedContent(['sso']), 1));
    for (let i = 0; i < 3; i++) runtime.isEnabled('sso', 'org_granted01');
    expect(reported).toEqual(['sso']);
    expect(telemetry.snapshot().evaluations.find((e) => e.key === 'sso')?.count).toBe(3);
  });
});
