import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckSnapshot } from '../core/check/incremental.js';
import type { IsoDate } from '../core/dates.js';
import { CODES } from '../core/findings/codes.js';
import type { Finding } from '../core/findings/finding.js';
import { readSealed, writeSealed } from './cache.js';
import type { RepositoryFiles } from './repository.js';
import { sha256 } from './repo-files.js';

/**
 * Where the snapshot of the last check lives (core/check/incremental.ts says what it holds), and
 * the key it is valid under: the toolkit fingerprint, the analysed policy, CODEOWNERS as parsed and
 * today. Any difference and the file is ignored, as is a file that is corrupt, truncated or written
 * by another version; the check then runs in full and writes a new one. The file is sealed
 * (cache.ts): one that does not carry this user's seal (committed, edited, copied from elsewhere)
 * is ignored like a corrupt one.
 */

const STATE_FILE = 'check-state.json';
const FORMAT = 3;

export function checkStateKey(read: RepositoryFiles, today: IsoDate): string {
  return sha256(
    [FORMAT, read.fingerprint, read.policyHash, today, JSON.stringify(read.codeowners ?? null)].join('\0'),
  );
}

/** The snapshot as stored: its columns as they are, its findings as [row, findings] pairs. */
interface Stored {
  format: number;
  key: string;
  peaks: Record<string, number> | null;
  files: string[];
  hashes: string[];
  keys: (string | null)[];
  at: number[];
  archived: number[];
  findings: [number, Finding[]][];
}

/** Whether a snapshot may be there, without reading it: decides whether to start a worker early. */
export const hasCheckState = (dir: string): boolean => existsSync(join(dir, STATE_FILE));

export function readCheckState(dir: string, mac: Buffer, key: string): CheckSnapshot | undefined {
  const body = readSealed(mac, 'check-state', join(dir, STATE_FILE));
  return body && parseCheckState(body.toString('utf8'), key);
}

/** A stored snapshot (as storedCheckState writes it) valid under `key`, or undefined. */
export function parseCheckState(text: string, key: string): CheckSnapshot | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  return checkStateOf(data, key);
}

/** A parsed stored snapshot (as storedCheckState writes it) valid under `key`, or undefined. */
export function checkStateOf(data: unknown, key: string): CheckSnapshot | undefined {
  if (!isStored(data) || data.format !== FORMAT || data.key !== key) return undefined;
  const findings = new Map<number, Finding[]>();
  for (const [row, list] of data.findings) findings.set(row, list);
  const { files, hashes, keys, at, archived } = data;
  return { files, hashes, keys, at, archived, findings, peaks: data.peaks ?? undefined };
}

/**
 * Writes the snapshot atomically, in the background (files.ts: writeCacheFile): a read-only cache
 * folder only costs the next check its speed, and a torn or empty file after a crash fails the
 * checks in readCheckState and is ignored.
 */
export function writeCheckState(dir: string, mac: Buffer, key: string, snapshot: CheckSnapshot): void {
  void writeSealed(mac, 'check-state', join(dir, STATE_FILE), storedCheckState(key, snapshot));
}

/** The snapshot as JSON text, valid under `key`. */
export function storedCheckState(key: string, snapshot: CheckSnapshot): string {
  const stored: Stored = {
    format: FORMAT,
    key,
    peaks: snapshot.peaks ?? null,
    files: snapshot.files,
    hashes: snapshot.hashes,
    keys: snapshot.keys,
    at: snapshot.at,
    archived: snapshot.archived,
    findings: [...snapshot.findings],
  };
  return JSON.stringify(stored);
}

/**
 * Whether parsed JSON is a snapshot this code could have written. Plain loops over the columns: in
 * a fresh process this runs before the JIT has warmed up, over ten thousand rows.
 */
function isStored(value: unknown): value is Stored {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  if (typeof v.format !== 'number' || typeof v.key !== 'string') return false;
  const peaks = v.peaks;
  if (
    peaks !== null &&
    !(
      !!peaks &&
      typeof peaks === 'object' &&
      Object.values(peaks).every((n) => typeof n === 'number' && Number.isFinite(n))
    )
  )
    return false;
  const { files, hashes, keys, at, archived, findings } = v;
  if (
    !Array.isArray(archived) ||
    !archived.every(
      (row, i) =>
        Number.isInteger(row) &&
        row >= 0 &&
        row < (files as unknown[]).length &&
        (i === 0 || row > archived[i - 1]),
    )
  )
    return false;
  if (!Array.isArray(files) || !Array.isArray(hashes) || !Array.isArray(keys) || !Array.isArray(at))
    return false;
  const rows = files.length;
  if (hashes.length !== rows || keys.length !== rows || at.length !== 2 * rows) return false;
  for (let i = 0; i < rows; i++) {
    if (typeof files[i] !== 'string' || typeof hashes[i] !== 'string') return false;
    const k = keys[i];
    if (k !== null && typeof k !== 'string') return false;
  }
  for (let i = 0; i < at.length; i++) if (!isPosition(at[i])) return false;
  if (!Array.isArray(findings)) return false;
  for (const pair of findings) {
    if (!Array.isArray(pair) || pair.length !== 2) return false;
    const [row, list] = pair as unknown[];
    if (typeof row !== 'number' || !Number.isInteger(row) || row < 0 || row >= rows) return false;
    if (!Array.isArray(list) || !list.every(isFinding)) return false;
  }
  return true;
}

const isPosition = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

export function isFinding(value: unknown): value is Finding {
  if (!value || typeof value !== 'object') return false;
  const f = value as Record<string, unknown>;
  return (
    typeof f.code === 'string' &&
    Object.hasOwn(CODES, f.code) &&
    (f.severity === 'error' || f.severity === 'warning') &&
    typeof f.file === 'string' &&
    isPosition(f.line) &&
    isPosition(f.col) &&
    typeof f.message === 'string' &&
    (f.path === undefined || typeof f.path === 'string') &&
    (f.hint === undefined || typeof f.hint === 'string')
  );
}
