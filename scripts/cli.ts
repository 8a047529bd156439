import { Command, CommanderError } from 'commander';
import { packageVersion } from './adapters/fingerprint.js';
import { commandsFor } from './commands/index.js';
import { describeLocation, FlagsError } from './errors.js';
import { annotation } from './reporters/github.js';

/**
 * The `flags` command line. Only this file parses arguments, prints errors and sets the exit code;
 * commands return an exit code, and the core never prints.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('flags')
    .description('Flags as code: check, compile, sign and retire feature flags kept as YAML in git.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run flags --help for usage)')
    .exitOverride();
  for (const register of await commandsFor(argv)) register(program);
  for (const command of program.commands) command.exitOverride();
  try {
    process.exitCode = undefined;
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    )
      return 0;
    return 2;
  }
  if (error instanceof FlagsError) {
    process.stderr.write(`${describeLocation(error.location)}error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  fix: ${error.hint}\n`);
    if (process.env.GITHUB_ACTIONS === 'true' && error.location.file) {
      process.stdout.write(
        annotation({
          severity: 'error',
          file: error.location.file,
          line: error.location.line ?? 1,
          col: error.location.col ?? 1,
          code: error.name,
          message: error.message,
          hint: error.hint,
        }),
      );
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `internal error: ${message}\n  this is a bug in flags; please report it with the command you ran${process.env.FLAGS_DEBUG ? '' : ' (set FLAGS_DEBUG=1 for a stack trace)'}\n`,
  );
  if (process.env.FLAGS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 2;
}
