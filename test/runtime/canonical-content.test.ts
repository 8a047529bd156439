import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleBundle, signEnvelope } from '../../scripts/core/bundle/sign.js';
import { contentBytesOf, makeStatement } from '../../scripts/core/bundle/statement.js';
import { canonicalBytes, canonicalJson } from '../../scripts/core/canonical-json.js';
import { FLAG_KEY_PATTERN, VARIANT_NAME_PATTERN } from '../../scripts/core/model/constants.js';
import {
  type BundleContent,
  type BundleStatement,
  SIGNED_BUNDLE_FORMAT,
  STATEMENT_PAYLOAD_TYPE,
} from '../../scripts/runtime/bundle-format.js';
import { VerificationError } from '../../scripts/runtime/errors.js';
import { FlagsRuntime } from '../../scripts/runtime/index.js';
import { FLAG_KEY, parseContent, VARIANT_NAME, verifyBundle } from '../../scripts/runtime/verify.js';
import { runCli } from '../helpers/run-cli.js';
import { keysetFor, NOW, newKey, PROJECT, sampleContent } from './support.js';

/**
 * Issue 12, item 8: verifiers hold signed bytes to what `flags build` makes. Content and statement
 * must be canonical JSON (RFC 8785), flag keys and variant names must match the model's patterns,
 * and every variant served must exist; a signing mistake or a stolen key cannot smuggle anything
 * else (a duplicate member that parsers read differently, a key with a Unicode hyphen, NFC and NFD
 * twins) past `flags verify` or the runtime.
 */

const production = newKey();
const { trusted: keyset, text: keysetText } = await keysetFor([
  { key: production, environments: ['production'] },
]);
const AT = NOW + 3_600_000;

const statementFor = (contentBytes: Uint8Array): BundleStatement =>
  makeStatement(contentBytes, {
    project: PROJECT,
    environment: 'production',
    serial: 7,
    issuedAt: NOW,
    validForHours: 168,
    maxClockSkewSeconds: 300,
    commit: 'a'.repeat(40),
    dirty: false,
    development: false,
  });

/** A bundle over exactly these content bytes, really signed, with a canonical statement. */
const bundleOver = (contentBytes: Uint8Array): Uint8Array =>
  assembleBundle(contentBytes, statementFor(contentBytes), [production.signer]);

/** A bundle whose statement payload is exactly these bytes, really signed. */
const bundleWithStatement = (contentBytes: Uint8Array, statementBytes: Uint8Array): Uint8Array =>
  new TextEncoder().encode(
    canonicalJson({
      content: Buffer.from(contentBytes).toString('base64'),
      envelope: signEnvelope(STATEMENT_PAYLOAD_TYPE, statementBytes, [production.signer]),
      format: SIGNED_BUNDLE_FORMAT,
    }),
  );

const canonicalText = new TextDecoder().decode(contentBytesOf(sampleContent()));
const bytesOf = (text: string) => new TextEncoder().encode(text);

/** The verdict of the runtime: undefined when it serves the bundle, else the refusal's code. */
async function runtimeVerdict(bytes: Uint8Array): Promise<{ code?: string; message?: string }> {
  try {
    parseContent(await verifyBundle(bytes, { keyset, environment: 'production', now: AT }));
    return {};
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    return { code: error.code, message: error.message };
  }
}

const withFlags = (flags: Record<string, unknown>): BundleContent =>
  ({ ...sampleContent(), flags }) as BundleContent;
const sso = sampleContent().flags.sso!;

describe('verification refuses signed content that flags build would not write', () => {
  it('accepts what the build writes, including integer-like organization ids', async () => {
    expect(await runtimeVerdict(bundleOver(bytesOf(canonicalText)))).toEqual({});
    const numeric = withFlags({
      sso: { ...sso, grants: { '10': { variant: 'on' }, '9': { variant: 'on' } } },
    });
    expect(await runtimeVerdict(bundleOver(canonicalBytes(numeric)))).toEqual({});
  });

  const nonCanonical: [string, string][] = [
    ['whitespace', JSON.stringify(JSON.parse(canonicalText), null, 1)],
    [
      'a duplicate flag, which JSON.parse reads as the last one',
      canonicalText.replace(
        '"flags":{',
        `"flags":{"sso":${canonicalJson({ ...sso, enabled: !sso.enabled })},`,
      ),
    ],
    ['a member name spelled with an escape', canonicalText.replace('"sso":', '"\\u0073so":')],
    ['members out of order', JSON.stringify({ project: PROJECT, ...JSON.parse(canonicalText) })],
    ['a number spelled 25.0', canonicalText.replace('"percentage":25', '"percentage":25.0')],
  ];
  for (const [what, text] of nonCanonical)
    it(`refuses content with ${what}`, async () => {
      expect(text).not.toBe(canonicalText);
      const verdict = await runtimeVerdict(bundleOver(bytesOf(text)));
      expect(verdict.code).toBe('non-canonical');
      expect(verdict.message).toContain('rebuild');
    });

  it('refuses a non-canonical statement, signed', async () => {
    const contentBytes = bytesOf(canonicalText);
    const statement = statementFor(contentBytes);
    const canonical = canonicalBytes(statement);
    expect(await runtimeVerdict(bundleWithStatement(contentBytes, canonical))).toEqual({});
    const { source, ...rest } = statement;
    const cases: [string, string][] = [
      [JSON.stringify(statement, null, 2), 'non-canonical'],
      [JSON.stringify({ source, ...rest }), 'non-canonical'],
      [canonicalJson(statement).replace('"serial":7', '"serial":7.0'), 'non-canonical'],
      [canonicalJson(statement).replace('"serial":7', '"serial":7,"serial":7'), 'bad-statement'],
    ];
    for (const [text, code] of cases)
      expect((await runtimeVerdict(bundleWithStatement(contentBytes, bytesOf(text)))).code, text).toBe(code);
  });

  it('refuses a flag key with a Unicode hyphen lookalike beside the real key, naming the code point', async () => {
    const content = withFlags({ 'new\u2011checkout': sso, 'new-checkout': sso });
    const verdict = await runtimeVerdict(bundleOver(canonicalBytes(content)));
    expect(verdict.code).toBe('bad-content');
    expect(verdict.message).toContain('U+2011');
  });

  it('refuses NFC and NFD twins of one key, either way round', async () => {
    for (const key of ['caf\u00e9', 'cafe\u0301']) {
      const verdict = await runtimeVerdict(bundleOver(canonicalBytes(withFlags({ [key]: sso }))));
      expect(verdict.code, key).toBe('bad-content');
      expect(verdict.message).toContain('outside the key pattern');
    }
  });

  it('refuses a key over 100 characters, a variant name off the pattern, and a variant that does not exist', async () => {
    expect(
      (await runtimeVerdict(bundleOver(canonicalBytes(withFlags({ ['a'.repeat(101)]: sso }))))).code,
    ).toBe('bad-content');
    const proto = { ...sso, variants: { ...sso.variants, __proto__x: true } };
    expect((await runtimeVerdict(bundleOver(canonicalBytes(withFlags({ sso: proto }))))).message).toContain(
      'variant name "__proto__x"',
    );
    const ghost = { ...sso, grants: { org_ghost: { variant: 'ghost' } } };
    expect((await runtimeVerdict(bundleOver(canonicalBytes(withFlags({ sso: ghost }))))).message).toContain(
      'serves a variant it does not define',
    );
  });

  it('uses the flag model’s own key and variant-name patterns', () => {
    expect(FLAG_KEY.source).toBe(FLAG_KEY_PATTERN);
    expect(VARIANT_NAME.source).toBe(VARIANT_NAME_PATTERN);
  });

  it('refuses them in the runtime (which keeps serving nothing) and in flags verify, with exit 1', async () => {
    const lookalike = bundleOver(canonicalBytes(withFlags({ 'new\u2011checkout': sso })));
    const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => AT });
    const result = await runtime.loadBytes(lookalike);
    expect(result.ok).toBe(false);
    expect(runtime.ready).toBe(false);

    const dir = mkdtempSync(join(tmpdir(), 'flags-canonical-'));
    writeFileSync(join(dir, 'keyset.json'), keysetText);
    const files = {
      lookalike,
      spaced: bundleOver(bytesOf(JSON.stringify(JSON.parse(canonicalText), null, 1))),
    };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, `${name}.json`), bytes);
    const verify = (name: string) =>
      runCli(
        [
          'verify',
          join(dir, `${name}.json`),
          '--env',
          'production',
          '--keyset',
          join(dir, 'keyset.json'),
          '--now',
          new Date(AT).toISOString(),
        ],
        { cwd: dir },
      );
    const [bad, spaced] = await Promise.all([verify('lookalike'), verify('spaced')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[bad-content]');
    expect(bad.stderr).toContain('U+2011');
    expect(spaced.code).toBe(1);
    expect(spaced.stderr).toContain('[non-canonical]');
    expect(bad.stderr + spaced.stderr).not.toMatch(/\n\s+at /);
  });
});
