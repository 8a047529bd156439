import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { FlagsRuntime, type LoadResult } from '../../scripts/runtime/index.js';
import { freshnessMs, nextPollDelay } from '../../scripts/runtime/poll.js';
import { keysetFor, NOW, newKey, sampleContent, signedBundle } from './support.js';

const key = newKey();
const { trusted: keyset } = await keysetFor([{ key, environments: ['production'] }]);
const bundle = (serial: number, variant = 0) =>
  signedBundle({
    signers: [key.signer],
    statement: { serial },
    content: sampleContent('production', variant),
  });

interface Published {
  body: Uint8Array;
  headers: Record<string, string>;
  /** Answer 503 instead. */
  down?: boolean;
}

/** A bundle server on 127.0.0.1 that answers conditional requests as object stores and CDNs do. */
async function origin(published: Published) {
  const requests: IncomingHttpHeaders[] = [];
  let bodies = 0;
  const server = createServer((req, res) => {
    requests.push(req.headers);
    if (published.down) {
      res.writeHead(503).end();
      return;
    }
    const { etag, 'last-modified': lastModified } = published.headers;
    const unchanged =
      (etag !== undefined && req.headers['if-none-match'] === etag) ||
      (etag === undefined && lastModified !== undefined && req.headers['if-modified-since'] === lastModified);
    if (unchanged) {
      res.writeHead(304, published.headers).end();
      return;
    }
    bodies++;
    res.writeHead(200, published.headers).end(published.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/production.bundle.json`,
    requests,
    bodies: () => bodies,
  };
}

async function watching(
  url: string,
  clock: { now: number },
  options: { jitter?: number; maxIntervalMs?: number } = {},
) {
  const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => clock.now });
  const results: LoadResult[] = [];
  const watch = runtime.watch({ url }, 15, { jitter: 0, ...options, onResult: (r) => results.push(r) });
  onTestFinished(() => watch.stop());
  return { runtime, results };
}

describe('watching a URL', () => {
  it('asks with If-None-Match after the first answer; a 304 keeps the bundle without a parse or a verification', async () => {
    const published: Published = { body: bundle(7), headers: { etag: '"b7"' } };
    const server = await origin(published);
    const clock = { now: NOW + 60_000 };
    const { runtime, results } = await watching(server.url, clock);
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(3));
    expect(runtime.statement?.serial).toBe(7);
    expect(server.requests[0]!['if-none-match']).toBeUndefined();
    expect(server.requests.slice(1).every((h) => h['if-none-match'] === '"b7"')).toBe(true);
    expect(server.bodies()).toBe(1);
    expect(results.slice(1).every((r) => r.ok && r.notModified && !r.changed)).toBe(true);
    // Past the bundle's expiry a verification would refuse it: a 304 verifies nothing, so none does.
    clock.now = NOW + 400 * 3_600_000;
    const seen = results.length;
    await vi.waitFor(() => expect(results.length).toBeGreaterThan(seen + 1));
    expect(results.slice(seen).every((r) => r.ok && r.notModified)).toBe(true);
    expect(runtime.status()).toMatchObject({ serial: 7, expired: true });
  });

  it('picks up a new bundle when the ETag changes', async () => {
    const published: Published = { body: bundle(7), headers: { etag: '"b7"' } };
    const server = await origin(published);
    const { runtime } = await watching(server.url, { now: NOW + 60_000 });
    await vi.waitFor(() => expect(runtime.statement?.serial).toBe(7));
    published.body = bundle(8, 1);
    published.headers = { etag: '"b8"' };
    await vi.waitFor(() => expect(runtime.statement?.serial).toBe(8));
    expect(server.bodies()).toBe(2);
  });

  it('falls back to If-Modified-Since when the server gives only Last-Modified', async () => {
    const lastModified = new Date(NOW).toUTCString();
    const server = await origin({ body: bundle(7), headers: { 'last-modified': lastModified } });
    const { results } = await watching(server.url, { now: NOW + 60_000 });
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(3));
    expect(server.requests.slice(1).every((h) => h['if-modified-since'] === lastModified)).toBe(true);
    expect(server.bodies()).toBe(1);
  });

  it('downloads whole and verifies again after a refused bundle (its validators are not kept)', async () => {
    const published: Published = {
      body: new TextEncoder().encode('{"not":"a bundle"}'),
      headers: { etag: '"x"' },
    };
    const server = await origin(published);
    const { results } = await watching(server.url, { now: NOW + 60_000 });
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(2));
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(server.requests.every((h) => h['if-none-match'] === undefined)).toBe(true);
  });

  it("waits out the answer's Cache-Control max-age before asking again", async () => {
    const server = await origin({
      body: bundle(7),
      headers: { etag: '"b7"', 'cache-control': 'public, max-age=1' },
    });
    const { results } = await watching(server.url, { now: NOW + 60_000 });
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(1));
    const started = Date.now();
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('backs off while the server fails, and polls at the interval again once it answers', async () => {
    const published: Published = { body: bundle(7), headers: { etag: '"b7"' }, down: true };
    const server = await origin(published);
    const { runtime } = await watching(server.url, { now: NOW + 60_000 }, { maxIntervalMs: 240 });
    // 15 ms doubled per failure: 30, 60, 120, then capped at 240.
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(5), { timeout: 5000 });
    expect(runtime.lastError?.code).toBe('fetch-failed');
    published.down = false;
    await vi.waitFor(() => expect(runtime.statement?.serial).toBe(7), { timeout: 5000 });
    expect(runtime.lastError).toBeUndefined();
  });
});

describe('a poll that is never answered', () => {
  it('is abandoned after the timeout as a failure, and the watch goes on', async () => {
    const held: import('node:http').ServerResponse[] = [];
    const server = createServer((_req, res) => {
      held.push(res); // never answered
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/production.bundle.json`;
    const runtime = await FlagsRuntime.create({ environment: 'production', keyset, now: () => NOW + 60_000 });
    const results: LoadResult[] = [];
    const watch = runtime.watch({ url }, 15, { jitter: 0, timeoutMs: 100, onResult: (r) => results.push(r) });
    onTestFinished(() => watch.stop());
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    expect(results.every((r) => !r.ok && r.error.code === 'fetch-failed')).toBe(true);
    expect(held.length).toBeGreaterThanOrEqual(2);
  });
});

describe('the wait between polls', () => {
  const timing = { intervalMs: 1000, jitter: 0.2, maxIntervalMs: 30_000 };
  it('is the interval plus up to its share of jitter', () => {
    expect(nextPollDelay(timing, undefined, 0, 0)).toBe(1000);
    expect(nextPollDelay(timing, undefined, 0, 0.999)).toBeCloseTo(1199.8);
  });
  it('is longer while the last answer is fresh, never over the cap', () => {
    expect(nextPollDelay(timing, { failed: false, freshForMs: 5000 }, 0, 0)).toBe(5000);
    expect(nextPollDelay(timing, { failed: false, freshForMs: 86_400_000 }, 0, 0)).toBe(30_000);
  });
  it('doubles per consecutive failure up to the cap', () => {
    expect([1, 2, 3, 5, 40].map((n) => nextPollDelay(timing, undefined, n, 0))).toEqual([
      2000, 4000, 8000, 30_000, 30_000,
    ]);
  });
  it('reads max-age less Age, and no freshness from no-cache, no-store or nothing', () => {
    const h = (entries: Record<string, string>) => new Headers(entries);
    expect(freshnessMs(h({ 'cache-control': 'public, max-age=60' }))).toBe(60_000);
    expect(freshnessMs(h({ 'cache-control': 'max-age=60', age: '45' }))).toBe(15_000);
    expect(freshnessMs(h({ 'cache-control': 'max-age=60', age: '90' }))).toBe(0);
    expect(freshnessMs(h({ 'cache-control': 'no-cache, max-age=60' }))).toBe(0);
    expect(freshnessMs(h({ 'cache-control': 'no-store' }))).toBe(0);
    expect(freshnessMs(h({}))).toBe(0);
  });
});
