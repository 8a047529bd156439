import { MetricsHook } from '@openfeature/open-telemetry-hooks';
import { OpenFeature } from '@openfeature/server-sdk';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleContent } from '../../scripts/runtime/bundle-format.js';
import { type DeprecatedFlag, EvaluationTelemetry, FlagsRuntime } from '../../scripts/runtime/index.js';
import { FlagsProvider } from '../../scripts/runtime/openfeature.js';
import { keysetFor, NOW, newKey, sampleContent, signedBundle } from '../runtime/support.js';

/**
 * The OpenFeature provider with OpenFeature's own OpenTelemetry hooks: the MetricsHook's counters
 * name this provider and the variants and reasons it resolves, beside the runtime's own counter,
 * through one real MeterProvider. Deprecated flags show in flag metadata and are reported once.
 */

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });

async function collect(name: string) {
  exporter.reset();
  await reader.forceFlush();
  return exporter
    .getMetrics()
    .flatMap((resource) => resource.scopeMetrics)
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[])
    .map((point) => ({ attributes: point.attributes, value: point.value }));
}

function deprecated(content: BundleContent, key: string): BundleContent {
  content.flags[key]!.deprecated = true;
  return content;
}

beforeAll(() => {
  // The MetricsHook takes its Meter from the global MeterProvider, as applications set it up.
  metrics.setGlobalMeterProvider(meterProvider);
});
afterAll(async () => {
  await OpenFeature.close();
  await meterProvider.shutdown();
  metrics.disable();
});

describe('the OpenFeature provider with @openfeature/open-telemetry-hooks', () => {
  it('feeds the MetricsHook, and the runtime counts the same evaluations', async () => {
    const key = newKey();
    const telemetry = new EvaluationTelemetry({ variants: true });
    const deprecations: DeprecatedFlag[] = [];
    const runtime = await FlagsRuntime.create({
      environment: 'production',
      keyset: (await keysetFor([{ key, environments: ['production'] }])).trusted,
      now: () => NOW,
      telemetry,
    });
    await runtime.loadBytes(
      signedBundle({ content: deprecated(sampleContent(), 'new-checkout'), signers: [key.signer] }),
    );
    telemetry.observe(meterProvider.getMeter('app'));
    await OpenFeature.setProviderAndWait(
      'hooks',
      new FlagsProvider(runtime, { onDeprecated: (flag) => deprecations.push(flag) }),
    );
    const client = OpenFeature.getClient('hooks');
    client.addHooks(new MetricsHook());

    await client.getBooleanValue('sso', false, { targetingKey: 'org_granted01' });
    await client.getBooleanValue('sso', false, { targetingKey: 'org_nobody001' });
    await client.getStringValue('theme', 'light', { targetingKey: 'org_granted01' });
    const checkout = await client.getBooleanDetails('new-checkout', false, { targetingKey: 'org_granted01' });
    await client.getBooleanDetails('new-checkout', false, { targetingKey: 'org_granted01' });
    await client.getBooleanValue('no-such-flag', false);

    const success = await collect('feature_flag.evaluation_success_total');
    const point = (flag: string, variant: string | undefined, reason: string) =>
      success.find(
        (p) =>
          p.attributes['feature_flag.key'] === flag &&
          p.attributes['feature_flag.result.variant'] === variant &&
          p.attributes['feature_flag.result.reason'] === reason,
      )?.value;
    expect(success.every((p) => p.attributes['feature_flag.provider.name'] === 'flags-as-code')).toBe(true);
    expect(point('sso', 'on', 'TARGETING_MATCH')).toBe(1);
    expect(point('sso', 'off', 'DEFAULT')).toBe(1);
    // A disabled flag: the caller's default, no variant (the hook then names the value).
    expect(point('theme', 'light', 'DISABLED')).toBe(1);
    expect(point('new-checkout', 'on', 'TARGETING_MATCH')).toBe(2);
    expect(await collect('feature_flag.evaluation_error_total')).toEqual([
      expect.objectContaining({
        attributes: expect.objectContaining({ 'feature_flag.key': 'no-such-flag' }),
        value: 1,
      }),
    ]);

    // The runtime's own counter saw the same evaluations, per variant.
    const counted = await collect('feature_flag.evaluations');
    const runtimeCount = (flag: string, variant: string) =>
      counted.find(
        (p) =>
          p.attributes['feature_flag.key'] === flag &&
          p.attributes['feature_flag.result.variant'] === variant,
      )?.value;
    expect([
      runtimeCount('sso', 'on'),
      runtimeCount('sso', 'off'),
      runtimeCount('new-checkout', 'on'),
    ]).toEqual([1, 1, 2]);
    expect(telemetry.snapshot().unknown.map((u) => u.key)).toEqual(['no-such-flag']);

    expect(checkout.flagMetadata).toMatchObject({ deprecated: true, owner: '@acme/platform' });
    expect(deprecations).toEqual([
      {
        key: 'new-checkout',
        project: 'acme-platform',
        environment: 'production',
        owner: '@acme/platform',
        expires: '2027-01-31',
      },
    ]);
  });
});
