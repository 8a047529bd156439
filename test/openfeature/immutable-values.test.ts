import { OpenFeature } from '@openfeature/server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { Evaluator, FlagsRuntime } from '../../scripts/runtime/index.js';
import { FlagsProvider } from '../../scripts/runtime/openfeature.js';
import { keysetFor, NOW, newKey, sampleContent, signedBundle } from '../runtime/support.js';

/**
 * Issue 12, item 18: a value the runtime or the provider hands out shares no memory a caller can
 * change. Values are deep-frozen once, when the bundle loads: changing one throws (these modules
 * are strict mode) and the next evaluation, for every caller, answers as before.
 */

const production = newKey();
const { trusted: keyset } = await keysetFor([{ key: production, environments: ['production'] }]);
const ORG = 'org_granted01';

async function loaded(): Promise<FlagsRuntime> {
  const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => NOW + 60_000 });
  const result = await runtime.loadBytes(signedBundle({ signers: [production.signer] }));
  if (!result.ok) throw result.error;
  return runtime;
}

afterAll(async () => {
  await OpenFeature.close();
});

describe('values handed out', () => {
  it('by the runtime cannot be changed, and the next evaluation answers as before', async () => {
    const runtime = await loaded();
    const given = runtime.resolveObject('api-limits', {}, ORG).value as { rpm: number };
    expect(given).toEqual({ rpm: 6000 });
    expect(() => {
      given.rpm = 1;
    }).toThrow(TypeError);
    expect(() => {
      (given as Record<string, unknown>).extra = true;
    }).toThrow(TypeError);
    expect(runtime.resolveObject('api-limits', {}, ORG).value).toEqual({ rpm: 6000 });
    expect(runtime.resolve('api-limits', ORG).value).toEqual({ rpm: 6000 });
  });

  it('by the runtime include the verified content, frozen all the way down', async () => {
    const runtime = await loaded();
    const content = runtime.evaluator!.content;
    expect(Object.isFrozen(content.flags)).toBe(true);
    expect(() => {
      (content.flags.sso as { owner: string }).owner = '@mallory';
    }).toThrow(TypeError);
    expect(() => {
      content.flags.sso!.grants.org_new = { variant: 'on' };
    }).toThrow(TypeError);
  });

  it('stay the same objects when the same content is loaded again (it is parsed and frozen once)', async () => {
    const runtime = await loaded();
    const before = runtime.evaluator!;
    const fresher = signedBundle({
      signers: [production.signer],
      statement: { serial: 8, issuedAt: NOW + 1000 },
    });
    const result = await runtime.loadBytes(fresher);
    expect(result.ok && result.changed).toBe(false);
    expect(runtime.statement!.serial).toBe(8);
    expect(runtime.evaluator).toBe(before);
    expect(runtime.evaluator!.content).toBe(before.content);
  });

  it('by the OpenFeature provider cannot be changed for the next caller', async () => {
    const runtime = await loaded();
    await OpenFeature.setProviderAndWait('immutable', new FlagsProvider(runtime));
    const client = OpenFeature.getClient('immutable');
    const details = await client.getObjectDetails('api-limits', {}, { targetingKey: ORG });
    expect(details.value).toEqual({ rpm: 6000 });
    expect(() => {
      (details.value as { rpm: number }).rpm = 1;
    }).toThrow(TypeError);
    const again = await client.getObjectDetails('api-limits', {}, { targetingKey: ORG });
    expect(again.value).toEqual({ rpm: 6000 });
    expect(() => {
      (again.flagMetadata as Record<string, unknown>).owner = '@mallory';
    }).toThrow(TypeError);
  });

  it('by an Evaluator over content the application built are frozen copies; its content stays its own', () => {
    const content = sampleContent();
    const evaluator = new Evaluator(content, { now: () => NOW });
    const given = evaluator.resolveObject('api-limits', {}, ORG).value as { rpm: number };
    expect(Object.isFrozen(given)).toBe(true);
    expect(Object.isFrozen(content.flags['api-limits']!.variants.scale)).toBe(false);
    (content.flags['api-limits']!.variants.scale as { rpm: number }).rpm = 1;
    expect(evaluator.resolveObject('api-limits', {}, ORG).value).toEqual({ rpm: 6000 });
  });
});
