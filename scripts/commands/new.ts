import { existsSync, linkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { writeFileAtomic } from '../adapters/files.js';
import { loadRepository, type Repository } from '../adapters/repository.js';
import { sha256 } from '../adapters/repo-files.js';
import { analyzeFlagFile } from '../core/check/analyze-file.js';
import { checkRepository } from '../core/check/check-repository.js';
import { ownersOf } from '../core/codeowners/parse.js';
import type { IsoDate } from '../core/dates.js';
import { FLAG_TYPES, type FlagType, isTemporary, OWNER_PATTERN } from '../core/model/flag.js';
import { PUBLISHED_SCHEMAS, renderSchema } from '../core/model/json-schema.js';
import type { Policy } from '../core/model/policy.js';
import { expiryFor, flagPath, isFlagDir, isFlagKey, scaffoldFlag } from '../core/scaffold/flag-template.js';
import { FlagsError, UsageError } from '../errors.js';
import { planCodeowners } from './codeowners.js';
import { resolveRoot, resolveToday, withRepo, withToday } from './common.js';

interface NewOptions {
  repo: string;
  today?: string;
  type?: string;
  owner?: string;
  description?: string;
  dir?: string;
  contract?: string;
  ticket?: string;
  codeowners: boolean;
}

export function registerNew(program: Command): void {
  const command = program
    .command('new')
    .description(
      'scaffold a flag file with the defaults of its type (asks for what is missing on a terminal)',
    )
    .argument('[key]', 'the flag key, lowercase kebab-case')
    .option('-t, --type <type>', FLAG_TYPES.join(', '))
    .option('--owner <owner>', 'accountable team or user (default: the CODEOWNERS owner of the file)')
    .option('-d, --description <text>', 'what the flag does')
    .option('--dir <folder>', 'subfolder of flags/, e.g. growth')
    .option('--contract <ref>', 'plan or SKU reference (required for entitlements)')
    .option('--ticket <ref>', 'tracking reference (issue, ticket)')
    .option('--no-codeowners', 'leave CODEOWNERS alone');
  withRepo(command);
  withToday(command);
  command.action(async (key: string | undefined, options: NewOptions) => {
    process.exitCode = await runNew(key, options);
  });
}

export interface NewAnswers {
  key?: string;
  type?: string;
  owner?: string;
  description?: string;
  contract?: string;
  ticket?: string;
}

export interface NewContext {
  policy: Policy;
  dir?: string;
  /** The owner CODEOWNERS gives a file at this path, offered as the default. */
  defaultOwner(file: string): string | undefined;
  /** Whether a flag with this key exists already. */
  taken(key: string): string | undefined;
}

/** What is wrong with an answer, or undefined when it is fine. Shared by prompts and options. */
export function problemWith(field: keyof NewAnswers, value: string, ctx: NewContext): string | undefined {
  switch (field) {
    case 'key':
      if (!isFlagKey(value)) return 'use lowercase letters, digits and single dashes, e.g. new-checkout-flow';
      return ctx.taken(value) ? `a flag "${value}" exists already (${ctx.taken(value)})` : undefined;
    case 'type':
      return (FLAG_TYPES as readonly string[]).includes(value)
        ? undefined
        : `one of ${FLAG_TYPES.join(', ')}`;
    case 'owner':
      return new RegExp(OWNER_PATTERN).test(value) ? undefined : 'a GitHub team or user: @org/team or @user';
    case 'description':
      return value.trim() === ''
        ? 'say what the flag does'
        : value.length > 2000
          ? 'at most 2000 characters'
          : undefined;
    case 'contract': {
      const pattern = safeRegExp(ctx.policy.agreements.contractPattern);
      return pattern && !pattern.test(value)
        ? `must match ${ctx.policy.agreements.contractPattern}`
        : undefined;
    }
    case 'ticket':
      return value.length > 128 ? 'at most 128 characters' : undefined;
  }
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

/** Asks on a terminal for what the options left out, re-asking until each answer is valid. */
export async function promptMissing(
  given: NewAnswers,
  ctx: NewContext,
  io: { input: Readable; output: Writable },
): Promise<NewAnswers> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const answers: NewAnswers = { ...given };
  const ask = async (field: keyof NewAnswers, question: string, fallback?: string, optional = false) => {
    if (answers[field] !== undefined) return;
    for (;;) {
      io.output.write(`${question}${fallback ? ` [${fallback}]` : optional ? ' (optional)' : ''}: `);
      const next = await lines.next();
      if (next.done) throw new UsageError(`no answer for ${field}`, `give it as an option, e.g. --${field}`);
      const value = String(next.value).trim() || fallback || '';
      if (value === '' && optional) return;
      const problem = value === '' ? 'an answer is needed' : problemWith(field, value, ctx);
      if (!problem) {
        answers[field] = value;
        return;
      }
      io.output.write(`  ${problem}\n`);
    }
  };
  try {
    await ask('key', 'Flag key (lowercase kebab-case)');
    await ask('type', `Type (${FLAG_TYPES.join(', ')})`, 'release');
    await ask('description', 'Description');
    await ask('owner', 'Owner', ctx.defaultOwner(flagPath(answers.key!, ctx.dir)));
    const type = answers.type as FlagType;
    if (ctx.policy.types[type].requiresAgreement) await ask('contract', 'Contract (plan or SKU reference)');
    else if (isTemporary(type)) await ask('ticket', 'Ticket', undefined, true);
  } finally {
    rl.close();
  }
  return answers;
}

export async function runNew(
  key: string | undefined,
  options: NewOptions,
  io: { input: Readable & { isTTY?: boolean }; output: Writable & { isTTY?: boolean } } = {
    input: process.stdin,
    output: process.stdout,
  },
): Promise<number> {
  const root = resolveRoot(options.repo);
  const today = resolveToday(options.today);
  if (options.dir !== undefined && !isFlagDir(options.dir))
    throw new UsageError(
      `--dir "${options.dir}" is not a plain folder name`,
      'e.g. --dir growth or --dir team/payments',
    );
  const repo = await loadRepository(root);
  const ctx = contextFor(repo, options.dir);
  let answers: NewAnswers = {
    key,
    type: options.type,
    owner: options.owner,
    description: options.description,
    contract: options.contract,
    ticket: options.ticket,
  };
  // Options are checked first, so a wrong one is an error, not a question.
  for (const field of Object.keys(answers) as (keyof NewAnswers)[]) {
    const value = answers[field];
    if (value === undefined) continue;
    const problem = problemWith(field, value, ctx);
    if (problem) throw new UsageError(`${field === 'key' ? 'key' : `--${field}`} "${value}": ${problem}`);
  }
  if (io.input.isTTY && io.output.isTTY) answers = await promptMissing(answers, ctx, io);
  const missing = [
    answers.key === undefined ? '<key>' : undefined,
    answers.type === undefined ? '--type' : undefined,
    answers.description === undefined ? '--description' : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0)
    throw new UsageError(
      `missing ${missing.join(', ')}`,
      'flags new <key> --type <type> --description <text>, or run it in a terminal to be asked',
    );
  const flagKey = answers.key!;
  const description = answers.description!;
  const type = answers.type as FlagType;
  const file = flagPath(flagKey, options.dir);
  const owner = answers.owner ?? ctx.defaultOwner(file);
  if (owner === undefined)
    throw new UsageError(
      'missing --owner',
      'no CODEOWNERS rule covers the file, so give the owner: --owner @org/team',
    );
  if (repo.policy.types[type].requiresAgreement && answers.contract === undefined)
    throw new UsageError(
      `missing --contract`,
      `${type} flags belong to a plan or SKU; give it with --contract`,
    );
  const text = scaffoldFlag({
    file,
    key: flagKey,
    type,
    owner,
    description,
    contract: answers.contract,
    ticket: answers.ticket,
    policy: repo.policy,
    today,
  });
  const result = verify(file, text, repo.policy, today);
  createExclusive(join(root, file), text, file);
  const out = [
    `created ${file} (${type}, owner ${owner}, ${isTemporary(type) ? `expires ${expiryFor(type, repo.policy, today)}` : `reviewed ${today}`})`,
  ];
  if (options.codeowners && repo.codeowners) {
    const plan = planCodeowners(root, { files: [...repo.files, result] });
    if (plan.changed) {
      writeFileAtomic(join(root, plan.file), plan.text);
      const line = plan.lines.find((l) => l.startsWith(`/${file} `));
      out.push(`updated ${plan.file}: ${line ?? 'the managed block is in sync again'}`);
    }
  }
  // With plans, an entitlement reaches customers through the plan that sells it, not by hand:
  // say where it goes, as flags check will (contracts/unsold-entitlement) until it is there.
  if (repo.policy.plans !== undefined && repo.policy.types[type].requiresAgreement)
    out.push(
      `next: add it to the plan that sells it in flags/_policy.yaml (plans: ${answers.contract}: flags: ${flagKey}: true); until then flags check warns contracts/unsold-entitlement`,
    );
  const schemas = writeMissingSchemas(root);
  if (schemas.length > 0)
    out.push(
      `wrote ${schemas.length > 1 ? `${schemas.slice(0, -1).join(', ')} and ${schemas.at(-1)}` : schemas[0]}: the $schema lines of the flag, policy and organization files point there, for editors (flags schemas --write keeps them current)`,
    );
  out.push('next: turn it on where it should be on, then run flags check and open a pull request');
  io.output.write(`${out.join('\n')}\n`);
  return 0;
}

function contextFor(repo: Repository, dir: string | undefined): NewContext {
  const keys = new Map<string, string>();
  for (const r of repo.files) {
    const name = r.file
      .split('/')
      .pop()!
      .replace(/\.ya?ml$/, '');
    keys.set(r.flag?.key ?? name, r.file);
    keys.set(name, r.file);
  }
  return {
    policy: repo.policy,
    dir,
    defaultOwner: (file) =>
      repo.codeowners ? ownersOf(repo.codeowners, file)?.owners.find((o) => o.startsWith('@')) : undefined,
    taken: (key) => keys.get(key),
  };
}

/** The scaffold must pass the same checks as every flag file; anything else is refused before writing. */
function verify(file: string, text: string, policy: Policy, today: IsoDate) {
  const bytes = new TextEncoder().encode(text);
  const result = analyzeFlagFile(file, sha256(bytes), bytes, policy);
  const errors = checkRepository({
    policy,
    files: [result],
    preliminary: [],
    codeowners: undefined,
    today,
  }).filter((f) => f.severity === 'error');
  if (errors.length > 0 || !result.flag) {
    const first = errors[0];
    throw new UsageError(
      `the new flag would not pass flags check: ${first ? `${first.code}: ${first.message}` : 'it does not load'}`,
      first?.hint,
    );
  }
  return result;
}

/**
 * The schemas a new flag's modeline names, written when the repository has none yet (a repository
 * made by hand rather than by flags init): a modeline must not point at nothing. Existing files are
 * left alone; flags schemas --check says when they are stale.
 */
function writeMissingSchemas(root: string): string[] {
  const written: string[] = [];
  for (const [name, make] of Object.entries(PUBLISHED_SCHEMAS)) {
    const file = `schemas/${name}`;
    if (existsSync(join(root, file))) continue;
    writeFileAtomic(join(root, file), renderSchema(make()));
    written.push(file);
  }
  return written;
}

/** Writes the file completely beside its target, then links it into place: never overwrites. */
function createExclusive(path: string, text: string, file: string): void {
  const temp = join(dirname(path), `.${file.split('/').pop()}.${process.pid}.new`);
  writeFileAtomic(temp, text);
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new FlagsError(`${file} exists already; flags new never overwrites`, {
        hint: 'pick another key, or edit the file',
        location: { file },
      });
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}
