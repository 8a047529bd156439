import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compileEnvironment } from '../../scripts/core/bundle/compile.js';
import { createKeyset, keysetEntry, serializeKeysetFile } from '../../scripts/core/bundle/keyset.js';
import { assembleBundle, type Signer, signerOf } from '../../scripts/core/bundle/sign.js';
import { contentBytesOf, makeStatement, type StatementInput } from '../../scripts/core/bundle/statement.js';
import type { Flag } from '../../scripts/core/model/flag.js';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import type { BundleContent, BundleStatement } from '../../scripts/runtime/bundle-format.js';
import { type TrustedKeyset, verifyKeyset } from '../../scripts/runtime/keyset.js';

/** Real Ed25519 keys, keysets and signed bundles made inside the tests. */

export const NOW = Date.parse('2026-11-24T12:00:00Z');
export const PROJECT = 'acme-platform';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  signer: Signer;
  keyid: string;
}

export function newKey(): TestKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = signerOf(privateKey);
  return { privateKey, publicKey: createPublicKey(privateKey), signer, keyid: signer.keyid };
}

export interface KeyUse {
  key: TestKey;
  environments: string[];
  development?: boolean;
  notBefore?: number;
  notAfter?: number;
}

export async function keysetFor(
  uses: readonly KeyUse[],
  project = PROJECT,
): Promise<{ text: string; trusted: TrustedKeyset }> {
  const keys = Object.fromEntries(
    uses.map((u) =>
      keysetEntry({
        publicKey: u.key.publicKey,
        environments: u.environments,
        notBefore: u.notBefore ?? Date.parse('2026-01-01T00:00:00Z'),
        ...(u.notAfter === undefined ? {} : { notAfter: u.notAfter }),
        ...(u.development ? { development: true } : {}),
      }),
    ),
  );
  const text = serializeKeysetFile(
    createKeyset(
      project,
      keys,
      uses.map((u) => u.key.signer),
      NOW,
    ),
  );
  return { text, trusted: await verifyKeyset(text) };
}

const flag = (key: string, extra: Partial<Flag>): Flag =>
  ({
    key,
    description: `The ${key} flag for tests.`,
    owner: '@acme/platform',
    type: 'operational',
    reviewed: '2026-10-01',
    environments: {},
    ...extra,
  }) as Flag;

/** A handful of flags covering grants, rollouts, variants and a disabled environment. */
export function sampleFlags(variant = 0): { flag: Flag }[] {
  const flags = [
    flag('new-checkout', {
      type: 'release',
      expires: '2027-01-31',
      environments: {
        staging: { enabled: true, default: true },
        production: {
          enabled: true,
          default: false,
          rollout: { percentage: 25 },
          grants: [{ org: 'org_granted01' }],
        },
      },
    }),
    flag('sso', {
      type: 'entitlement',
      contract: 'SKU-SSO',
      environments: {
        production: {
          enabled: true,
          default: false,
          grants: [
            { org: 'org_granted01', agreement: 'MSA-2024-0001' },
            { org: 'org_trial0001', agreement: 'TRIAL-2026-0001', expires: '2026-11-30' },
          ],
        },
      },
    }),
    flag('api-limits', {
      variants: { basic: { rpm: 600 }, scale: { rpm: 6000 + variant } },
      defaultVariant: 'basic',
      environments: {
        production: { enabled: true, default: 'basic', grants: [{ org: 'org_granted01', variant: 'scale' }] },
      },
    }),
    flag('theme', {
      variants: { light: 'light', dark: 'dark' },
      defaultVariant: 'light',
      environments: { production: { enabled: false, default: 'dark' } },
    }),
  ];
  return flags.map((f) => ({ flag: f }));
}

export function sampleContent(environment = 'production', variant = 0): BundleContent {
  const policy = { ...defaultPolicy(), project: PROJECT };
  return compileEnvironment(sampleFlags(variant), policy, environment);
}

export interface BundleSpec {
  environment?: string;
  content?: BundleContent;
  signers: readonly Signer[];
  statement?: Partial<StatementInput>;
  /** Changes to the statement after it was made (before signing). */
  patch?: (statement: BundleStatement) => BundleStatement;
}

export function signedBundle(spec: BundleSpec): Uint8Array {
  const environment = spec.environment ?? 'production';
  const contentBytes = contentBytesOf(spec.content ?? sampleContent(environment));
  let statement = makeStatement(contentBytes, {
    project: PROJECT,
    environment,
    serial: 7,
    issuedAt: NOW,
    validForHours: 168,
    maxClockSkewSeconds: 300,
    commit: 'a'.repeat(40),
    dirty: false,
    development: false,
    ...spec.statement,
  });
  if (spec.patch) statement = spec.patch(statement);
  return assembleBundle(contentBytes, statement, spec.signers);
}

/** The bundle file as an object, for surgery; and back to bytes, spelled canonically. */
// biome-ignore lint/suspicious/noExplicitAny: surgery on parsed JSON in tests
export const openFile = (bytes: Uint8Array): Record<string, any> =>
  JSON.parse(new TextDecoder().decode(bytes));
export const closeFile = (file: unknown): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(sortDeep(file)));

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortDeep((value as Record<string, unknown>)[k])]),
    );
  return value;
}

export const flipBase64Byte = (text: string, index = 0): string => {
  const bytes = Buffer.from(text, 'base64');
  const at = index % bytes.length;
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes.toString('base64');
};
