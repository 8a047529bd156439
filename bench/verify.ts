import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRepository, validFlags } from '../scripts/adapters/repository.js';
import { compileEnvironment } from '../scripts/core/bundle/compile.js';
import { createKeyset, keysetEntry, serializeKeysetFile } from '../scripts/core/bundle/keyset.js';
import { assembleBundle, signerOf } from '../scripts/core/bundle/sign.js';
import { contentBytesOf, makeStatement } from '../scripts/core/bundle/statement.js';
import type { BundleContent } from '../scripts/runtime/bundle-format.js';
import { FlagsRuntime, verifyBundle, verifyKeyset } from '../scripts/runtime/index.js';
import { generateRepository } from './generate-repo.js';

/**
 * Verification speed of a 1 MiB bundle and the memory of a loaded 10,000-flag bundle, with the
 * runtime applications use. Verification is everything before the content is parsed: size cap,
 * strict JSON, base64, the Ed25519 signature over PAE, the statement, and the content's sha256.
 * Loading adds parsing the verified content and indexing it for evaluation.
 *
 *   npm run bench:verify -- [--runs N] [--flags N] [--target-bytes N]
 */

const TARGET_MEDIAN_MS = 5;
const NOW = Date.parse('2026-11-24T12:00:00Z');

const value = (argv: string[], name: string) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** Full collections, with turns of the event loop between them so freed buffers are accounted. */
async function gc(): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) return;
  for (let i = 0; i < 4; i++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function memory(): { heap: number; external: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external };
}

/** Loads a copy of the file bytes in its own frame, so nothing but the runtime can keep them. */
async function loadCopy(runtime: FlagsRuntime, bytes: Uint8Array): Promise<void> {
  const result = await runtime.loadBytes(Buffer.from(bytes));
  if (!result.ok) throw result.error;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = Math.max(10, Number(value(argv, '--runs') ?? 300));
  const count = Number(value(argv, '--flags') ?? 10_000);
  const targetBytes = Number(value(argv, '--target-bytes') ?? 1_048_576);
  const log = (text: string) => process.stderr.write(`${text}\n`);
  if (!(globalThis as { gc?: unknown }).gc)
    log('note: run with node --expose-gc for memory figures (npm run bench:verify does)');

  const work = mkdtempSync(join(tmpdir(), 'flags-bench-verify-'));
  try {
    generateRepository(join(work, 'repo'), { flags: count, seed: 1 });
    const repo = await loadRepository(join(work, 'repo'), { cacheDir: false });
    const flags = validFlags(repo).sort((a, b) => (a.flag.key < b.flag.key ? -1 : 1));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = signerOf(privateKey);
    const [keyid, entry] = keysetEntry({
      publicKey,
      environments: ['production'],
      notBefore: NOW - 86_400_000,
    });
    const keyset = await verifyKeyset(
      serializeKeysetFile(createKeyset(repo.policy.project, { [keyid]: entry }, [signer], NOW)),
    );
    const sign = (content: BundleContent) => {
      const contentBytes = contentBytesOf(content);
      const statement = makeStatement(contentBytes, {
        project: repo.policy.project,
        environment: 'production',
        serial: 1,
        issuedAt: NOW,
        validForHours: 168,
        maxClockSkewSeconds: 300,
        commit: '0'.repeat(40),
        dirty: false,
        development: false,
      });
      return { bytes: assembleBundle(contentBytes, statement, [signer]), contentBytes };
    };
    const full = sign(compileEnvironment(flags, repo.policy, 'production'));
    // The smallest prefix of the flags (by key) whose bundle reaches the target size.
    let take = Math.ceil((flags.length * targetBytes) / full.bytes.byteLength);
    let sized = sign(compileEnvironment(flags.slice(0, take), repo.policy, 'production'));
    while (sized.bytes.byteLength < targetBytes && take < flags.length) {
      take = Math.min(flags.length, take + Math.max(1, Math.ceil(take * 0.02)));
      sized = sign(compileEnvironment(flags.slice(0, take), repo.policy, 'production'));
    }
    const options = { keyset, environment: 'production', now: NOW + 60_000 };

    // Warm up, then interleave verify and load so machine load hits both alike.
    for (let i = 0; i < 30; i++) await verifyBundle(sized.bytes, options);
    const verify: number[] = [];
    const load: number[] = [];
    const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => NOW + 60_000 });
    for (let i = 0; i < runs; i++) {
      let started = performance.now();
      await verifyBundle(sized.bytes, options);
      verify.push(performance.now() - started);
      if (i % 5 === 0) {
        const fresh = await FlagsRuntime.create({
          environment: 'production',
          keyset,
          now: () => NOW + 60_000,
        });
        started = performance.now();
        const result = await fresh.loadBytes(sized.bytes);
        load.push(performance.now() - started);
        if (!result.ok) throw result.error;
      }
    }
    if (!(await runtime.loadBytes(sized.bytes)).ok) throw new Error('the sized bundle does not load');

    // Memory: what a runtime holding the 10,000-flag bundle keeps after the file bytes are gone.
    await gc();
    const before = memory();
    const holder = await FlagsRuntime.create({ environment: 'production', keyset, now: () => NOW + 60_000 });
    await loadCopy(holder, full.bytes);
    await gc();
    const after = memory();
    const held = holder.keys().length;
    const heapMb = (after.heap - before.heap) / 1_048_576;
    const externalMb = (after.external - before.external) / 1_048_576;

    const median = quantile(verify, 0.5);
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const mb = (n: number) => `${(n / 1_048_576).toFixed(2)} MiB`;
    process.stdout.write(
      [
        '',
        `bundle verification, ${availableParallelism()} cores (${cpu}), Node ${process.version}, ${runs} runs`,
        `bundle: ${mb(sized.bytes.byteLength)} (${take} flags, content ${mb(sized.contentBytes.byteLength)})`,
        '',
        `| measurement                                      |   median |      p95 | target        |`,
        `|--------------------------------------------------|----------|----------|---------------|`,
        `| ${'verify the bundle'.padEnd(48)} | ${median.toFixed(2).padStart(5)} ms | ${quantile(verify, 0.95).toFixed(2).padStart(5)} ms | ≤ ${TARGET_MEDIAN_MS} ms ${median <= TARGET_MEDIAN_MS ? 'ok' : 'MISSED'} |`,
        `| ${'load: verify, parse and index for evaluation'.padEnd(48)} | ${quantile(load, 0.5).toFixed(2).padStart(5)} ms | ${quantile(load, 0.95).toFixed(2).padStart(5)} ms |               |`,
        '',
        `memory of a loaded ${held}-flag bundle (file ${mb(full.bytes.byteLength)}, content ${mb(full.contentBytes.byteLength)}): ` +
          ((globalThis as { gc?: unknown }).gc
            ? `${(heapMb + externalMb).toFixed(1)} MiB retained (${heapMb.toFixed(1)} MiB heap + ${externalMb.toFixed(1)} MiB outside the heap, the verified content bytes)`
            : 'n/a (run with --expose-gc)'),
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
