import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRepository, validFlags } from '../scripts/adapters/repository.js';
import { compileEnvironment } from '../scripts/core/bundle/compile.js';
import { createKeyset, keysetEntry, serializeKeysetFile } from '../scripts/core/bundle/keyset.js';
import { assembleBundle, signerOf } from '../scripts/core/bundle/sign.js';
import { contentBytesOf, makeStatement } from '../scripts/core/bundle/statement.js';
import { FlagsRuntime, type TrustedKeyset, verifyKeyset } from '../scripts/runtime/index.js';
import { generateRepository } from './generate-repo.js';

/**
 * A fleet polling one bundle URL: a real HTTP server on 127.0.0.1 and N application instances in
 * this process, each a FlagsRuntime with its own watch (the runtime's real polling code: jitter,
 * conditional requests). Measured: the bytes the server sends while nothing changes, with the
 * server answering conditional requests (ETag, 304) against a baseline in the same run where it
 * gives no validator, so every poll downloads and verifies the whole bundle (unconditional
 * polling); and, after a publish, the time until every instance holds the new serial.
 *
 *   npm run bench:poll -- [--instances N] [--interval MS] [--idle MS] [--flags N]
 */

const NOW = Date.parse('2026-11-24T12:00:00Z');
/** Conditional polling sends at most this share of the baseline's bytes while nothing changes. */
const TARGET_BYTE_SHARE = 0.05;
/** Every instance holds a new serial within one interval plus its jitter, plus this margin. */
const TARGET_MARGIN_MS = 1000;
const JITTER = 0.2;

const value = (argv: string[], name: string) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Published {
  body: Uint8Array;
  etag: string;
  conditional: boolean;
}

/** The bundle's origin; counts every byte it writes, on open and closed connections alike. */
async function origin(published: Published) {
  const sockets = new Set<Socket>();
  let closedBytes = 0;
  let requests = 0;
  let notModified = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-cache',
      ...(published.conditional ? { etag: published.etag } : {}),
    };
    if (published.conditional && req.headers['if-none-match'] === published.etag) {
      notModified++;
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(published.body.byteLength) });
    res.end(published.body);
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      closedBytes += socket.bytesWritten;
      sockets.delete(socket);
    });
  });
  // A backlog above the fleet: 1,000 instances connecting at once would otherwise overflow the
  // default (511) and wait out SYN retries of up to a minute, as no real fleet on many machines does.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/production.bundle.json`,
    counters: () => {
      let bytes = closedBytes;
      for (const socket of sockets) bytes += socket.bytesWritten;
      return { bytes, requests, notModified };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Fleet {
  instances: FlagsRuntime[];
  /** When each instance first held each serial (ms, performance.now). */
  heldAt: Map<number, number[]>;
  polled: number;
  /** Refusals by code (a fetch that failed, a bundle refused). */
  errors: Map<string, number>;
  firstError?: string;
  stop(): void;
}

async function startFleet(
  count: number,
  url: string,
  keyset: TrustedKeyset,
  intervalMs: number,
): Promise<Fleet> {
  const heldAt = new Map<number, number[]>();
  const stops: { stop(): void }[] = [];
  const instances: FlagsRuntime[] = [];
  const fleet: Fleet = {
    instances,
    heldAt,
    polled: 0,
    errors: new Map(),
    stop: () => {
      for (const s of stops) s.stop();
    },
  };
  for (let i = 0; i < count; i++) {
    const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => NOW + 60_000 });
    let last: number | undefined;
    instances.push(runtime);
    stops.push(
      runtime.watch({ url }, intervalMs, {
        jitter: JITTER,
        onResult: (result) => {
          fleet.polled++;
          if (!result.ok) {
            fleet.errors.set(result.error.code, (fleet.errors.get(result.error.code) ?? 0) + 1);
            if (!fleet.firstError) fleet.firstError = result.error.message;
            return;
          }
          const serial = result.statement.serial;
          if (serial !== last) {
            last = serial;
            const list = heldAt.get(serial) ?? [];
            list.push(performance.now());
            heldAt.set(serial, list);
          }
        },
      }),
    );
  }
  return fleet;
}

async function until(test: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const count = Number(value(argv, '--instances') ?? 1000);
  const intervalMs = Number(value(argv, '--interval') ?? 5000);
  const idleMs = Number(value(argv, '--idle') ?? 2 * intervalMs);
  const flagCount = Number(value(argv, '--flags') ?? 100);
  const log = (text: string) => process.stderr.write(`${text}\n`);

  const work = mkdtempSync(join(tmpdir(), 'flags-bench-poll-'));
  try {
    generateRepository(join(work, 'repo'), { flags: flagCount, seed: 1 });
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
    const content = compileEnvironment(flags, repo.policy, 'production');
    const sign = (serial: number) => {
      const contentBytes = contentBytesOf(content);
      const statement = makeStatement(contentBytes, {
        project: repo.policy.project,
        environment: 'production',
        serial,
        issuedAt: NOW + serial,
        validForHours: 168,
        maxClockSkewSeconds: 300,
        commit: '0'.repeat(40),
        dirty: false,
        development: false,
      });
      return assembleBundle(contentBytes, statement, [signer]);
    };

    const idle: Record<'conditional' | 'baseline', { bytes: number; requests: number; notModified: number }> =
      {
        conditional: { bytes: 0, requests: 0, notModified: 0 },
        baseline: { bytes: 0, requests: 0, notModified: 0 },
      };
    let publishMs: number[] = [];
    const refusals = { conditional: new Map<string, number>(), baseline: new Map<string, number>() };
    let bundleBytes = 0;
    for (const mode of ['conditional', 'baseline'] as const) {
      const published: Published = { body: sign(1), etag: '"serial-1"', conditional: mode === 'conditional' };
      bundleBytes = published.body.byteLength;
      const server = await origin(published);
      log(
        `${mode}: starting ${count} instances polling every ${intervalMs} ms (+ up to ${JITTER * 100}% jitter)`,
      );
      const fleet = await startFleet(count, server.url, keyset, intervalMs);
      try {
        await until(
          () => (fleet.heldAt.get(1)?.length ?? 0) === count,
          60_000 + 4 * intervalMs,
          () =>
            `every instance to load serial 1 (${fleet.heldAt.get(1)?.length ?? 0} did; refusals ${JSON.stringify(Object.fromEntries(fleet.errors))})`,
        );
        // A full interval more, so every instance has validators and polls at its own pace.
        await sleep(intervalMs * (1 + JITTER));
        const before = server.counters();
        await sleep(idleMs);
        const after = server.counters();
        idle[mode] = {
          bytes: after.bytes - before.bytes,
          requests: after.requests - before.requests,
          notModified: after.notModified - before.notModified,
        };
        if (mode === 'conditional') {
          published.body = sign(2);
          published.etag = '"serial-2"';
          const publishedAt = performance.now();
          await until(
            () => (fleet.heldAt.get(2)?.length ?? 0) === count,
            60_000 + 4 * intervalMs,
            () =>
              `every instance to hold serial 2 (${fleet.heldAt.get(2)?.length ?? 0} do; refusals ${JSON.stringify(Object.fromEntries(fleet.errors))})`,
          );
          publishMs = fleet.heldAt.get(2)!.map((at) => at - publishedAt);
        }
        refusals[mode] = fleet.errors;
        if (fleet.firstError) log(`${mode}: first refusal: ${fleet.firstError}`);
      } finally {
        fleet.stop();
        await server.close();
      }
    }

    const share = idle.conditional.bytes / idle.baseline.bytes;
    const allHeld = Math.max(...publishMs);
    const bound = intervalMs * (1 + JITTER) + TARGET_MARGIN_MS;
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const perSecond = (n: number) => (n / idleMs) * 1000;
    process.stdout.write(
      [
        '',
        `polling, ${availableParallelism()} cores (${cpu}), Node ${process.version}`,
        `${count} instances, one URL on 127.0.0.1, every ${intervalMs} ms + up to ${JITTER * 100}% jitter; bundle ${kib(bundleBytes)} (${flags.length} flags); idle window ${idleMs} ms`,
        '',
        '| while nothing changes                    | requests/s | bytes sent/s | per request |',
        '|------------------------------------------|------------|--------------|-------------|',
        `| baseline: unconditional (no validator)   | ${perSecond(idle.baseline.requests).toFixed(0).padStart(10)} | ${kib(perSecond(idle.baseline.bytes)).padStart(12)} | ${kib(idle.baseline.bytes / Math.max(1, idle.baseline.requests)).padStart(11)} |`,
        `| conditional (ETag, If-None-Match → 304)  | ${perSecond(idle.conditional.requests).toFixed(0).padStart(10)} | ${kib(perSecond(idle.conditional.bytes)).padStart(12)} | ${`${(idle.conditional.bytes / Math.max(1, idle.conditional.requests)).toFixed(0)} B`.padStart(11)} |`,
        '',
        `refusals: conditional ${JSON.stringify(Object.fromEntries(refusals.conditional))}, baseline ${JSON.stringify(Object.fromEntries(refusals.baseline))}`,
        `conditional polling sends ${(share * 100).toFixed(2)}% of the baseline's bytes (${(1 / share).toFixed(0)}× fewer; target ≤ ${TARGET_BYTE_SHARE * 100}% ${share <= TARGET_BYTE_SHARE ? 'ok' : 'MISSED'}); ${idle.conditional.notModified} of ${idle.conditional.requests} polls answered 304`,
        `after a publish: half the instances held the new serial after ${quantile(publishMs, 0.5).toFixed(0)} ms, 95% after ${quantile(publishMs, 0.95).toFixed(0)} ms, all ${count} after ${allHeld.toFixed(0)} ms (target ≤ interval + jitter + ${TARGET_MARGIN_MS} ms = ${bound.toFixed(0)} ms ${allHeld <= bound ? 'ok' : 'MISSED'})`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
