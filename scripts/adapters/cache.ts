import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileResult } from '../core/check/file-result.js';
import { writeFileAtomic } from './files.js';
import { sha256 } from './repo-files.js';

/**
 * A content-addressed cache of per-file results. The key covers everything a result depends on:
 * the toolkit fingerprint, the policy, the file path and the file's bytes. Rules that depend on
 * today, CODEOWNERS or other files never enter the cache. A corrupt or foreign cache is ignored.
 */

const FORMAT = 1;

export class ResultCache {
  private readonly entries: Map<string, FileResult>;
  private readonly used = new Map<string, FileResult>();
  private dirty = false;

  private constructor(
    private readonly path: string | undefined,
    private readonly salt: string,
    entries: Map<string, FileResult>,
  ) {
    this.entries = entries;
  }

  static disabled(): ResultCache {
    return new ResultCache(undefined, '', new Map());
  }

  static open(dir: string, fingerprint: string, policyHash: string): ResultCache {
    const path = join(dir, 'check-results.json');
    const salt = `${fingerprint}\0${policyHash}`;
    let entries = new Map<string, FileResult>();
    try {
      const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (isCacheFile(data) && data.salt === salt) entries = new Map(Object.entries(data.entries));
    } catch {
      // no cache yet, or an unreadable one: start empty
    }
    return new ResultCache(path, salt, entries);
  }

  key(file: string, contentHash: string): string {
    return sha256(`${this.salt}\0${file}\0${contentHash}`);
  }

  get(file: string, contentHash: string): FileResult | undefined {
    if (!this.path) return undefined;
    const key = this.key(file, contentHash);
    const hit = this.entries.get(key);
    if (hit && hit.file === file && hit.hash === contentHash) {
      this.used.set(key, hit);
      return hit;
    }
    return undefined;
  }

  set(result: FileResult): void {
    if (!this.path) return;
    this.used.set(this.key(result.file, result.hash), result);
    this.dirty = true;
  }

  /** Keeps only the entries of this run, so the cache never grows past the repository. */
  save(): void {
    if (!this.path) return;
    if (!this.dirty && this.used.size === this.entries.size) return;
    const entries = Object.fromEntries([...this.used].sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileAtomic(this.path, JSON.stringify({ format: FORMAT, salt: this.salt, entries }));
  }
}

function isCacheFile(
  data: unknown,
): data is { format: number; salt: string; entries: Record<string, FileResult> } {
  if (!data || typeof data !== 'object') return false;
  const record = data as Record<string, unknown>;
  return (
    record.format === FORMAT &&
    typeof record.salt === 'string' &&
    !!record.entries &&
    typeof record.entries === 'object'
  );
}
