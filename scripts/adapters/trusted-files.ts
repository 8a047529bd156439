import { analyzePolicy, type PolicyAnalysis } from '../core/check/analyze-policy.js';
import { POLICY_FILE } from '../core/model/constants.js';
import { InputError } from '../errors.js';
import { readRegularFile } from './repo-files.js';

/**
 * The policy and CODEOWNERS as the commands besides check read them. A symbolic link (at the file or
 * at a folder on its way) is never followed, as in check: otherwise a change to the link's target
 * would change a command's answer, or a write, without a change to the file under review.
 */

/** The policy's analysis; a link is its error finding, so the caller's error path names it. */
export function readPolicyFile(root: string): PolicyAnalysis {
  const read = readRegularFile(root, POLICY_FILE);
  if ('symlink' in read) return { ...analyzePolicy(POLICY_FILE, undefined), findings: [read.symlink] };
  return analyzePolicy(POLICY_FILE, 'bytes' in read ? read.bytes : undefined);
}

/** A file's text, or undefined when absent; a link is an error naming it. */
export function readTrustedText(root: string, file: string): string | undefined {
  const read = readRegularFile(root, file);
  if ('symlink' in read)
    throw new InputError(read.symlink.message, {
      location: { file, line: 1, col: 1 },
      hint: read.symlink.hint,
    });
  return 'bytes' in read ? new TextDecoder().decode(read.bytes) : undefined;
}
