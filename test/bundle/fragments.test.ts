import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateRepository } from '../../bench/generate-repo.js';
import { loadRepository } from '../../scripts/adapters/repository.js';
import { compileEnvironment, compileFlag, flagFragments } from '../../scripts/core/bundle/compile.js';
import { buildContents, contentJson, type HashedFlag } from '../../scripts/core/bundle/content.js';
import { assembleBundle, signerOf } from '../../scripts/core/bundle/sign.js';
import { makeStatement } from '../../scripts/core/bundle/statement.js';
import { canonicalJson } from '../../scripts/core/canonical-json.js';
import type { Flag } from '../../scripts/core/model/flag.js';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import { SIGNED_BUNDLE_FORMAT, STATEMENT_PAYLOAD_TYPE } from '../../scripts/runtime/bundle-format.js';
import { EXAMPLE_ROOT, tempDir } from '../helpers/gitdir.js';
import { sampleFlags } from '../runtime/support.js';

const ENVIRONMENTS = ['development', 'staging', 'production', 'missing'];
const policy = { ...defaultPolicy(), project: 'acme-platform' };

const flag = (key: string, extra: Partial<Flag>): Flag =>
  ({
    key,
    description: 'A flag.',
    owner: '@acme/platform',
    type: 'operational',
    environments: {},
    ...extra,
  }) as Flag;

/** Inputs the compiler must treat exactly as canonicalJson does, however unusual. */
const edgeCases: Flag[] = [
  flag('integer-like-orgs', {
    environments: {
      production: {
        enabled: true,
        grants: [{ org: '45' }, { org: '123' }, { org: 'org_b' }, { org: '0' }, { org: '007' }],
      },
    },
  }),
  flag('proto-org', {
    environments: { production: { enabled: true, grants: [{ org: '__proto__' }, { org: 'org_a' }] } },
  }),
  flag('duplicate-and-unsorted-orgs', {
    type: 'entitlement',
    contract: 'SKU-1',
    environments: {
      production: {
        enabled: true,
        grants: [
          { org: 'org_z', agreement: 'A-1', ticket: 'T-1' },
          { org: 'org_a', agreement: 'A-2', expires: '2027-01-01' },
          { org: 'org_z', agreement: 'A-3' },
        ],
      },
      staging: { enabled: false, grants: [{ org: 'org_b', note: 'not compiled' }] },
    },
  }),
  flag('integer-like-variants', {
    variants: { '10': { b: 1, a: [2, { d: null, c: -0 }] }, '9': { a: 1 }, b: { é: 'ü', e: '\ud800' } },
    defaultVariant: 'b',
    environments: {
      production: { enabled: true, default: '9', rollout: { percentage: 50, variant: '10' } },
      development: { enabled: true, grants: [{ org: 'org_x', variant: '9' }] },
    },
  }),
  flag('strings-to-escape', {
    owner: '@acme/platform',
    variants: { on: 'line\nbreak "quoted" \\ tab\t', off: 'ünïcödé 🚩' },
    environments: { production: { enabled: true, default: 'on', grants: [{ org: 'org_"q"\u2028' }] } },
  }),
  flag('numbers', {
    variants: { small: 1e-7, big: 1e21, neg: -0, frac: 0.1 },
    environments: { staging: { enabled: true, rollout: { percentage: 0 } } },
  }),
];

const fragmentsMatch = (flags: readonly Flag[], environments: readonly string[]) => {
  for (const f of flags) {
    const fragments = flagFragments(f, environments);
    for (const [e, environment] of environments.entries())
      expect(fragments[e], `${f.key} in ${environment}`).toBe(canonicalJson(compileFlag(f, environment)));
  }
};

describe('flag fragments', () => {
  it('are canonicalJson(compileFlag(…)) byte for byte for the example repository', async () => {
    const repo = await loadRepository(EXAMPLE_ROOT, { cacheDir: false, threads: 1 });
    fragmentsMatch(
      repo.files.flatMap((r) => (r.flag ? [r.flag] : [])),
      [...repo.policy.environments, 'missing'],
    );
  });

  it('are canonicalJson(compileFlag(…)) for a generated repository and the sample flags', async () => {
    const dir = tempDir('flags-fragments-');
    generateRepository(dir, { flags: 300, seed: 7 });
    const repo = await loadRepository(dir, { cacheDir: false, threads: 1 });
    fragmentsMatch(
      repo.files.flatMap((r) => (r.flag ? [r.flag] : [])),
      ENVIRONMENTS,
    );
    fragmentsMatch(
      [...sampleFlags(0), ...sampleFlags(1)].map((f) => f.flag),
      ENVIRONMENTS,
    );
  });

  it('are canonicalJson(compileFlag(…)) for integer-like names, "__proto__", duplicates and escapes', () => {
    fragmentsMatch(edgeCases, ENVIRONMENTS);
    const proto = flagFragments(edgeCases[1]!, ['production'])[0]!;
    expect(proto).toContain('"__proto__":{"variant":"on"}');
    const numeric = flagFragments(edgeCases[0]!, ['production'])[0]!;
    expect(numeric).toContain('"grants":{"0":{"variant":"on"},"007":{"variant":"on"},"123"');
  });

  it('throw as canonicalJson does for a value it cannot write', () => {
    const bad = flag('bad', { variants: { a: Number.NaN, b: 1 }, environments: {} });
    expect(() => canonicalJson(compileFlag(bad, 'production'))).toThrow(TypeError);
    expect(() => flagFragments(bad, ['production'])).toThrow(TypeError);
  });
});

const hashed = (flags: readonly Flag[], hash = (f: Flag) => `h-${f.key}`): HashedFlag[] =>
  flags.map((f) => ({ hash: hash(f), flag: f }));

const contentsOf = (built: ReturnType<typeof buildContents>) =>
  built.contents.map((c) => Buffer.from(c.bytes).toString('utf8'));

describe('contents built from the members of the last build', () => {
  const base = [...sampleFlags(0).map((f) => f.flag), ...edgeCases];
  const environments = ['staging', 'production'];
  const expected = (flags: readonly HashedFlag[], envs = environments) =>
    envs.map((environment) => canonicalJson(compileEnvironment(flags, policy, environment)));

  it('are the canonical JSON of the compiled environments, with no last build', () => {
    const flags = hashed(base);
    const built = buildContents(flags, policy, environments);
    expect(contentsOf(built)).toEqual(expected(flags));
    expect(contentsOf(built)).toEqual(environments.map((e) => contentJson(flags, policy, e)));
    expect(built.unchanged).toBe(false);
  });

  it('stay byte for byte the same when members are reused, and say when nothing changed', () => {
    const flags = hashed(base);
    const first = buildContents(flags, policy, environments);
    const again = buildContents([...flags].reverse(), policy, environments, first.table);
    expect(contentsOf(again)).toEqual(expected(flags));
    expect(again.unchanged).toBe(true);
  });

  it('compile a changed, an added and a renamed flag, and drop a removed one', () => {
    const first = buildContents(hashed(base), policy, environments);
    const changedFlag = flag('sso', {
      type: 'entitlement',
      contract: 'SKU-SSO-2',
      environments: { production: { enabled: true, grants: [{ org: 'org_new', agreement: 'MSA-9' }] } },
    });
    const next = hashed([
      ...base.filter((f) => f.key !== 'sso' && f.key !== 'theme' && f.key !== 'numbers'),
      changedFlag,
      flag('aaa-first', { environments: { staging: { enabled: true } } }),
      flag('zzz-last', { environments: { production: { enabled: true, default: true } } }),
      { ...base.find((f) => f.key === 'numbers')!, key: 'numbers-renamed' },
    ]);
    next.find((h) => h.flag.key === 'sso')!.hash = 'h-sso-changed';
    const rebuilt = buildContents(next, policy, environments, first.table);
    expect(contentsOf(rebuilt)).toEqual(expected(next));
    expect(rebuilt.unchanged).toBe(false);
    // and the table it gives serves the next build as well
    expect(contentsOf(buildContents(next, policy, environments, rebuilt.table))).toEqual(expected(next));
  });

  it('never reuse a member whose file hash is unknown, and keep the last of a key declared twice', () => {
    const flags: HashedFlag[] = [...sampleFlags(0), ...sampleFlags(1)].map((f) => ({ flag: f.flag }));
    const first = buildContents(flags, policy, environments);
    const again = buildContents(flags, policy, environments, first.table);
    expect(contentsOf(again)).toEqual(expected(flags));
    expect(again.unchanged).toBe(false);
  });

  it('build an environment the last build did not, and keep the others while nothing changed', () => {
    const flags = hashed(base);
    const production = buildContents(flags, policy, ['production']);
    const staging = buildContents(flags, policy, ['staging'], production.table);
    expect(contentsOf(staging)).toEqual(expected(flags, ['staging']));
    expect([...staging.table.regions.keys()].sort()).toEqual(['production', 'staging']);
    const both = buildContents(flags, policy, environments, staging.table);
    expect(both.unchanged).toBe(true);
    expect(contentsOf(both)).toEqual(expected(flags));
  });

  it('handles an empty repository', () => {
    const built = buildContents([], policy, environments);
    expect(contentsOf(built)).toEqual(expected([]));
    expect(buildContents([], policy, environments, built.table).unchanged).toBe(true);
  });
});

describe('the signed bundle file', () => {
  it('is canonicalJson of the file object, byte for byte', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const signer = signerOf(privateKey);
    const contentBytes = new TextEncoder().encode(contentJson(hashed(edgeCases), policy, 'production'));
    const statement = makeStatement(contentBytes, {
      project: policy.project,
      environment: 'production',
      serial: 7,
      issuedAt: Date.parse('2026-11-24T12:00:00Z'),
      validForHours: 168,
      maxClockSkewSeconds: 300,
      commit: 'a'.repeat(40),
      dirty: false,
      development: false,
    });
    const bytes = assembleBundle(contentBytes, statement, [signer]);
    const file = JSON.parse(Buffer.from(bytes).toString('utf8'));
    expect(file.envelope.payloadType).toBe(STATEMENT_PAYLOAD_TYPE);
    expect(Buffer.from(bytes).toString('utf8')).toBe(
      canonicalJson({
        content: Buffer.from(contentBytes).toString('base64'),
        envelope: file.envelope,
        format: SIGNED_BUNDLE_FORMAT,
      }),
    );
    expect(bytes.constructor).toBe(Uint8Array);
  });
});
