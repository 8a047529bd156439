import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AstBuilder, compile, GherkinClassicTokenMatcher, Parser } from '@cucumber/gherkin';
import { IdGenerator, type Pickle } from '@cucumber/messages';
import { AsyncLocalStorageTransactionContextPropagator, OpenFeature } from '@openfeature/server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileEnvironment } from '../../scripts/core/bundle/compile.js';
import { createKeyset, keysetEntry } from '../../scripts/core/bundle/keyset.js';
import { assembleBundle, type Signer, signerOf } from '../../scripts/core/bundle/sign.js';
import { contentBytesOf, makeStatement } from '../../scripts/core/bundle/statement.js';
import { canonicalJson } from '../../scripts/core/canonical-json.js';
import { FlagsRuntime, type TrustedKeyset, verifyKeyset } from '../../scripts/runtime/index.js';
import { type LoadedFlags, loadFlags } from '../flagd/support.js';
import { type ProviderState, runStep, World } from './spec-steps.js';

/**
 * The OpenFeature specification's own conformance features (test/fixtures/openfeature-spec), every
 * scenario run against the provider over a FlagsRuntime serving a bundle built from real flag files
 * and signed with a key made here. A scenario the flag model cannot express is listed below with
 * its reason: it still runs, and this test fails the day it passes, so the list cannot go stale.
 */

const SPEC = fileURLToPath(new URL('../fixtures/openfeature-spec/', import.meta.url));
const NOW = Date.parse('2026-11-24T12:00:00Z');
const HOUR = 3_600_000;

/** Scenario names (all their examples) the flag model cannot express, and why. */
const NOT_EXPRESSIBLE: Record<string, string> = {
  'Resolves zero value with targeting':
    'targets on an e-mail context attribute with CEL; flags target organization ids only',
  'Multiple context attributes targeting':
    'targets on e-mail, age and customer attributes with CEL; flags target organization ids only',
  'CACHED reason': 'the provider evaluates the verified bundle in process and never caches an answer',
  'Flag metadata in evaluation details':
    'custom metadata values (string, integer, float, boolean) are not part of a flag file; metadata is the audit record',
  'Returns metadata':
    'custom metadata values (string, integer, float, boolean) are not part of a flag file; metadata is the audit record',
  'Returns no metadata':
    'every flag carries its audit metadata (owner, type, environment, …), so it is never empty',
};

interface Case {
  feature: string;
  name: string;
  /** The example row, for scenario outlines. */
  example: string;
  pickle: Pickle;
}

function cases(): Case[] {
  const dir = `${SPEC}features/`;
  const all: Case[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.feature'))
    .sort()) {
    const newId = IdGenerator.incrementing();
    const document = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher()).parse(
      readFileSync(dir + file, 'utf8'),
    );
    const rows = new Map<string, string>();
    for (const child of document.feature?.children ?? [])
      for (const examples of child.scenario?.examples ?? [])
        for (const row of examples.tableBody) rows.set(row.id, row.cells.map((c) => c.value).join(' | '));
    for (const pickle of compile(document, file, newId))
      all.push({
        feature: file,
        name: pickle.name,
        example: pickle.astNodeIds.map((id) => rows.get(id)).find((row) => row !== undefined) ?? '',
        pickle,
      });
  }
  return all;
}

const CASES = cases();

let flags: LoadedFlags;
let signer: Signer;
let keyset: TrustedKeyset;
let stagingOnly: TrustedKeyset;
let domains = 0;

function keysetFor(environments: string[]): Promise<TrustedKeyset> {
  const [keyid, entry] = keysetEntry({
    publicKey: createPublicKey(signer.privateKey),
    environments,
    notBefore: NOW - 86_400_000,
  });
  return verifyKeyset(
    canonicalJson(createKeyset(flags.policy.project, { [keyid]: entry }, [signer], NOW - 86_400_000)),
  );
}

function bundle(): Uint8Array {
  const contentBytes = contentBytesOf(compileEnvironment(flags.flags, flags.policy, 'production'));
  const statement = makeStatement(contentBytes, {
    project: flags.policy.project,
    environment: 'production',
    serial: 1,
    issuedAt: NOW - 60_000,
    validForHours: 24,
    maxClockSkewSeconds: 300,
    commit: '0'.repeat(40),
    dirty: false,
    development: false,
  });
  return assembleBundle(contentBytes, statement, [signer]);
}

/** A runtime in the state each provider step names. */
async function runtimeIn(state: ProviderState): Promise<FlagsRuntime> {
  let now = NOW;
  const runtime = await FlagsRuntime.create({
    environment: 'production',
    keyset: state === 'fatal' ? stagingOnly : keyset,
    now: () => now,
  });
  if (state === 'stable' || state === 'stale')
    expect(await runtime.loadBytes(bundle())).toMatchObject({ ok: true });
  // The bundle served outlives its 24 hours: the publishing pipeline no longer reaches the app.
  if (state === 'stale') now += 25 * HOUR;
  if (state === 'error') {
    // A first bundle whose signature is damaged: refused, nothing to serve (a good one may follow).
    const tampered = JSON.parse(new TextDecoder().decode(bundle()));
    const sig: string = tampered.envelope.signatures[0].sig;
    tampered.envelope.signatures[0].sig = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(await runtime.loadBytes(new TextEncoder().encode(canonicalJson(tampered)))).toMatchObject({
      ok: false,
    });
  }
  return runtime;
}

async function run(pickle: Pickle): Promise<void> {
  const world = new World(`spec-${++domains}`, runtimeIn);
  for (const step of pickle.steps) {
    const table = step.argument?.dataTable?.rows.map((row) => row.cells.map((cell) => cell.value));
    await runStep(world, step.text, table);
  }
}

beforeAll(async () => {
  flags = await loadFlags(`${SPEC}repository`);
  const { privateKey } = generateKeyPairSync('ed25519');
  signer = signerOf(privateKey);
  keyset = await keysetFor(['production']);
  stagingOnly = await keysetFor(['staging']);
  OpenFeature.setTransactionContextPropagator(new AsyncLocalStorageTransactionContextPropagator());
});
afterEach(() => {
  OpenFeature.setContext({});
});
afterAll(async () => {
  await OpenFeature.close();
});

describe('the OpenFeature specification features', () => {
  it('are all read, and every listed scenario exists', () => {
    expect(new Set(CASES.map((c) => c.feature))).toEqual(
      new Set(['contextMerging.feature', 'evaluation_v2.feature', 'hooks.feature', 'metadata.feature']),
    );
    expect(CASES.length).toBeGreaterThan(100);
    for (const name of Object.keys(NOT_EXPRESSIBLE))
      expect(
        CASES.some((c) => c.name === name),
        name,
      ).toBe(true);
  });

  it('build their flags from flag files', () => {
    expect(flags.flags.map((f) => f.flag.key)).toContain('object-targeted-zero-flag');
    expect(flags.flags).toHaveLength(readdirSync(`${SPEC}repository/flags`).length - 1);
  });

  for (const c of CASES) {
    const title = `${c.feature}: ${c.name}${c.example ? ` [${c.example}]` : ''}`;
    const reason = NOT_EXPRESSIBLE[c.name];
    if (reason === undefined) {
      it(title, () => run(c.pickle));
    } else {
      it(`${title} cannot pass: ${reason}`, async () => {
        // It must fail on an expectation, not on a step without a definition or a broken setup.
        const outcome = await run(c.pickle).then(
          () => 'passed',
          (error: Error) => (error.name === 'AssertionError' ? 'failed' : `broke: ${error.message}`),
        );
        expect(outcome, 'this scenario now passes: take it off the NOT_EXPRESSIBLE list').toBe('failed');
      });
    }
  }
});
