import { createPublicKey } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_KEYSET_FILE, readKeysetBytes } from '../adapters/bundle-files.js';
import { writeFileAtomic } from '../adapters/files.js';
import { readKeySource, readKeySpec, verifyKeysetFile } from '../adapters/keys.js';
import { readPolicyFile } from '../adapters/trusted-files.js';
import {
  appendKeysetVersion,
  createKeyset,
  keysetEntry,
  rotatedKeys,
  serializeKeysetFile,
} from '../core/bundle/keyset.js';
import { type Signer, signerOf } from '../core/bundle/sign.js';
import { POLICY_FILE } from '../core/check/analyze-policy.js';
import type { Policy } from '../core/model/policy.js';
import { InputError, UsageError } from '../errors.js';
import { VerificationError } from '../runtime/errors.js';
import { formatInstant } from '../runtime/instant.js';
import { type KeysetFile, type KeysetKey, type TrustedKeyset, verifyKeyset } from '../runtime/keyset.js';
import { resolveNow, withNow } from './build.js';
import { resolveRoot, withRepo } from './common.js';

/**
 * `flags keyset init|add|rotate|remove|show`: the committed keyset of public keys. Every change
 * appends a version signed by the keys it adds and by old keys for the environments it touches,
 * which is exactly what the runtime's verifyKeyset demands; each new file is verified before it is
 * written.
 */

interface KeysetCommonOptions {
  repo: string;
  keyset?: string;
  now?: string;
  json?: boolean;
}

const DAY_MS = 86_400_000;
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerKeyset(program: Command): void {
  const keyset = program
    .command('keyset')
    .description('manage the committed keyset of public signing keys (init, add, rotate, remove, show)');
  const common = (command: Command) => {
    command.option('--keyset <path>', `keyset file (default: ${DEFAULT_KEYSET_FILE} in the repository)`);
    withRepo(command);
    withNow(command);
    command.exitOverride();
    return command;
  };

  common(
    keyset
      .command('init')
      .description('create version 1, signed by every key it holds')
      .requiredOption(
        '--key <file=envs>',
        'a private key file and the environments it may sign for; repeat',
        collect,
      )
      .option('--valid-days <n>', 'key validity in days', '730')
      .option('--force', 'replace an existing keyset'),
  ).action(async (options: KeysetCommonOptions & { key: string[]; validDays: string; force?: boolean }) => {
    const { root, path, policy } = context(options);
    if (readKeysetBytes(path) && !options.force)
      throw new UsageError(
        `${relative(root, path)} already exists`,
        'use flags keyset add or rotate (or --force to start over)',
      );
    const now = resolveNow(options.now);
    const keys: Record<string, KeysetKey> = {};
    const signers: Signer[] = [];
    for (const spec of options.key) {
      const { key, environments } = readKeySpec(spec);
      checkEnvironments(environments, policy, spec);
      const [keyid, entry] = keysetEntry({
        publicKey: createPublicKey(key),
        environments,
        notBefore: now,
        notAfter: now + validDays(options.validDays) * DAY_MS,
      });
      keys[keyid] = entry;
      signers.push(signerOf(key));
    }
    await write(root, path, createKeyset(policy.project, keys, signers, now), undefined);
  });

  common(
    keyset
      .command('add')
      .description('add a key: signed by the new key and an existing key for its environments')
      .requiredOption('--key <file=envs>', 'the new private key file and its environments')
      .requiredOption('--sign-with <file>', 'a private key of the current version; repeat', collect)
      .option('--valid-days <n>', 'key validity in days', '730'),
  ).action(async (options: KeysetCommonOptions & { key: string; signWith: string[]; validDays: string }) => {
    const { root, path, policy } = context(options);
    const { file, trusted } = await current(path);
    const now = resolveNow(options.now);
    const { key, environments } = readKeySpec(options.key);
    checkEnvironments(environments, policy, options.key);
    const [keyid, entry] = keysetEntry({
      publicKey: createPublicKey(key),
      environments,
      notBefore: now,
      notAfter: now + validDays(options.validDays) * DAY_MS,
    });
    const keys = { ...trusted.payload.keys, [keyid]: entry };
    const signers = [signerOf(key), ...options.signWith.map((s) => signerOf(readKeySource(s).key))];
    await write(root, path, appendKeysetVersion(file, trusted, keys, signers, now), trusted);
  });

  common(
    keyset
      .command('rotate')
      .description('replace a key with a new one for the same environments: signed by both')
      .requiredOption('--old <file>', 'the private key being replaced')
      .requiredOption('--new <file>', 'the new private key (from flags keygen)')
      .option('--env <envs>', "environments for the new key (default: the old key's)")
      .option(
        '--retire-after-hours <n>',
        'keep trusting the old key this long, so bundles it signed stay valid (default: policy.bundles.validForHours; 0 removes it now)',
      )
      .option('--valid-days <n>', 'validity of the new key in days', '730'),
  ).action(
    async (
      options: KeysetCommonOptions & {
        old: string;
        new: string;
        env?: string;
        retireAfterHours?: string;
        validDays: string;
      },
    ) => {
      const { root, path, policy } = context(options);
      const { file, trusted } = await current(path);
      const now = resolveNow(options.now);
      const oldSigner = signerOf(readKeySource(options.old).key);
      const newKey = readKeySource(options.new).key;
      if (!trusted.keys.has(oldSigner.keyid))
        throw new UsageError(`the old key ${oldSigner.keyid.slice(0, 16)}… is not in the keyset`);
      const environments = options.env
        ?.split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      if (environments) checkEnvironments(environments, policy, options.env!);
      const hours =
        options.retireAfterHours === undefined
          ? policy.bundles.validForHours
          : Number(options.retireAfterHours);
      if (!Number.isFinite(hours) || hours < 0)
        throw new UsageError(`--retire-after-hours ${options.retireAfterHours} is not a number of hours`);
      const keys = rotatedKeys(
        trusted.payload.keys,
        oldSigner.keyid,
        {
          publicKey: createPublicKey(newKey),
          notBefore: now,
          notAfter: now + validDays(options.validDays) * DAY_MS,
          ...(environments ? { environments } : {}),
        },
        hours === 0 ? undefined : now + hours * 3_600_000,
      );
      write(
        root,
        path,
        appendKeysetVersion(file, trusted, keys, [oldSigner, signerOf(newKey)], now),
        trusted,
      );
    },
  );

  common(
    keyset
      .command('remove <keyid>')
      .description('remove a key: signed by an existing key for its environments')
      .requiredOption('--sign-with <file>', 'a private key of the current version; repeat', collect),
  ).action(async (keyid: string, options: KeysetCommonOptions & { signWith: string[] }) => {
    const { root, path } = context(options);
    const { file, trusted } = await current(path);
    const matches = [...trusted.keys.keys()].filter((id) => id.startsWith(keyid));
    if (matches.length !== 1)
      throw new UsageError(
        `${matches.length === 0 ? 'no key' : 'several keys'} in the keyset start with ${keyid}`,
      );
    const keys = { ...trusted.payload.keys };
    delete keys[matches[0]!];
    if (Object.keys(keys).length === 0) throw new UsageError('a keyset keeps at least one key');
    const signers = options.signWith.map((s) => signerOf(readKeySource(s).key));
    await write(
      root,
      path,
      appendKeysetVersion(file, trusted, keys, signers, resolveNow(options.now)),
      trusted,
    );
  });

  common(
    keyset
      .command('show')
      .description('verify the whole chain of versions and print the keys')
      .option('--root <sha256>', 'pin: the expected digest of version 1')
      .option('--json', 'print as JSON'),
  ).action(async (options: KeysetCommonOptions & { root?: string }) => {
    const { path } = context(options, false);
    const bytes = readKeysetBytes(path);
    if (!bytes) throw new UsageError(`no keyset at ${path}`, 'create one with flags keyset init');
    const trusted = await verifyKeysetFile(path, bytes, options.root);
    const now = resolveNow(options.now);
    const keys = [...trusted.keys.values()].map((k) => ({
      keyid: k.keyid,
      environments: [...k.environments],
      notBefore: formatInstant(k.notBefore),
      ...(Number.isFinite(k.notAfter) ? { notAfter: formatInstant(k.notAfter) } : {}),
      ...(Number.isFinite(k.retiredAt) ? { retiredAt: formatInstant(k.retiredAt) } : {}),
      valid: now >= k.notBefore && now < k.notAfter,
      signs: now >= k.notBefore && now < k.notAfter && now < k.retiredAt,
      ...(k.development ? { development: true } : {}),
    }));
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ project: trusted.project, version: trusted.version, root: trusted.root, digest: trusted.digest, keys }, null, 2)}\n`,
      );
      return;
    }
    process.stdout.write(
      `✔ keyset of ${trusted.project}: version ${trusted.version}, chain verified\n  root (pin with --keyset-root): ${trusted.root}\n`,
    );
    for (const k of keys)
      process.stdout.write(
        `  ${k.keyid}  ${k.environments.join(',')}  ${k.notBefore} → ${k.notAfter ?? 'no expiry'}${k.retiredAt ? `  retired at ${k.retiredAt}${k.valid ? ' (verifies bundles issued before it; signs nothing new)' : ''}` : ''}${k.valid ? '' : now < Date.parse(k.notBefore) ? '  (not valid yet)' : '  (past its end date: trusted for nothing)'}${k.development ? '  DEVELOPMENT' : ''}\n`,
      );
  });
}

function context(
  options: KeysetCommonOptions,
  needPolicy = true,
): { root: string; path: string; policy: Policy } {
  const root = resolveRoot(options.repo);
  const path = options.keyset ? resolve(options.keyset) : join(root, DEFAULT_KEYSET_FILE);
  const { policy, findings } = readPolicyFile(root);
  const error = findings.find((f) => f.severity === 'error');
  if (needPolicy && error)
    throw new InputError(`${POLICY_FILE} has errors: ${error.message}`, {
      location: { file: error.file, line: error.line, col: error.col },
      hint: error.hint ?? 'flags check lists every problem',
    });
  return { root, path, policy };
}

async function current(path: string): Promise<{ file: KeysetFile; trusted: TrustedKeyset }> {
  const bytes = readKeysetBytes(path);
  if (!bytes) throw new UsageError(`no keyset at ${path}`, 'create one with flags keyset init');
  const trusted = await verifyKeysetFile(path, bytes);
  return { file: JSON.parse(new TextDecoder().decode(bytes)) as KeysetFile, trusted };
}

/** Verifies the new chain as a verifier would (and against the old one), then writes it atomically. */
async function write(
  root: string,
  path: string,
  file: KeysetFile,
  before: TrustedKeyset | undefined,
): Promise<void> {
  const text = serializeKeysetFile(file);
  let trusted: TrustedKeyset;
  try {
    trusted = await verifyKeyset(
      text,
      before ? { previous: { version: before.version, digest: before.digest } } : {},
    );
  } catch (error) {
    if (error instanceof VerificationError)
      throw new UsageError(
        `the new keyset version would not verify: ${error.message}`,
        'sign with the keys the message names (--sign-with)',
      );
    throw error;
  }
  writeFileAtomic(path, text);
  process.stdout.write(
    `wrote ${relative(root, path) || path}: version ${trusted.version}, ${trusted.keys.size} key${trusted.keys.size === 1 ? '' : 's'}\n` +
      (trusted.version === 1 ? `  root (pin with --keyset-root): ${trusted.root}\n` : '') +
      '  commit it; verifiers trust a version once it is in their keyset\n',
  );
}

function checkEnvironments(environments: readonly string[], policy: Policy, spec: string): void {
  if (environments.length === 0)
    throw new UsageError(
      `"${spec}" names no environments`,
      'write <key file>=<env>[,<env>…], e.g. prod.pem=production',
    );
  for (const environment of environments)
    if (!policy.environments.includes(environment))
      throw new UsageError(
        `unknown environment "${environment}"`,
        `the policy declares ${policy.environments.join(', ')}`,
      );
}

function validDays(text: string): number {
  const days = Number(text);
  if (!Number.isSafeInteger(days) || days < 1)
    throw new UsageError(`--valid-days ${text} is not a whole number of days`);
  return days;
}
