import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import { vi } from 'vitest';
import { loadRepository, validFlags } from '../../scripts/adapters/repository.js';
import { compileEnvironment } from '../../scripts/core/bundle/compile.js';
import { type FlagdExportOptions, toFlagdDocument } from '../../scripts/core/flagd/export.js';
import type { Flag } from '../../scripts/core/model/flag.js';
import type { Policy } from '../../scripts/core/model/policy.js';
import type { BundleFlag, JsonValue } from '../../scripts/runtime/bundle-format.js';
import { Evaluator, type Resolution } from '../../scripts/runtime/evaluate.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The example repository, as a fixture. */
export const EXAMPLE = fileURLToPath(new URL('../fixtures/example-repository', import.meta.url));

export interface LoadedFlags {
  flags: { file: string; flag: Flag }[];
  policy: Policy;
}

export async function loadFlags(root: string): Promise<LoadedFlags> {
  // One thread: the analysis workers load compiled .js, which vitest's TypeScript sources are not.
  const repo = await loadRepository(root, { cacheDir: false, threads: 1 });
  return { flags: validFlags(repo), policy: repo.policy };
}

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

export function flagdCore(document: Record<string, unknown>): FlagdCore {
  const core = new FlagdCore(undefined, quiet);
  core.setConfigurations(JSON.stringify(document));
  return core;
}

/**
 * flagd's published schemas (flags.json and targeting.json) ship inside @openfeature/flagd-core as a
 * precompiled ajv validator; strict parsing runs it and throws a ParseError listing the violations.
 */
export function flagdSchemaErrors(document: unknown): string | undefined {
  try {
    new MemoryStorage(quiet).setConfigurations(JSON.stringify(document), true);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Deterministic organization ids that match the example policy's pattern (mulberry32). */
export function randomOrgs(count: number, seed: number): string[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: count }, () => {
    const length = 8 + Math.floor(next() * 17);
    let id = 'org_';
    for (let i = 0; i < length; i++) id += alphabet[Math.floor(next() * alphabet.length)];
    return id;
  });
}

/** The first millisecond after the last day (UTC, inclusive) of a grant. */
export const endOfDayMs = (date: string): number => Date.parse(`${date}T00:00:00Z`) + 86_400_000;

export interface Probe {
  key: string;
  organizationId: string | undefined;
  at: number;
}

export interface DifferentialResult {
  mismatches: string[];
  evaluations: number;
  /** Runtime reasons seen, with rollout hits and misses told apart. */
  seen: Record<string, number>;
}

type FlagdReason = string | undefined;

/**
 * Evaluates every probe with the runtime Evaluator over the compiled bundle content and with
 * flagd-core over the flagd export, both on the probe's instant, and lists every disagreement.
 * flagd-core reads the clock once per evaluation (`Math.floor(Date.now() / 1000)` becomes
 * `$flagd.timestamp`), so Date.now is stubbed; the Evaluator is given the same clock.
 */
export function differential(
  loaded: LoadedFlags,
  environment: string,
  probes: Iterable<Probe>,
  options: FlagdExportOptions = {},
): DifferentialResult {
  const content = compileEnvironment(loaded.flags, loaded.policy, environment);
  const document = toFlagdDocument(loaded.flags, loaded.policy, environment, options) as {
    flags: Record<string, { targeting?: unknown }>;
  };
  const core = flagdCore(document);
  let now = 0;
  const evaluator = new Evaluator(content, { now: () => now });
  const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
  const attribute = options.organizationAttribute;
  const result: DifferentialResult = { mismatches: [], evaluations: 0, seen: {} };
  try {
    for (const probe of probes) {
      now = probe.at;
      const flag = content.flags[probe.key];
      const exported = document.flags[probe.key];
      if (!flag || !exported) throw new Error(`no flag ${probe.key} in ${environment}`);
      const context =
        probe.organizationId === undefined
          ? {}
          : attribute
            ? { [attribute]: probe.organizationId }
            : { targetingKey: probe.organizationId };
      const ours = resolveRuntime(evaluator, flag, probe);
      const theirs = resolveFlagd(core, flag, probe.key, context);
      result.evaluations++;
      const kind =
        ours.reason === 'TARGETING_MATCH' && ours.variant === flag.rollout?.variant && !isGranted(flag, probe)
          ? 'ROLLOUT'
          : ours.reason;
      result.seen[kind] = (result.seen[kind] ?? 0) + 1;
      const expectedReason = flagdReasonFor(ours, flag, exported.targeting !== undefined, probe);
      const problems: string[] = [];
      if (!isDeepStrictEqual(ours.value, theirs.value)) problems.push('value');
      if (ours.variant !== theirs.variant) problems.push('variant');
      if (theirs.reason !== expectedReason) problems.push(`reason (expected flagd ${expectedReason})`);
      if (ours.errorCode !== theirs.errorCode) problems.push('errorCode');
      if (flag.valueType === 'boolean' && evaluator.isEnabled(probe.key, probe.organizationId) !== ours.value)
        problems.push('isEnabled');
      if (problems.length > 0) {
        result.mismatches.push(
          `${environment} ${probe.key} ${JSON.stringify(probe.organizationId)} at ${new Date(probe.at).toISOString()}: ` +
            `${problems.join(', ')} differ: runtime ${JSON.stringify(ours)} flagd ${JSON.stringify({ ...theirs, flagMetadata: undefined })}`,
        );
      }
    }
  } finally {
    clock.mockRestore();
  }
  return result;
}

function resolveRuntime(evaluator: Evaluator, flag: BundleFlag, probe: Probe): Resolution<JsonValue> {
  const org = probe.organizationId;
  switch (flag.valueType) {
    case 'boolean':
      return evaluator.resolveBoolean(probe.key, false, org);
    case 'string':
      return evaluator.resolveString(probe.key, '', org);
    case 'number':
      return evaluator.resolveNumber(probe.key, -1, org);
    default:
      return evaluator.resolveObject(probe.key, {}, org);
  }
}

function resolveFlagd(
  core: FlagdCore,
  flag: BundleFlag,
  key: string,
  context: Record<string, string>,
): { value: unknown; variant?: string; reason?: FlagdReason; errorCode?: string } {
  switch (flag.valueType) {
    case 'boolean':
      return core.resolveBooleanEvaluation(key, false, context);
    case 'string':
      return core.resolveStringEvaluation(key, '', context);
    case 'number':
      return core.resolveNumberEvaluation(key, -1, context);
    default:
      return core.resolveObjectEvaluation(key, {}, context);
  }
}

function isGranted(flag: BundleFlag, probe: Probe): boolean {
  if (probe.organizationId === undefined || !Object.hasOwn(flag.grants, probe.organizationId)) return false;
  const expires = flag.grants[probe.organizationId]!.expires;
  return expires === undefined || probe.at < endOfDayMs(expires);
}

/**
 * The reasons are compatible, not identical: flagd says STATIC for a flag without targeting (our
 * disabled environments and flags without grants or rollout), and `fractional` answers the
 * default bucket of a rollout as a TARGETING_MATCH on the default variant.
 */
function flagdReasonFor(
  ours: Resolution<JsonValue>,
  flag: BundleFlag,
  hasTargeting: boolean,
  probe: Probe,
): FlagdReason {
  if (ours.reason === 'DISABLED') return 'STATIC';
  if (ours.reason === 'TARGETING_MATCH') return 'TARGETING_MATCH';
  if (!hasTargeting) return 'STATIC';
  const rollout = (flag.rollout?.percentage ?? 0) > 0;
  if (rollout && probe.organizationId !== undefined && probe.organizationId !== '') return 'TARGETING_MATCH';
  return 'DEFAULT';
}

/** Probes for every flag of a repository: granted organizations, others, random ids, no id. */
export function* probesFor(
  loaded: LoadedFlags,
  environment: string,
  options: { randomOrgs: string[]; instants: number[]; poolSample?: string[] },
): Generator<Probe> {
  for (const { flag } of loaded.flags) {
    const granted = new Set<string>();
    for (const config of Object.values(flag.environments))
      for (const grant of config.grants ?? []) granted.add(grant.org);
    const orgs = [...granted, ...(options.poolSample ?? []), ...options.randomOrgs, undefined];
    for (const at of options.instants)
      for (const organizationId of orgs) yield { key: flag.key, organizationId, at };
    // Each expiring grant of this environment, on both sides of its last millisecond.
    for (const grant of flag.environments[environment]?.grants ?? []) {
      if (grant.expires === undefined) continue;
      const end = endOfDayMs(grant.expires);
      for (const at of [end - 1, end]) yield { key: flag.key, organizationId: grant.org, at };
    }
  }
}
