import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_KEYSET_FILE } from '../adapters/bundle-files.js';
import { developmentKeyDir, verifyKeysetFile } from '../adapters/keys.js';
import { InputError, UsageError } from '../errors.js';
import { fileStateStore } from '../runtime/node-files.js';
import { readSource } from '../runtime/sources.js';
import { VerificationError } from '../runtime/errors.js';
import type { TrustedKey, TrustedKeyset } from '../runtime/keyset.js';
import { bundleStateKey, rememberBundle, rememberedBundle } from '../runtime/state.js';
import { DEFAULT_MAX_BUNDLE_BYTES, parseContent, verifyBundle } from '../runtime/verify.js';
import { resolveNow, withNow } from './build.js';
import { resolveRoot, withRepo } from './common.js';

/**
 * `flags verify <bundle> --env <env>`: every check the runtime makes, from the same code, with a
 * sentence saying what failed. Exit 0 when the bundle passes, 1 when it does not.
 */

interface VerifyCommandOptions {
  repo: string;
  env: string;
  keyset?: string;
  keysetRoot?: string;
  project?: string;
  state?: string;
  allowDevelopment?: boolean;
  maxBytes?: string;
  now?: string;
  json?: boolean;
}

export function registerVerify(program: Command): void {
  const command = program
    .command('verify <bundle>')
    .description('verify a signed bundle: signature, keyset, environment, freshness, serial and content')
    .requiredOption('-e, --env <name>', 'the environment the verifier serves (e.g. production)')
    .option('--keyset <path>', `the trusted keyset (default: ${DEFAULT_KEYSET_FILE} in the repository)`)
    .option('--keyset-root <sha256>', 'pin: the digest of the keyset version 1 payload (flags keyset show)')
    .option('--project <name>', "the project the bundle must be for (default: the keyset's)")
    .option(
      '--state <file>',
      "remember the newest serial and keyset version here, as the runtime's state file does; refuse older ones",
    )
    .option(
      '--allow-development',
      'accept development-signed bundles, also trusting the local development key',
    )
    .option('--max-bytes <n>', `refuse larger inputs before parsing (default ${DEFAULT_MAX_BUNDLE_BYTES})`)
    .option('--json', 'print the result as JSON');
  withRepo(command);
  withNow(command);
  command.action(async (bundle: string, options: VerifyCommandOptions) => {
    process.exitCode = await runVerify(bundle, options);
  });
}

export async function runVerify(bundle: string, options: VerifyCommandOptions): Promise<number> {
  const now = resolveNow(options.now);
  const maxBytes = options.maxBytes === undefined ? DEFAULT_MAX_BUNDLE_BYTES : Number(options.maxBytes);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
    throw new UsageError(`--max-bytes ${options.maxBytes} is not a size`);
  const state = options.state ? resolve(options.state) : undefined;
  const store = state === undefined ? undefined : fileStateStore(state);
  const keyset = await loadTrust(options, state);
  try {
    const key = bundleStateKey(options.project ?? keyset.project, options.env);
    const previous = await rememberedBundle(store, key);
    const bytes = await readSource({ path: bundle }, maxBytes);
    const verified = await verifyBundle(bytes, {
      keyset,
      environment: options.env,
      project: options.project,
      now,
      allowDevelopment: options.allowDevelopment,
      maxBytes,
      previous,
    });
    const content = parseContent(verified);
    const s = verified.statement;
    if (store && (!previous || s.serial > previous.serial)) await rememberBundle(store, key, s);
    const flags = Object.keys(content.flags).length;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: true, bundle, keyid: verified.keyid, keysetVersion: keyset.version, flags, statement: s }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(
        [
          `✔ ${bundle} verified for ${s.environment}${s.development ? ' (DEVELOPMENT-signed)' : ''}`,
          `  project ${s.project}, serial ${s.serial}, ${flags} flags, source ${s.source.commit.slice(0, 12)}${s.source.dirty ? ' (dirty)' : ''}`,
          `  issued ${s.issuedAt}, expires ${s.expiresAt}`,
          `  content sha256 ${s.content.sha256}, ${s.content.size} bytes`,
          `  signed by ${verified.keyid} (keyset version ${keyset.version})`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: false, bundle, code: error.code, message: error.message }, null, 2)}\n`,
      );
      return 1;
    }
    throw new InputError(`bundle refused [${error.code}]: ${error.message}`, {
      location: { file: bundle },
      hint: hintFor(error.code),
    });
  }
}

/**
 * The committed keyset (held to the state file, as the runtime holds it) and, with
 * --allow-development, the local development keyset, which no state file remembers.
 */
async function loadTrust(options: VerifyCommandOptions, state: string | undefined): Promise<TrustedKeyset> {
  const root = resolveRoot(options.repo);
  const path = options.keyset ? resolve(options.keyset) : resolve(root, DEFAULT_KEYSET_FILE);
  const devPath = resolve(developmentKeyDir(root), 'keyset.json');
  const main = await readKeyset(
    path,
    options.keysetRoot,
    !options.allowDevelopment || options.keyset !== undefined,
    state,
  );
  const dev = options.allowDevelopment ? await readKeyset(devPath, undefined, false, undefined) : undefined;
  if (main && dev) return mergeKeysets(main, dev);
  const trust = main ?? dev;
  if (!trust)
    throw new UsageError(
      `no keyset at ${path}`,
      'give --keyset <file>, or create one with flags keyset init (--allow-development trusts the local development key)',
    );
  return trust;
}

async function readKeyset(
  path: string,
  root: string | undefined,
  required: boolean,
  state: string | undefined,
): Promise<TrustedKeyset | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    if (code === 'ENOENT')
      throw new UsageError(
        `no keyset at ${path}`,
        'give --keyset <file> or create one with flags keyset init; development bundles verify with --allow-development',
      );
    throw new UsageError(`cannot read the keyset ${path}: ${code ?? String(error)}`);
  }
  return verifyKeysetFile(path, bytes, root, state);
}

/** The committed keyset plus the local development key (which stays marked as development). */
function mergeKeysets(main: TrustedKeyset, dev: TrustedKeyset): TrustedKeyset {
  if (dev.project !== main.project) return main;
  const keys = new Map<string, TrustedKey>(main.keys);
  for (const [keyid, key] of dev.keys) if (!keys.has(keyid)) keys.set(keyid, { ...key, development: true });
  return { ...main, keys };
}

function hintFor(code: string): string | undefined {
  switch (code) {
    case 'development-signed':
      return 'sign with a real key (FLAGS_SIGNING_KEY_<ENV>); development bundles are for workstations';
    case 'unknown-key':
      return 'check that the keyset is the one the bundle was signed for, and that the key was added to it';
    case 'expired':
      return 'publish a fresh build; bundles expire policy.bundles.validForHours after they are issued';
    case 'rollback':
    case 'serial-reused':
      return 'a newer bundle was accepted before: publish a build of a newer commit';
    case 'wrong-environment':
    case 'key-not-for-environment':
      return 'give the bundle built for this environment';
    default:
      return undefined;
  }
}
