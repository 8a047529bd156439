import type { Finding, Position } from '../findings/finding.js';
import type { Flag } from '../model/flag.js';
import type { PathSegment } from '../yaml/load.js';

/**
 * What analysing one flag file yields. It depends only on the file's path, its bytes, the policy and
 * the toolkit version, so it can be cached under a hash of those four.
 */
export interface FileResult {
  file: string;
  hash: string;
  /** Present when the file passed the schema; model findings may still apply. */
  flag?: Flag;
  /** Findings that do not depend on today, CODEOWNERS or other files. */
  findings: Finding[];
  /** Positions of the values that later rules report on, by dotted path. */
  positions: Record<string, [number, number]>;
}

/** Looks a path up in the position table, falling back to the nearest recorded ancestor. */
export function tableLocator(positions: FileResult['positions']) {
  return (path: readonly PathSegment[]): Position => {
    for (let n = path.length; n > 0; n--) {
      const hit = positions[path.slice(0, n).join('.')];
      if (hit) return { line: hit[0], col: hit[1] };
    }
    const root = positions[''];
    return root ? { line: root[0], col: root[1] } : { line: 1, col: 1 };
  };
}
