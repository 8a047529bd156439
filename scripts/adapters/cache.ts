import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileResult } from '../core/check/file-result.js';
import type { Finding } from '../core/findings/finding.js';
import type { Policy } from '../core/model/policy.js';
import { writeFileAtomic } from './files.js';
import { sha256 } from './repo-files.js';

/**
 * A content-addressed cache of per-file results. An entry counts only when everything its result
 * depends on matches: the toolkit fingerprint and the policy (together the salt, checked on every
 * entry), the file path and the SHA-256 of the file's bytes. Rules that depend on today, CODEOWNERS
 * or other files never enter the cache. A corrupt, truncated or foreign cache is ignored.
 *
 * The file is a log of JSON lines, so that a check after a small change appends a few lines instead
 * of rewriting ten megabytes; it is compacted (rewritten atomically with only the entries of the
 * run) when dead entries pile up or the salt changed. Every line carries the salt, so a line appended
 * by an older toolkit after a newer one compacted the file can never be taken for a current one.
 */

const FORMAT = 3;
const RESULTS_FILE = 'check-results.jsonl';
const POLICY_CACHE_FILE = 'policy.json';

interface Entry {
  result: FileResult;
  /** The line as stored, so compaction never has to stringify a result again. */
  line: string;
}

export class ResultCache {
  private readonly used = new Map<string, Entry>();
  private readonly appended: string[] = [];

  private constructor(
    private readonly path: string | undefined,
    private readonly salt: string,
    private readonly entries: Map<string, Entry>,
    /** Lines in the file that were not loaded: other salts, corrupt lines, a foreign header. */
    private readonly waste: number,
    /** The file is absent or its header is not ours: the next save writes it whole. */
    private readonly fresh: boolean,
  ) {}

  static disabled(): ResultCache {
    return new ResultCache(undefined, '', new Map(), 0, false);
  }

  static open(dir: string, fingerprint: string, policyHash: string): ResultCache {
    const path = join(dir, RESULTS_FILE);
    const salt = sha256(`${FORMAT}\0${fingerprint}\0${policyHash}`).slice(0, 32);
    const entries = new Map<string, Entry>();
    let waste = 0;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return new ResultCache(path, salt, entries, 0, true);
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines[0] !== headerLine(salt)) return new ResultCache(path, salt, entries, lines.length, true);
    const body = lines.slice(1);
    const parsed = parseLines(body);
    for (let i = 0; i < body.length; i++) {
      const value = parsed[i];
      if (isEntryLine(value) && value.s === salt) {
        entries.set(entryKey(value.r.file, value.r.hash), { result: value.r, line: body[i]! });
      } else waste++;
    }
    return new ResultCache(path, salt, entries, waste, false);
  }

  get(file: string, contentHash: string): FileResult | undefined {
    if (!this.path) return undefined;
    const key = entryKey(file, contentHash);
    const hit = this.entries.get(key);
    if (hit && hit.result.file === file && hit.result.hash === contentHash) {
      this.used.set(key, hit);
      return hit.result;
    }
    return undefined;
  }

  /**
   * Records a fresh result. `json` is the result as JSON when the caller already has it (results
   * from worker threads arrive that way); a result whose JSON would not read back equal (NaN,
   * infinities, -0 in variant values) is not cached at all.
   */
  set(result: FileResult, json?: string): void {
    if (!this.path) return;
    const text = json ?? (isJsonSafe(result) ? JSON.stringify(result) : undefined);
    if (text === undefined) return;
    const line = `{"s":"${this.salt}","r":${text}}`;
    this.used.set(entryKey(result.file, result.hash), { result, line });
    this.appended.push(line);
  }

  /**
   * Appends this run's new entries, or compacts the file to exactly the entries this run used when
   * a rewrite is due, so the cache never grows far past the repository.
   */
  save(): void {
    if (!this.path) return;
    const dead = this.waste + this.entries.size - countUsedOld(this.entries, this.used);
    if (this.fresh || dead > Math.max(64, this.used.size / 4)) {
      if (this.fresh && this.used.size === 0 && this.waste === 0) return;
      writeLinesAtomic(this.path, [headerLine(this.salt), ...[...this.used.values()].map((e) => e.line)]);
    } else if (this.appended.length > 0) {
      // One write of whole lines with O_APPEND: concurrent checks interleave lines, never bytes.
      appendFileSync(this.path, Buffer.from(`${this.appended.join('\n')}\n`, 'utf8'));
    }
  }
}

/**
 * writeFileAtomic for many lines, written in batches: joining ten megabytes of lines into one string
 * and one buffer first would add twice that to the peak memory of a cold check.
 */
function writeLinesAtomic(path: string, lines: readonly string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      for (let start = 0; start < lines.length; ) {
        let end = start;
        let size = 0;
        while (end < lines.length && size < 1 << 20) size += lines[end++]!.length + 1;
        writeSync(fd, Buffer.from(`${lines.slice(start, end).join('\n')}\n`, 'utf8'));
        start = end;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

const headerLine = (salt: string) => `{"format":${FORMAT},"salt":"${salt}"}`;
const entryKey = (file: string, hash: string) => `${hash}\0${file}`;

function countUsedOld(entries: Map<string, Entry>, used: Map<string, Entry>): number {
  let n = 0;
  for (const key of used.keys()) if (entries.has(key)) n++;
  return n;
}

/** One JSON.parse for the whole log when it is sound; line by line, skipping bad lines, when not. */
function parseLines(lines: readonly string[]): unknown[] {
  if (lines.length === 0) return [];
  try {
    const all: unknown = JSON.parse(`[${lines.join(',')}]`);
    if (Array.isArray(all) && all.length === lines.length) return all;
  } catch {
    // a torn append or a corrupt line: fall through
  }
  return lines.map((line) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return undefined;
    }
  });
}

function isEntryLine(value: unknown): value is { s: string; r: FileResult } {
  if (!value || typeof value !== 'object') return false;
  const { s, r } = value as { s?: unknown; r?: unknown };
  if (typeof s !== 'string' || !r || typeof r !== 'object') return false;
  const result = r as Record<string, unknown>;
  return (
    typeof result.file === 'string' &&
    typeof result.hash === 'string' &&
    Array.isArray(result.findings) &&
    !!result.positions &&
    typeof result.positions === 'object' &&
    (result.flag === undefined || (!!result.flag && typeof result.flag === 'object'))
  );
}

/** Whether JSON.stringify then JSON.parse gives back an equal value (no NaN, ±Infinity or -0). */
export function isJsonSafe(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  if (Array.isArray(value)) return value.every(isJsonSafe);
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined && !isJsonSafe(v)) return false;
  }
  return true;
}

/** The analysed policy, cached by the policy file's bytes and the toolkit fingerprint. */
export interface PolicyAnalysis {
  policy: Policy;
  findings: Finding[];
}

export function readPolicyCache(
  dir: string,
  fingerprint: string,
  bytesHash: string,
): PolicyAnalysis | undefined {
  try {
    const data = JSON.parse(readFileSync(join(dir, POLICY_CACHE_FILE), 'utf8')) as Record<string, unknown>;
    if (
      data.format === FORMAT &&
      data.fingerprint === fingerprint &&
      data.bytes === bytesHash &&
      data.policy &&
      typeof data.policy === 'object' &&
      Array.isArray(data.findings)
    )
      return { policy: data.policy as Policy, findings: data.findings as Finding[] };
  } catch {
    // absent or unreadable: analyse the policy
  }
  return undefined;
}

export function writePolicyCache(
  dir: string,
  fingerprint: string,
  bytesHash: string,
  analysis: PolicyAnalysis,
): void {
  if (!isJsonSafe(analysis)) return;
  const data = { format: FORMAT, fingerprint, bytes: bytesHash, ...analysis };
  writeFileAtomic(join(dir, POLICY_CACHE_FILE), JSON.stringify(data));
}
