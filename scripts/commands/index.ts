import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every command of the CLI, by name. Each module registers one command and owns its options. They
 * load on demand: `flags check` need not load Octokit, the signing code or the report renderers.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  check: async () => (await import('./check.js')).registerCheck,
  build: async () => (await import('./build.js')).registerBuild,
  verify: async () => (await import('./verify.js')).registerVerify,
  keygen: async () => (await import('./keygen.js')).registerKeygen,
  keyset: async () => (await import('./keyset.js')).registerKeyset,
  diff: async () => (await import('./diff.js')).registerDiff,
  schemas: async () => (await import('./schemas.js')).registerSchemas,
  report: async () => (await import('./report.js')).registerReport,
  codeowners: async () => (await import('./codeowners.js')).registerCodeowners,
  claims: async () => (await import('./claims.js')).registerClaims,
  who: async () => (await import('./who.js')).registerWho,
  new: async () => (await import('./new.js')).registerNew,
  retire: async () => (await import('./retire.js')).registerRetire,
  reconcile: async () => (await import('./reconcile.js')).registerReconcile,
  refs: async () => (await import('./refs.js')).registerRefs,
  environments: async () => (await import('./environments.js')).registerEnvironments,
  init: async () => (await import('./init.js')).registerInit,
};

/**
 * The modules to load for an invocation: only the named command's, none for the version alone, or
 * all of them for help (and for anything else, so that commander can say what is wrong).
 */
export async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const name = argv.find((arg) => !arg.startsWith('-'));
  const load = name === undefined ? undefined : COMMANDS[name];
  if (load && Object.hasOwn(COMMANDS, name!)) return [await load()];
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return [];
  return Promise.all(Object.values(COMMANDS).map((l) => l()));
}
