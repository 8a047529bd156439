import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FindingCode } from '../../scripts/core/findings/codes.js';
import { FIXTURES, tempDir } from '../helpers/gitdir.js';
import { type CliResult, runCli } from '../helpers/run-cli.js';

/** What `flags check --json` prints. */
export interface CheckReport {
  version: number;
  summary: { errors: number; warnings: number; filesWithFindings: number; flags: number; cached: number };
  findings: {
    code: FindingCode;
    severity: 'error' | 'warning';
    file: string;
    line: number;
    col: number;
    path?: string;
    message: string;
    hint?: string;
  }[];
}

/** The day every fixture is judged on. */
export const TODAY = '2026-11-24';

export const fixture = (name: string): string => join(FIXTURES, 'check', name);

/** A fixture copied into a temporary folder, for cases that add links or bytes git cannot keep. */
export function copyOfFixture(name: string): string {
  const dir = tempDir();
  cpSync(fixture(name), dir, { recursive: true });
  return dir;
}

/** stderr without the progress lines that runs over half a second print (scripts/adapters/progress.ts). */
export const withoutProgress = (stderr: string): string =>
  stderr.replace(/^checking flags: \d+\/\d+ \(\d+%\)\n/gm, '');

/** Runs `flags check --json` on a folder and parses the report; stderr must stay quiet. */
export async function checkJson(
  dir: string,
  extra: readonly string[] = [],
  env?: Record<string, string | undefined>,
): Promise<CliResult & { report: CheckReport }> {
  const result = await runCli(['check', '--repo', dir, '--today', TODAY, '--json', '--no-cache', ...extra], {
    env,
  });
  expect(withoutProgress(result.stderr)).toBe('');
  return { ...result, report: JSON.parse(result.stdout) as CheckReport };
}

/** A valid operational flag file; `extra` lines are appended to its production environment. */
export function flagYaml(key: string, options: { owner?: string; lines?: string[]; depth?: number } = {}) {
  const up = '../'.repeat(options.depth ?? 1);
  return [
    `# yaml-language-server: $schema=${up}schemas/flag.schema.json`,
    `key: ${key}`,
    'description: A flag made by a test.',
    `owner: "${options.owner ?? '@acme/platform'}"`,
    'type: operational',
    'reviewed: 2026-10-01',
    'environments:',
    '  production:',
    '    enabled: true',
    ...(options.lines ?? []),
    '',
  ].join('\n');
}
