import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepository } from '../../bench/generate-repo.js';
import { AnalysisPool, analyzeAll, MIN_FOR_WORKERS } from '../../scripts/adapters/analyze-pool.js';
import { type FlagFileBytes, readFlagFiles } from '../../scripts/adapters/repo-files.js';
import { loadRepository } from '../../scripts/adapters/repository.js';
import { analyzeFlagFile } from '../../scripts/core/check/analyze-file.js';
import { analyzePolicy, POLICY_FILE } from '../../scripts/core/check/analyze-policy.js';
import type { Policy } from '../../scripts/core/model/policy.js';
import { readOptional } from '../../scripts/adapters/repo-files.js';
import { BIN } from '../helpers/run-cli.js';
import { addHostileFiles } from './hostile-files.js';

/**
 * The worker pool may only make analysis faster: every result that comes back from a worker thread
 * equals the result of analysing the same bytes on the main thread.
 */

let dir: string;
let files: FlagFileBytes[];
let policy: Policy;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flags-pool-'));
  generateRepository(dir, { flags: MIN_FOR_WORKERS + 200, seed: 7, dueShare: 0.1 });
  addHostileFiles(dir);
  policy = analyzePolicy(POLICY_FILE, readOptional(join(dir, POLICY_FILE))).policy;
  files = readFlagFiles(dir, policy.limits.maxFileBytes).files;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inProcess = () => files.map((f) => analyzeFlagFile(f.file, f.hash, f.bytes, policy));

describe('the analysis pool', () => {
  it('returns through worker threads exactly what the main thread computes, in file order', async () => {
    const expected = inProcess();
    const pool = AnalysisPool.start(2);
    try {
      await pool.whenReady();
      let viaWorkers = 0;
      const pooled = await pool.analyze(files, policy, {
        onResult: (_, __, json) => {
          if (json !== undefined) viaWorkers++;
        },
      });
      expect(pooled.map((r) => r.file)).toEqual(files.map((f) => f.file));
      expect(pooled).toStrictEqual(expected);
      // Both the workers and the main thread took a share.
      expect(viaWorkers).toBeGreaterThan(0);
      expect(viaWorkers).toBeLessThan(files.length);
    } finally {
      pool.close();
    }
    // Not only clean files went through: the hostile ones came back with their findings.
    expect(expected.filter((r) => r.findings.length > 0).length).toBeGreaterThanOrEqual(7);
  });

  it('analyses on all cores through analyzeAll with the same results', async () => {
    expect(await analyzeAll(files, policy, { threads: 2 })).toStrictEqual(inProcess());
  });

  it('carries values JSON cannot hold (infinities, NaN, -0) back from a worker unchanged', async () => {
    const pool = AnalysisPool.start(1);
    try {
      const subset = files.filter((f) => f.file.includes('zz-'));
      await pool.whenReady();
      const json: (string | undefined)[] = [];
      const results = await pool.analyze(subset, policy, {
        onResult: (i, _, text) => {
          json[i] = text;
        },
      });
      const infinite = results.find((r) => r.file === 'flags/zz-infinite.yaml')!;
      expect(infinite.flag?.variants).toStrictEqual({
        unlimited: Infinity,
        none: -Infinity,
        zero: -0,
        odd: NaN,
      });
      // It came back as a structured clone, and every other result as JSON from the worker.
      expect(json[results.indexOf(infinite)]).toBeUndefined();
      expect(json.filter((text) => text !== undefined)).toHaveLength(subset.length - 1);
      expect(results).toStrictEqual(subset.map((f) => analyzeFlagFile(f.file, f.hash, f.bytes, policy)));
    } finally {
      pool.close();
    }
  });

  it('analyses a small batch exactly as the main thread does, whichever thread takes it', async () => {
    const pool = AnalysisPool.start(1);
    try {
      const subset = files.slice(0, 5);
      let progress = 0;
      const results = await pool.analyze(subset, policy, { onProgress: (done) => (progress = done) });
      expect(results).toStrictEqual(subset.map((f) => analyzeFlagFile(f.file, f.hash, f.bytes, policy)));
      expect(progress).toBe(5);
    } finally {
      pool.close();
    }
  });

  it('finishes the work on the main thread when its workers are gone', async () => {
    const pool = AnalysisPool.start(2);
    pool.close();
    const results = await pool.analyze(files.slice(0, 50), policy);
    expect(results).toStrictEqual(
      files.slice(0, 50).map((f) => analyzeFlagFile(f.file, f.hash, f.bytes, policy)),
    );
  });

  it('finishes the work on the main thread when a worker runs out of memory', async () => {
    // A heap too small for the worker's analysis (it runs with a small one: analyze-pool.ts), but
    // not too small to start: Node 22+ aborts the whole process when a worker cannot even load.
    process.env.FLAGS_WORKER_OLD_MB = '4';
    const pool = AnalysisPool.start(1);
    delete process.env.FLAGS_WORKER_OLD_MB;
    try {
      let viaWorkers = 0;
      const results = await pool.analyze(files, policy, {
        onResult: (_, __, json) => {
          if (json !== undefined) viaWorkers++;
        },
      });
      expect(results).toStrictEqual(inProcess());
      expect(viaWorkers).toBe(0);
      expect(pool.size).toBe(0);
    } finally {
      pool.close();
    }
  });

  it('loads a repository the same on one thread and on several', async () => {
    const one = await loadRepository(dir, { cacheDir: false, threads: 1 });
    const many = await loadRepository(dir, { cacheDir: false, threads: 3 });
    expect(many.files).toStrictEqual(one.files);
    expect(many.preliminary).toStrictEqual(one.preliminary);
    expect(many.stats).toEqual({ files: one.files.length, cached: 0, analysed: one.files.length });
  });
});

describe('worker threads under Node options', () => {
  it('still start when Node runs with an option it refuses in a worker', () => {
    // --max-semi-space-size applies to the whole process: a worker given it fails to start.
    const child = spawnSync(
      process.execPath,
      ['--max-semi-space-size=8', BIN, 'check', '--repo', dir, '--no-cache', '--threads', '2', '--json'],
      { encoding: 'utf8', env: { ...process.env, FLAGS_CACHE_DIR: undefined, GITHUB_ACTIONS: undefined } },
    );
    expect(child.stderr).not.toMatch(/internal error|execArgv/);
    const report = JSON.parse(child.stdout) as { summary: { flags: number } };
    expect(child.status).toBe(1); // the hostile files have errors
    expect(report.summary.flags).toBe(files.length);
  });
});
