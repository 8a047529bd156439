import { analyzeFlagFile } from '../check/analyze-file.js';
import { analyzePolicy, POLICY_FILE } from '../check/analyze-policy.js';
import type { Finding } from '../findings/finding.js';
import type { FileProblem, Side, Snapshot } from './types.js';

/** A changed file at one side: its bytes, or why they could not be read (a symbolic link, too large). */
export type SourceFile =
  | { file: string; bytes: Uint8Array }
  | { file: string; unreadable: string; code?: string };

/**
 * Parses the changed files of one side with the same loader and validator as `flags check`, under
 * that side's policy. A file that does not yield a flag becomes a problem, never an exception.
 */
export function buildSnapshot(side: Side, policyBytes: Uint8Array | undefined, files: readonly SourceFile[]) {
  const problems: FileProblem[] = [];
  const { policy, findings } = analyzePolicy(POLICY_FILE, policyBytes);
  const policyError = firstError(findings);
  if (policyError) problems.push(problem(side, policyError, ' (the default policy was used)'));
  const snapshot: Snapshot = { policy, flags: [], problems };
  for (const source of files) {
    if ('unreadable' in source) {
      problems.push({
        side,
        file: source.file,
        line: 1,
        col: 1,
        code: source.code ?? 'file/unreadable',
        message: source.unreadable,
      });
      continue;
    }
    // The hash only keys `flags check`'s cache; a diff never caches.
    const result = analyzeFlagFile(source.file, '', source.bytes, policy);
    if (result.flag) snapshot.flags.push({ file: source.file, flag: result.flag });
    else {
      const error = firstError(result.findings);
      problems.push(
        error
          ? problem(side, error)
          : { side, file: source.file, line: 1, col: 1, code: 'file/unreadable', message: 'not a flag' },
      );
    }
  }
  return snapshot;
}

const firstError = (findings: readonly Finding[]): Finding | undefined =>
  findings.find((f) => f.severity === 'error');

const problem = (side: Side, f: Finding, suffix = ''): FileProblem => ({
  side,
  file: f.file,
  line: f.line,
  col: f.col,
  code: f.code,
  message: f.message + suffix,
});
