import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckSnapshot, SnapshotEntry } from '../core/check/incremental.js';
import type { IsoDate } from '../core/dates.js';
import { CODES } from '../core/findings/codes.js';
import type { Finding } from '../core/findings/finding.js';
import { writeFileAtomic } from './files.js';
import type { RepositoryFiles } from './repository.js';
import { sha256 } from './repo-files.js';

/**
 * Where the snapshot of the last check lives (core/check/incremental.ts says what it holds), and
 * the key it is valid under: the toolkit fingerprint, the analysed policy, CODEOWNERS as parsed and
 * today. Any difference and the file is ignored, as is a file that is corrupt, truncated or written
 * by another version; the check then runs in full and writes a new one.
 */

const STATE_FILE = 'check-state.json';
const FORMAT = 1;

export function checkStateKey(read: RepositoryFiles, today: IsoDate): string {
  return sha256(
    [FORMAT, read.fingerprint, read.policyHash, today, JSON.stringify(read.codeowners ?? null)].join('\0'),
  );
}

type StoredEntry = [
  file: string,
  hash: string,
  key: string | null,
  line: number,
  col: number,
  findings: Finding[] | 0,
];

interface Stored {
  format: number;
  key: string;
  peaks: Record<string, number> | null;
  entries: StoredEntry[];
}

/** Whether a snapshot may be there, without reading it: decides whether to start a worker early. */
export const hasCheckState = (dir: string): boolean => existsSync(join(dir, STATE_FILE));

export function readCheckState(dir: string, key: string): CheckSnapshot | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isStored(data) || data.format !== FORMAT || data.key !== key) return undefined;
  const entries: SnapshotEntry[] = new Array(data.entries.length);
  for (let i = 0; i < data.entries.length; i++) {
    const stored = data.entries[i]!;
    if (!isStoredEntry(stored)) return undefined;
    const [file, hash, flagKey, line, col, findings] = stored;
    const entry: SnapshotEntry = { file, hash, at: [line, col], findings: findings === 0 ? [] : findings };
    if (flagKey !== null) entry.key = flagKey;
    entries[i] = entry;
  }
  return { entries, peaks: data.peaks ?? undefined };
}

/** Writes the snapshot atomically; a read-only cache folder only costs the next check its speed. */
export function writeCheckState(dir: string, key: string, snapshot: CheckSnapshot): void {
  const stored: Stored = {
    format: FORMAT,
    key,
    peaks: snapshot.peaks ?? null,
    entries: snapshot.entries.map((e) => [
      e.file,
      e.hash,
      e.key ?? null,
      e.at[0],
      e.at[1],
      e.findings.length === 0 ? 0 : e.findings,
    ]),
  };
  try {
    // No fsync: a torn or empty file after a crash fails the checks in readCheckState and is ignored.
    writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(stored), 0o644, false);
  } catch {
    // read-only or full: the next check runs in full
  }
}

function isStored(value: unknown): value is Stored {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.format === 'number' &&
    typeof v.key === 'string' &&
    Array.isArray(v.entries) &&
    (v.peaks === null ||
      (!!v.peaks &&
        typeof v.peaks === 'object' &&
        Object.values(v.peaks).every((n) => typeof n === 'number' && Number.isFinite(n))))
  );
}

const isPosition = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

function isStoredEntry(value: unknown): value is StoredEntry {
  if (!Array.isArray(value) || value.length !== 6) return false;
  const [file, hash, key, line, col, findings] = value as unknown[];
  return (
    typeof file === 'string' &&
    typeof hash === 'string' &&
    (key === null || typeof key === 'string') &&
    isPosition(line) &&
    isPosition(col) &&
    (findings === 0 || (Array.isArray(findings) && findings.every(isFinding)))
  );
}

function isFinding(value: unknown): value is Finding {
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
