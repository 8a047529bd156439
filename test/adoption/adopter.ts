import { spawnSync } from 'node:child_process';
import { cleanEnv } from './registry.js';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command as an adopter would, in `cwd`, with npm pointed at the test's registry through
 * `npmrc` and a cache of the test's own (`cache`), and nothing of this checkout in the environment.
 */
export function runAs(
  npm: { npmrc: string; cache: string },
  cwd: string,
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Ran {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: cleanEnv({
      npm_config_userconfig: npm.npmrc,
      npm_config_cache: npm.cache,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      NO_COLOR: '1',
      ...env,
    }),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The command's output, for an assertion message that shows what went wrong. */
export const said = (ran: Ran) => `exit ${ran.status}\n${ran.stdout}\n${ran.stderr}`.slice(-6000);
