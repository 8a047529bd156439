import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  ContentCache,
  commitInfo,
  DEFAULT_KEYSET_FILE,
  readKeysetBytes,
  StagedWrites,
  sourceInfo,
} from '../adapters/bundle-files.js';
import { type ResolvedKeys, resolveSigningKeys } from '../adapters/keys.js';
import { BundleVerifier } from '../adapters/bundle-verifier.js';
import { createProgress } from '../adapters/progress.js';
import {
  buildRecordFileName,
  makeBuildRecord,
  type PublishedStart,
  readPublishedStart,
  UnusableStart,
} from '../adapters/build-record.js';
import { cacheKey } from '../adapters/cache.js';
import { type ClaimHistory, readClaimHistory } from '../adapters/claim-history.js';
import {
  type CheckedRepository,
  checkRepositoryAt,
  type KnownFlagFile,
  loadEveryFlag,
} from '../adapters/checked-repository.js';
import { usesPlans } from '../adapters/plans-present.js';
import { type LoadOptions, type RepositoryFiles, resolveCacheDir } from '../adapters/repository.js';
import { buildContents, buildKnownContents } from '../core/bundle/content.js';
import { assembleBundle } from '../core/bundle/sign.js';
import { makeStatement } from '../core/bundle/statement.js';
import { claimFeed } from '../core/claims/feed.js';
import { nextChangeAfter } from '../runtime/claim-changes.js';
import { canonicalJson } from '../core/canonical-json.js';
import { todayUtc } from '../core/dates.js';
import type { Flag } from '../core/model/flag.js';
import { FlagsError, InputError, UsageError } from '../errors.js';
import { bundleFileName, type BundleStatement, type ClaimChangeRange } from '../runtime/bundle-format.js';
import { formatInstant } from '../runtime/instant.js';
import { type TrustedKeyset, verifyKeyset } from '../runtime/keyset.js';
import { VerificationError } from '../runtime/errors.js';
import { parseFormat, readText, resolveFlagsRoot, resolveToday, withRepo, withToday } from './common.js';

/**
 * `flags build`: refuse when `flags check` finds errors (same loading, same cache), then per
 * environment compile → canonical content → statement → DSSE envelope signed with Ed25519, and
 * write every bundle atomically once all of them are made.
 */

const FORMATS = ['json', 'flagd'] as const;

export interface BuildOptions {
  repo: string;
  env?: string[];
  out?: string;
  format: string;
  now?: string;
  today?: string;
  keyFile?: string;
  keyset?: string;
  serial?: string;
  allowDirty?: boolean;
  requireSigningKey?: boolean;
  json?: boolean;
  cache: boolean;
  cacheDir?: string;
  sinceBundles?: string;
  threads?: string;
}

/**
 * A build that will sign with a real key (given with --key-file or in the environment, or required):
 * it reads no cache of any kind, so nothing in the working tree or a cache folder but the reviewed
 * inputs can reach what it signs. It starts from the flag files, or from the published bundles
 * and their build records (--since-bundles), which it verifies with the keyset.
 */
export const signsWithRealKey = (options: BuildOptions, env = process.env): boolean =>
  options.keyFile !== undefined ||
  options.requireSigningKey === true ||
  Object.keys(env).some((name) => name.startsWith('FLAGS_SIGNING_KEY') && env[name] !== '');

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** `--now` / `$FLAGS_NOW`: an ISO 8601 instant with a zone; else the clock. */
export function resolveNow(option: string | undefined, env = process.env, clock = Date.now): number {
  const value = option ?? env.FLAGS_NOW;
  if (value === undefined || value === '') return clock();
  const ms = ISO_INSTANT.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(
      `"${value}" is not an instant`,
      `give --now or FLAGS_NOW as an ISO 8601 instant with a zone, e.g. ${formatInstant(clock())}`,
    );
  return ms;
}

export const withNow = (command: Command): Command =>
  command.addOption(
    new Option('--now <instant>', 'the current instant, ISO 8601 (default: $FLAGS_NOW, else the clock)'),
  );

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

export function registerBuild(program: Command): void {
  const command = program
    .command('build')
    .description('compile and sign a bundle per environment (refuses when flags check finds errors)')
    .option(
      '-e, --env <name>',
      'environment to build; repeat or comma-separate (default: all in the policy)',
      collect,
    )
    .option('-o, --out <dir>', 'output folder (default: dist in the repository)')
    .option('-f, --format <format>', `output: ${FORMATS.join(', ')} (flagd documents are not signed)`, 'json')
    .option(
      '--key-file <path>',
      'signing key (PKCS#8 PEM) for every environment built; default: $FLAGS_SIGNING_KEY_<ENV>, then $FLAGS_SIGNING_KEY',
    )
    .option('--keyset <path>', `keyset the signing keys must belong to (default: ${DEFAULT_KEYSET_FILE})`)
    .option('--serial <n>', 'serial for the statement (default: first-parent commit count of HEAD)')
    .option('--allow-dirty', 'sign with a real key although flags/ has uncommitted changes')
    .option('--require-signing-key', 'fail instead of using the development key (for CI)')
    .option('--json', 'print what was written as JSON')
    .option(
      '--since-bundles <dir>',
      'start from the last published bundles and build records in <dir>, verified with the keyset',
    )
    .option('--no-cache', 'use no cache (builds with a real signing key never do)')
    .option(
      '--cache-dir <dir>',
      'where the caches live (default: $FLAGS_CACHE_DIR, else a folder per repository under $XDG_CACHE_HOME/flags-as-code)',
    )
    .option('--threads <n>', 'threads to analyse with (default: all cores)');
  withRepo(command);
  withToday(command);
  withNow(command);
  command.action(async (options: BuildOptions) => {
    process.exitCode = await runBuild(options);
  });
}

interface Built {
  environment: string;
  file: string;
  flags: number;
  bytes: number;
  statement?: BundleStatement;
  keyid?: string;
  development?: boolean;
}

export async function runBuild(options: BuildOptions): Promise<number> {
  const build = startBuild(options);
  try {
    return await checkAndFinish(build, options);
  } finally {
    build.verifier.close();
  }
}

async function checkAndFinish(build: StartedBuild, options: BuildOptions): Promise<number> {
  const progress = createProgress('checking flags');
  const load: LoadOptions = {
    cacheDir: build.cacheDir ?? false,
    threads: options.threads ? Number(options.threads) : undefined,
    onProgress: progress.update,
  };
  // The same check as `flags check`, answered from a snapshot when one fits (the sealed cache, or
  // the verified build record of the published bundles): a build after a small change then loads
  // only the flags that changed, and copies the rest from the last build's members.
  const checked = await checkRepositoryAt(build.root, {
    ...load,
    today: build.today,
    onStep: (step) => step === build.verifierStartsAfter && build.verifier.startWorker(),
    snapshotFrom: options.sinceBundles ? (key, read) => publishedStart(build, key, read) : undefined,
    keepSnapshot: build.signing && build.format === 'json',
  });
  progress.done();
  if (build.start)
    process.stderr.write(
      `note: started from the published bundles in ${options.sinceBundles}: ${checked.stats.analysed} of ${checked.stats.files} flag files changed since\n`,
    );
  const plans = usesPlans(build.root, checked.policy)
    ? await import('../adapters/organizations.js')
    : undefined;
  const findings = plans
    ? await (await import('../adapters/contract-state.js')).withContractFindings(build.root, checked, {
        today: build.today,
        load,
      })
    : checked.findings;
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const [{ renderText }, { summarize }, { styleFor }] = await Promise.all([
      import('../reporters/text.js'),
      import('../reporters/summary.js'),
      import('../reporters/style.js'),
    ]);
    const summary = summarize(errors, {
      flags: checked.stats.files,
      cached: checked.stats.cached,
    });
    process.stderr.write(renderText(errors, summary, readText(build.root), styleFor(process.stderr)));
    process.stderr.write(
      `error: refusing to build: flags check finds ${errors.length} error${errors.length === 1 ? '' : 's'}\n  fix: correct them (npx flags check) and build again\n`,
    );
    return 1;
  }
  const loadAll = () => loadEveryFlag(build.root, { ...load, onProgress: undefined });
  if (!plans) return finishBuild(build, checked, loadAll);
  // Subscriptions add grants to the flags their plans include: compile them as if written out.
  const every = checked.flags.every((f) => f.flag) ? checked.flags : await loadAll();
  const loaded = every.map((f) => ({ ...f, flag: f.flag! }));
  // The statement names the toolkit and policy, and the record keeps the check's snapshot, as without
  // plans: the next signing build can then start from these bundles.
  return finishBuild(build, {
    policy: checked.policy,
    flags: plans.flagsWithPlans(build.root, checked.policy, loaded),
    fingerprint: checked.fingerprint,
    policyHash: checked.policyHash,
    snapshot: checked.snapshot,
  });
}

/**
 * The published bundles and records the build starts from, verified (build-record.ts); undefined,
 * with a note, when they cannot serve: the build then starts from the flag files.
 */
async function publishedStart(build: StartedBuild, key: string, read: RepositoryFiles) {
  const dir = resolve(build.options.sinceBundles!);
  try {
    const keysetPath = build.options.keyset
      ? resolve(build.options.keyset)
      : resolve(build.root, DEFAULT_KEYSET_FILE);
    const bytes = readKeysetBytes(keysetPath);
    if (!bytes) throw new UnusableStart(`no keyset at ${keysetPath} to verify them with`);
    let keyset: TrustedKeyset;
    try {
      keyset = await verifyKeyset(bytes);
    } catch (error) {
      throw new UnusableStart(`${keysetPath}: ${(error as Error).message}`);
    }
    const environments =
      build.options.env && build.options.env.length > 0
        ? [...new Set(build.options.env)]
        : read.policy.environments;
    build.start = await readPublishedStart(dir, {
      environments,
      project: read.policy.project,
      keyset,
      now: build.now,
      fingerprint: read.fingerprint,
      policyHash: read.policyHash,
      checkKey: key,
    });
    return build.start.snapshot;
  } catch (error) {
    if (!(error instanceof UnusableStart)) throw error;
    process.stderr.write(
      `note: building from the flag files, not from the bundles in ${dir}: ${error.message}\n`,
    );
    return undefined;
  }
}

/** What a build needs of its checked repository: the policy and the flags in path order. */
export type CheckedFlags = Pick<CheckedRepository, 'policy' | 'flags'> &
  Partial<Pick<CheckedRepository, 'fingerprint' | 'policyHash' | 'snapshot'>>;

/** A build before its repository is loaded: the options read, and git already asked. */
export interface StartedBuild {
  options: BuildOptions;
  format: (typeof FORMATS)[number];
  root: string;
  now: number;
  today: ReturnType<typeof resolveToday>;
  serial: number | undefined;
  outDir: string;
  /** The git facts, queried in child processes while the repository loads (json bundles only). */
  source: Promise<{ commit: string; dirty: boolean; serial?: number }> | undefined;
  /** The flag files changed since the last few versions of the flags, for the claim-change feed. */
  claimHistory: Promise<ClaimHistory | undefined> | undefined;
  /** Signs with a real key: no cache is read or written (signsWithRealKey). */
  signing: boolean;
  /** Where the caches live and their sealing key (unless signing or --no-cache). */
  cacheDir: string | undefined;
  cacheKey: Buffer | undefined;
  /** The content cache's body, being read and its seal checked (json bundles only). */
  cacheBytes: Promise<Buffer | undefined> | undefined;
  /** The verified published bundles the build starts from (--since-bundles), once the check read them. */
  start?: PublishedStart;
  /** Verifies the signed bundles before they are written (finishBuild closes it). */
  verifier: BundleVerifier;
  /** The check's step after which the verifier's worker thread starts (none: verified inline). */
  verifierStartsAfter: 'read' | 'analysed' | undefined;
}

/**
 * Content of the last build (all environments) above which the bundles are verified on a worker
 * thread: verifying 13 MB costs ~28 ms, starting the thread ~24 ms of the other core. The thread is
 * started once the check has read the files (before, it slowed the reading).
 */
const VERIFY_ON_A_WORKER_BYTES = 8 * 1_048_576;

/**
 * Reads the options and starts what does not need the repository, before anything is loaded: the
 * git queries (in their own processes, on the other core) and reading the content cache (on
 * libuv's threads). They are awaited only once the check has passed.
 */
export function startBuild(options: BuildOptions): StartedBuild {
  const format = parseFormat(options.format, FORMATS);
  const root = resolveFlagsRoot(options.repo);
  const now = resolveNow(options.now);
  // A pinned instant pins the day too, so a reproducible build checks lifecycle on that day.
  const today = resolveToday(
    options.today ?? (options.now || process.env.FLAGS_NOW ? todayUtc(new Date(now)) : undefined),
  );
  const serial = options.serial === undefined ? undefined : Number(options.serial);
  if (serial !== undefined && !(Number.isSafeInteger(serial) && serial >= 1))
    throw new UsageError(`--serial ${options.serial} is not a whole number of at least 1`);
  const outDir = options.out ? resolve(options.out) : resolve(root, 'dist');
  const json = format === 'json';
  const source = json ? (serial === undefined ? sourceInfo(root) : commitInfo(root)) : undefined;
  source?.catch(() => undefined); // awaited (and so reported) only once the check has passed
  // Whose claims changed needs serials that are commit counts: not with a --serial of one's own.
  // A history git cannot give leaves the feed out (applications then refresh everyone).
  const claimHistory =
    json && serial === undefined
      ? source!
          // Uncommitted flag files get no feed (claimChangesFor): git need not be asked.
          .then((head: { commit: string; serial?: number; dirty: boolean }) =>
            head.dirty || head.serial === undefined
              ? undefined
              : readClaimHistory(root, { commit: head.commit, serial: head.serial }),
          )
          .catch(() => undefined)
      : undefined;
  const signing = signsWithRealKey(options);
  if (options.sinceBundles !== undefined && !json)
    throw new UsageError('--since-bundles is for signed bundles (--format json)');
  const key = signing || !options.cache ? undefined : cacheKey(root);
  const found = key ? resolveCacheDir(root, options.cacheDir) : false;
  const cacheDir = found === false ? undefined : resolve(found);
  const cacheBytes = cacheDir && key && json ? ContentCache.prefetch(cacheDir, key) : undefined;
  // Large bundles are verified on a worker thread, started once the files are read; a signing
  // build from the flag files cannot tell its size from a last build, so it starts the worker once
  // the analysis (which has both cores) is done, and only for a build that verifies anything big.
  const large = lastContentSize(cacheDir, options.sinceBundles) >= VERIFY_ON_A_WORKER_BYTES;
  const verifierStartsAfter = large ? 'read' : signing && json ? 'analysed' : undefined;
  const verifier = verifierStartsAfter ? BundleVerifier.withWorkerLater() : BundleVerifier.inline();
  return {
    options,
    format,
    root,
    now,
    today,
    serial,
    outDir,
    source,
    claimHistory,
    signing,
    cacheDir,
    cacheKey: key,
    cacheBytes,
    verifier,
    verifierStartsAfter,
  };
}

/** How large the last build's contents were: the content cache's size, or the published bundles'. */
function lastContentSize(cacheDir: string | undefined, since: string | undefined): number {
  if (since === undefined) return cacheDir ? ContentCache.sizeAt(cacheDir) : 0;
  let size = 0;
  try {
    for (const entry of readdirSync(resolve(since), { withFileTypes: true }))
      if (entry.isFile() && entry.name.endsWith('.bundle.json'))
        size += statSync(join(resolve(since), entry.name)).size;
  } catch {
    // no folder: the build says so once the check has read the files
  }
  return size;
}

/**
 * The build's own work, once the repository loaded and checked clean: per environment the content
 * (members of unchanged flag files copied from the last build, the others compiled), the statement,
 * the signed bundle, its verification, and the atomic writes.
 */
export async function finishBuild(
  build: StartedBuild,
  repo: CheckedFlags,
  /** Every flag with its object, for when one the content needs is known only by key and hash. */
  loadAll: () => Promise<KnownFlagFile[]> = async () => [...repo.flags],
): Promise<number> {
  const { options, format, root, now, outDir } = build;
  const policy = repo.policy;
  const allFlags = async (): Promise<{ file: string; flag: Flag; hash: string }[]> => {
    const known = repo.flags.every((f) => f.flag) ? repo.flags : await loadAll();
    return known.map((f) => ({ file: f.file, hash: f.hash, flag: f.flag! }));
  };
  const environments =
    options.env && options.env.length > 0 ? [...new Set(options.env)] : policy.environments;
  for (const environment of environments)
    if (!policy.environments.includes(environment))
      throw new UsageError(
        `unknown environment "${environment}"`,
        `the policy declares ${policy.environments.join(', ')}`,
      );

  const built: Built[] = [];
  const writes = new StagedWrites();
  const verdicts: Promise<void>[] = [];
  let cache: ContentCache | undefined;
  try {
    if (format === 'flagd') {
      const { toFlagdDocument } = await import('../core/flagd/export.js');
      const flags = await allFlags();
      for (const environment of environments) {
        const document = toFlagdDocument(flags, policy, environment);
        const bytes = new TextEncoder().encode(`${canonicalJson(document)}\n`);
        const name = `${environment}.flagd.json`;
        writes.stage(join(outDir, name), bytes);
        built.push({ environment, file: name, flags: flags.length, bytes: bytes.byteLength });
      }
    } else {
      // The git facts first: a folder that is not a repository (or has no commit) fails here,
      // before a development key is made for a build that cannot happen.
      const source = { serial: build.serial ?? 0, ...(await build.source!) };
      const keys = resolveSigningKeys({
        root,
        project: policy.project,
        policyEnvironments: policy.environments,
        environments,
        keyFile: options.keyFile,
        requireKey: options.requireSigningKey,
      });
      announceDevelopmentKey(keys);
      const realKeys = keys.keys.filter((k) => !k.development);
      // signsWithRealKey decided, before anything was read, that no cache may be used: hold to it.
      if (realKeys.length > 0 && (!build.signing || build.cacheDir !== undefined))
        throw new FlagsError('internal error: a build with a real signing key was about to use a cache');
      if (source.dirty && realKeys.length > 0 && !options.allowDirty)
        throw new UsageError(
          'flags/ has uncommitted changes; a signed bundle must match its commit',
          'commit them first, or pass --allow-dirty',
        );
      if (source.dirty)
        process.stderr.write('note: flags/ has uncommitted changes; the bundles say so (source.dirty)\n');
      const keyset = await checkKeysAgainstKeyset(root, options.keyset, realKeys, now);
      const devKeyset = keys.development
        ? await verifyKeyset(readFileSync(keys.development.keysetPath))
        : undefined;
      cache =
        build.cacheDir && build.cacheKey
          ? ContentCache.open(build.cacheDir, build.cacheKey, policy, await build.cacheBytes)
          : ContentCache.disabled();
      const previous = build.start?.table ?? cache.previous;
      const targets = keys.keys.map((k) => k.environment);
      const feed = await claimChangesFor(build, source, policy, targets);
      const { contents, table, unchanged } =
        buildKnownContents(repo.flags, policy, targets, previous, feed) ??
        buildContents(await allFlags(), policy, targets, previous, feed);
      // Written (without waiting for the disk) while the bundles are signed and verified.
      if (!unchanged) cache.save(table);
      keys.keys.forEach(({ environment, signer, development }, e) => {
        const contentBytes = contents[e]!.bytes;
        const statement = makeStatement(contentBytes, {
          project: policy.project,
          environment,
          serial: source.serial,
          issuedAt: now,
          validForHours: policy.bundles.validForHours,
          maxClockSkewSeconds: policy.bundles.maxClockSkewSeconds,
          commit: source.commit,
          dirty: source.dirty,
          development,
          toolkit: repo.fingerprint,
          policy: repo.policyHash,
          nextChangeAt: nextChangeAfter(latin1(contentBytes), now),
        });
        const bytes = assembleBundle(contentBytes, statement, [signer]);
        const name = bundleFileName(environment);
        // The start for the next signing build: signed by the same key, beside the bundle.
        if (!development && repo.snapshot)
          writes.stage(
            join(outDir, buildRecordFileName(environment)),
            makeBuildRecord({
              project: policy.project,
              environment,
              contentSha256: statement.content.sha256,
              check: repo.snapshot,
              table,
              signer,
            }),
          );
        // Written to a temporary file (and flushed in the background) while it is verified, as a
        // verifier will; renamed into place only once every bundle verified (commit below), so a
        // bundle that fails here is never seen.
        writes.stage(join(outDir, name), bytes);
        built.push({
          environment,
          file: name,
          flags: table.keys.length,
          bytes: bytes.byteLength,
          statement,
          keyid: signer.keyid,
          development,
        });
        // Last: a verifier thread takes the bytes over.
        const trusted = development ? devKeyset : keyset;
        if (trusted) {
          const verdict = selfCheck(
            build.verifier,
            bytes,
            statement,
            signer.keyid,
            trusted,
            development,
            now,
          );
          verdict.catch(() => undefined); // awaited below; a build that fails first no longer cares
          verdicts.push(verdict);
        }
      });
    }
    await Promise.all(verdicts);
  } catch (error) {
    await writes.abort();
    throw error;
  } finally {
    build.verifier.close();
  }
  await writes.commit();
  await cache?.settled();

  const shown = relative(process.cwd(), outDir) || '.';
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ out: outDir, format, bundles: built.map((b) => ({ ...b, file: resolve(outDir, b.file) })) }, null, 2)}\n`,
    );
  } else {
    for (const b of built) {
      const s = b.statement;
      process.stdout.write(
        s
          ? `${b.environment}: ${shown}/${b.file}  ${b.flags} flags, serial ${s.serial}, sha256 ${s.content.sha256.slice(0, 12)}…, ${b.development ? 'DEVELOPMENT-signed' : `signed by ${b.keyid!.slice(0, 12)}…`}, expires ${s.expiresAt}\n`
          : `${b.environment}: ${shown}/${b.file}  ${b.flags} flags (flagd, unsigned)\n`,
      );
    }
  }
  return 0;
}

/** The content as text for nextChangeAfter (which looks only at ASCII), without a copy of the bytes. */
const latin1 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/**
 * The content's claimChanges per environment: none for a build with uncommitted flag files (the
 * history does not describe them) or whose serial is not HEAD's commit count.
 */
async function claimChangesFor(
  build: StartedBuild,
  source: { commit: string; dirty: boolean; serial: number },
  policy: CheckedFlags['policy'],
  environments: readonly string[],
): Promise<Map<string, ClaimChangeRange[]> | undefined> {
  const history = await build.claimHistory;
  if (!history || source.dirty || history.commit !== source.commit || history.serial !== source.serial)
    return undefined;
  return claimFeed(history.ranges, policy, environments, history.committedAt);
}

function announceDevelopmentKey(keys: ResolvedKeys): void {
  const dev = keys.development;
  if (!dev) return;
  const environments = keys.keys.filter((k) => k.development).map((k) => k.environment);
  process.stderr.write(
    `${dev.created ? `warning: no signing key configured; made a development key at ${dev.path}` : `warning: no signing key configured; using the development key ${dev.path}`}\n` +
      `  ${environments.join(', ')} ${environments.length === 1 ? 'is' : 'are'} DEVELOPMENT-signed: production verifiers refuse these bundles.\n` +
      `  Verify locally with: flags verify <bundle> --env <env> --allow-development (keyset: ${dev.keysetPath})\n` +
      '  For real bundles set FLAGS_SIGNING_KEY_<ENV> or FLAGS_SIGNING_KEY, or pass --key-file.\n',
  );
}

/** A real signing key must be in the committed keyset, for the environment it signs, and valid now. */
async function checkKeysAgainstKeyset(
  root: string,
  keysetOption: string | undefined,
  keys: readonly { environment: string; signer: { keyid: string }; origin: string }[],
  now: number,
): Promise<TrustedKeyset | undefined> {
  if (keys.length === 0) return undefined;
  const path = keysetOption ? resolve(keysetOption) : resolve(root, DEFAULT_KEYSET_FILE);
  const bytes = readKeysetBytes(path);
  if (!bytes) {
    if (keysetOption) throw new UsageError(`the keyset ${path} does not exist`);
    process.stderr.write(
      `warning: no ${DEFAULT_KEYSET_FILE}: verifiers have no keyset to trust these keys with\n  fix: flags keyset init --key <key file>=<environments>\n`,
    );
    return undefined;
  }
  let keyset: TrustedKeyset;
  try {
    keyset = await verifyKeyset(bytes);
  } catch (error) {
    if (error instanceof VerificationError)
      throw new InputError(`${path}: ${error.message}`, { location: { file: path } });
    throw error;
  }
  for (const { environment, signer, origin } of keys) {
    const trusted = keyset.keys.get(signer.keyid);
    if (!trusted?.environments.has(environment))
      throw new UsageError(
        `the signing key from ${origin} (${signer.keyid.slice(0, 16)}…) is not in ${relative(root, path) || path} for ${environment}`,
        'add it with flags keyset add (or rotate to it), or use the key the keyset names',
      );
    if (now < trusted.notBefore || now >= trusted.notAfter)
      throw new UsageError(
        `the signing key ${signer.keyid.slice(0, 16)}… is not valid at ${formatInstant(now)}`,
      );
    if (now >= trusted.retiredAt)
      throw new UsageError(
        `the signing key ${signer.keyid.slice(0, 16)}… was retired at ${formatInstant(trusted.retiredAt)} by a rotation and signs nothing new`,
        `sign with its successor in ${relative(root, path) || path} (flags keyset show)`,
      );
    if (trusted.notAfter - now < 30 * 86_400_000)
      process.stderr.write(
        `warning: the signing key for ${environment} expires at ${formatInstant(trusted.notAfter)}; rotate it (flags keyset rotate)\n`,
      );
  }
  return keyset;
}

/** Verifies what was just signed, as a verifier will: a bundle that fails here is never written. */
async function selfCheck(
  verifier: BundleVerifier,
  bytes: Uint8Array,
  statement: BundleStatement,
  keyid: string,
  keyset: TrustedKeyset,
  development: boolean,
  now: number,
): Promise<void> {
  try {
    await verifier.verify(bytes, {
      keyset,
      environment: statement.environment,
      now,
      allowDevelopment: development,
    });
  } catch (error) {
    throw new FlagsError(
      `internal error: the bundle for ${statement.environment} signed by ${keyid.slice(0, 16)}… does not verify: ${(error as Error).message}`,
    );
  }
}
