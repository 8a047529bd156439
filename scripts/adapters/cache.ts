import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { PolicyAnalysis } from '../core/check/analyze-policy.js';
import type { FileResult } from '../core/check/file-result.js';
import type { Finding } from '../core/findings/finding.js';
import type { Policy } from '../core/model/policy.js';
import { tempBeside, writeFileAtomic } from './files.js';
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
  /** The line as stored, so compaction never has to stringify a result again ('' once written). */
  line: string;
}

export class ResultCache {
  private readonly used = new Map<string, Entry>();
  private readonly appended: string[] = [];
  /** For a fresh file: lines go straight to a temporary file instead of piling up in memory. */
  private writer: LineWriter | undefined;
  private broken = false;

  private constructor(
    private readonly path: string | undefined,
    private readonly salt: string,
    private readonly entries: Map<string, Entry>,
    /** Lines in the file that were not loaded: other salts, corrupt lines, a foreign header. */
    private readonly waste: number,
    /** The file is absent or its header is not ours: this run writes it whole. */
    private readonly fresh: boolean,
  ) {}

  static disabled(): ResultCache {
    return new ResultCache(undefined, '', new Map(), 0, false);
  }

  /**
   * Whether the cache in `dir` was written for this toolkit and policy and holds any result, from
   * its first line only: deciding whether to boot worker threads must not wait for the whole file.
   */
  static mayAnswer(dir: string, fingerprint: string, policyHash: string): boolean {
    const header = headerLine(saltOf(fingerprint, policyHash));
    const bytes = Buffer.alloc(header.length + 2);
    let fd: number;
    try {
      fd = openSync(join(dir, RESULTS_FILE), 'r');
    } catch {
      return false;
    }
    try {
      const n = readSync(fd, bytes, 0, bytes.length, 0);
      return n === bytes.length && bytes.toString('utf8', 0, header.length + 1) === `${header}\n`;
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Appends results without reading the cache: for a check answered by its snapshot, which analysed
   * a few changed files and need not load ten megabytes of results to record them. Lines go only to
   * a cache written for this toolkit and policy.
   */
  static append(dir: string, fingerprint: string, policyHash: string, results: readonly FileResult[]): void {
    if (results.length === 0 || !ResultCache.mayAnswer(dir, fingerprint, policyHash)) return;
    const salt = saltOf(fingerprint, policyHash);
    const lines = results.filter(isJsonSafe).map((r) => entryLine(salt, JSON.stringify(r)));
    if (lines.length > 0) appendFileSync(join(dir, RESULTS_FILE), `${lines.join('\n')}\n`);
  }

  static open(dir: string, fingerprint: string, policyHash: string): ResultCache {
    const path = join(dir, RESULTS_FILE);
    const salt = saltOf(fingerprint, policyHash);
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
        const key = entryKey(value.r.file, value.r.hash);
        // A result appended twice (two checks of the same change) is waste like any dead line.
        if (entries.has(key)) waste++;
        entries.set(key, { result: value.r, line: body[i]! });
      } else waste++;
    }
    return new ResultCache(path, salt, entries, waste, false);
  }

  /** How many results the cache could answer from; 0 when it is disabled, absent or foreign. */
  get size(): number {
    return this.entries.size;
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
    const line = entryLine(this.salt, text);
    if (this.fresh) {
      if (this.broken) return;
      try {
        this.writer ??= new LineWriter(this.path, headerLine(this.salt));
        this.writer.write(line);
      } catch {
        // A read-only or full disk: the check goes on without writing the cache.
        this.broken = true;
        this.abandon();
        return;
      }
      // Nothing is compacted or appended later, so the entry need not be kept.
    } else {
      this.used.set(entryKey(result.file, result.hash), { result, line });
      this.appended.push(line);
    }
  }

  /**
   * Appends this run's new entries, or compacts the file to exactly the entries this run used when
   * a rewrite is due, so the cache never grows far past the repository.
   */
  save(): void {
    if (!this.path) return;
    if (this.fresh) {
      if (this.broken || (!this.writer && this.waste === 0)) return;
      (this.writer ?? new LineWriter(this.path, headerLine(this.salt))).commit();
      this.writer = undefined;
      return;
    }
    const dead = this.waste + this.entries.size - countUsedOld(this.entries, this.used);
    if (dead > Math.max(64, this.used.size / 4)) {
      const writer = new LineWriter(this.path, headerLine(this.salt));
      try {
        for (const entry of this.used.values()) writer.write(entry.line);
        writer.commit();
      } catch (error) {
        writer.abort();
        throw error;
      }
    } else if (this.appended.length > 0) {
      // One write of whole lines with O_APPEND: concurrent checks interleave lines, never bytes.
      appendFileSync(this.path, `${this.appended.join('\n')}\n`);
    }
  }

  /** Drops a half-written file of a run that failed before save(). */
  abandon(): void {
    try {
      this.writer?.abort();
    } catch {
      // nothing more to clean up
    }
    this.writer = undefined;
  }
}

/**
 * Writes a file of lines whole (a temporary file beside it, renamed into place), in batches: holding
 * ten megabytes of lines and their joined copy until the end would add that much to the peak memory
 * of a cold check. Not flushed (fsync), as no cache is (files.ts: writeCacheFile): a file cut short
 * by a crash has a torn last line or none at all, which `open` counts as waste, never as a result.
 */
class LineWriter {
  private readonly temp: string;
  private readonly fd: number;
  private pending: string[] = [];
  private size = 0;
  private open = true;

  constructor(
    private readonly path: string,
    header: string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.temp = tempBeside(path);
    this.fd = openSync(this.temp, 'w', 0o644);
    this.write(header);
  }

  write(line: string): void {
    this.pending.push(line);
    this.size += line.length + 1;
    if (this.size >= 1 << 18) this.flush();
  }

  commit(): void {
    try {
      this.flush();
      this.close();
      // Removed first: renamed over an existing file, ext4 would start writing the new one out
      // inside the rename, on this thread. A reader in between finds no cache, and analyses.
      rmSync(this.path, { force: true });
      renameSync(this.temp, this.path);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  abort(): void {
    this.close();
    rmSync(this.temp, { force: true });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    // A string, not a Buffer: node encodes it into a native buffer it frees at once, while Buffers
    // would wait for a garbage collection and pile up as external memory.
    const text = `${this.pending.join('\n')}\n`;
    let written = writeSync(this.fd, text);
    const total = Buffer.byteLength(text);
    if (written < total) {
      // A short write (rare on regular files): finish from the encoded bytes.
      const bytes = Buffer.from(text, 'utf8');
      while (written < total) written += writeSync(this.fd, bytes, written, total - written);
    }
    this.pending = [];
    this.size = 0;
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}

const saltOf = (fingerprint: string, policyHash: string): string =>
  sha256(`${FORMAT}\0${fingerprint}\0${policyHash}`).slice(0, 32);
/** One result in the log, with the salt it was written under. */
const entryLine = (salt: string, resultJson: string): string => `{"s":"${salt}","r":${resultJson}}`;
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

/** The analysed policy (core/check/analyze-policy.ts), cached by its bytes and the toolkit fingerprint. */
export type { PolicyAnalysis };

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
      Array.isArray(data.findings) &&
      data.at &&
      typeof data.at === 'object'
    )
      return {
        policy: data.policy as Policy,
        findings: data.findings as Finding[],
        at: data.at as PolicyAnalysis['at'],
      };
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
