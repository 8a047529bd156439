import { generateKeyPairSync } from 'node:crypto';
import { type EventDetails, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileEnvironment } from '../../scripts/core/bundle/compile.js';
import { createKeyset, keysetEntry } from '../../scripts/core/bundle/keyset.js';
import { assembleBundle, type Signer, signerOf } from '../../scripts/core/bundle/sign.js';
import { contentBytesOf, makeStatement } from '../../scripts/core/bundle/statement.js';
import { canonicalJson } from '../../scripts/core/canonical-json.js';
import { FlagsRuntime, type TrustedKeyset, verifyKeyset } from '../../scripts/runtime/index.js';
import { FlagsProvider } from '../../scripts/runtime/openfeature.js';
import { EXAMPLE, type LoadedFlags, loadFlags } from '../flagd/support.js';

/**
 * The provider over the runtime client, as applications use it: signed bundles verified by
 * FlagsRuntime, the provider registered once, and every newer bundle served as soon as it verifies.
 */

const NOW = Date.parse('2026-11-24T12:00:00Z');
let example: LoadedFlags;
let signer: Signer;
let keyset: TrustedKeyset;

function bundle(environment: string, serial: number, flags = example.flags): Uint8Array {
  const contentBytes = contentBytesOf(compileEnvironment(flags, example.policy, environment));
  const statement = makeStatement(contentBytes, {
    project: example.policy.project,
    environment,
    serial,
    issuedAt: NOW - 60_000,
    validForHours: 168,
    maxClockSkewSeconds: 300,
    commit: '0'.repeat(40),
    dirty: false,
    development: false,
  });
  return assembleBundle(contentBytes, statement, [signer]);
}

beforeAll(async () => {
  example = await loadFlags(EXAMPLE);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  signer = signerOf(privateKey);
  const [keyid, entry] = keysetEntry({
    publicKey,
    environments: ['production', 'staging'],
    notBefore: NOW - 86_400_000,
  });
  const file = createKeyset(example.policy.project, { [keyid]: entry }, [signer], NOW - 86_400_000);
  keyset = await verifyKeyset(canonicalJson(file));
});
afterAll(async () => {
  await OpenFeature.close();
});

describe('the OpenFeature provider over the runtime client', () => {
  it('is NOT_READY until a bundle verifies, then serves it and every newer one', async () => {
    const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => NOW });
    OpenFeature.setProvider('runtime', new FlagsProvider(runtime));
    const client = OpenFeature.getClient('runtime');
    const context = { targetingKey: 'org_globex7731' };

    expect(client.providerStatus).toBe(ProviderStatus.NOT_READY);
    expect(await client.getBooleanDetails('sso-saml', false, context)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });

    const ready = new Promise((resolve) => client.addHandler(ProviderEvents.Ready, resolve));
    expect(await runtime.loadBytes(bundle('production', 1))).toMatchObject({ ok: true });
    await ready;
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getBooleanDetails('sso-saml', false, context)).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      flagMetadata: { environment: 'production', owner: '@acme/identity' },
    });

    // Serial 2 drops sso-saml's production grants; the provider follows without being set again.
    const withoutGrants = example.flags.map((entry) =>
      entry.flag.key !== 'sso-saml'
        ? entry
        : {
            ...entry,
            flag: {
              ...entry.flag,
              environments: {
                ...entry.flag.environments,
                production: { enabled: true, default: false },
              },
            },
          },
    );
    const changed = new Promise<EventDetails>((resolve) =>
      client.addHandler(ProviderEvents.ConfigurationChanged, (details) => resolve(details!)),
    );
    expect(await runtime.loadBytes(bundle('production', 2, withoutGrants))).toMatchObject({ ok: true });
    // No grants and no rollout left: every organization gets the same answer.
    expect(await client.getBooleanDetails('sso-saml', true, context)).toMatchObject({
      value: false,
      reason: 'STATIC',
    });
    expect(await changed).toMatchObject({ flagsChanged: ['sso-saml'], providerName: 'flags-as-code' });
  });

  it('keeps answering from the last good bundle when a newer one is refused', async () => {
    const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => NOW });
    expect(await runtime.loadBytes(bundle('production', 5))).toMatchObject({ ok: true });
    await OpenFeature.setProviderAndWait('refusal', new FlagsProvider(runtime));
    const client = OpenFeature.getClient('refusal');
    // A staging bundle given to a production runtime, and an older serial: both refused.
    expect(await runtime.loadBytes(bundle('staging', 6))).toMatchObject({ ok: false });
    expect(await runtime.loadBytes(bundle('production', 4))).toMatchObject({ ok: false });
    expect(
      await client.getBooleanDetails('sso-saml', false, { targetingKey: 'org_umbrella5521' }),
    ).toMatchObject({ value: true, flagMetadata: { environment: 'production' } });
    expect(
      await client.getStringDetails('sso-saml', 'x', { targetingKey: 'org_umbrella5521' }),
    ).toMatchObject({
      value: 'x',
      errorCode: 'TYPE_MISMATCH',
    });
  });
});
