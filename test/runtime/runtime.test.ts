import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { canonicalBytes } from '../../scripts/core/canonical-json.js';
import { FlagsRuntime, loadBundle, loadKeyset, VerificationError } from '../../scripts/runtime/index.js';
import { tempDir } from '../helpers/gitdir.js';
import { keysetFor, NOW, newKey, openFile, closeFile, sampleContent, signedBundle } from './support.js';

const key = newKey();
const { text: keysetText, trusted: keyset } = await keysetFor([
  { key, environments: ['production', 'staging'] },
]);
const now = () => NOW + 60_000;
const bundle = (serial: number, variant = 0) =>
  signedBundle({
    signers: [key.signer],
    statement: { serial },
    content: sampleContent('production', variant),
  });

async function serve(
  routes: Record<string, { body: Uint8Array | string; headers?: Record<string, string> }>,
) {
  const server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, route.headers ?? {});
    res.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the runtime', () => {
  it('loads a bundle from bytes and evaluates it: isEnabled, typed values with reasons, claims', async () => {
    const flags = await FlagsRuntime.create({ environment: 'production', keyset, now });
    const result = await flags.loadBytes(bundle(7));
    expect(result.ok).toBe(true);
    expect(flags.isEnabled('new-checkout', { organizationId: 'org_granted01' })).toBe(true);
    expect(flags.isEnabled('sso', { organizationId: 'org_someone1' })).toBe(false);
    expect(flags.resolveBoolean('sso', false, { organizationId: 'org_granted01' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(flags.resolveObject('api-limits', {}, { organizationId: 'org_other001' })).toMatchObject({
      value: { rpm: 600 },
      reason: 'DEFAULT',
    });
    expect(flags.resolveString('theme', 'x')).toMatchObject({ value: 'light', reason: 'DISABLED' });
    expect(flags.resolveString('nope', 'fallback')).toMatchObject({
      value: 'fallback',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(flags.resolveNumber('sso', 3)).toMatchObject({
      value: 3,
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(flags.claimsFor('org_granted01')).toEqual(['new-checkout', 'sso']);
    expect(flags.claimsFor({ organizationId: 'org_trial0001' })).toContain('sso');
  });

  it('hands the application exactly the content bytes that were verified', async () => {
    const flags = await loadBundle({ bytes: bundle(7) }, { environment: 'production', keyset, now });
    const expected = canonicalBytes(sampleContent('production'));
    expect(Buffer.from(flags.contentBytes!).equals(Buffer.from(expected))).toBe(true);
  });

  it('answers with the default and PROVIDER_NOT_READY before any bundle passed', async () => {
    const flags = await FlagsRuntime.create({ environment: 'production', keyset, now });
    expect(flags.ready).toBe(false);
    expect(flags.isEnabled('sso', { organizationId: 'org_granted01' })).toBe(false);
    expect(flags.resolveBoolean('sso', true)).toMatchObject({ value: true, errorCode: 'PROVIDER_NOT_READY' });
  });

  it('loads from a file and from a URL', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'production.bundle.json'), bundle(7));
    writeFileSync(join(dir, 'keyset.json'), keysetText);
    const fromFile = await loadBundle(
      { path: join(dir, 'production.bundle.json') },
      { environment: 'production', keyset: { path: join(dir, 'keyset.json') }, now },
    );
    expect(fromFile.statement?.serial).toBe(7);
    const base = await serve({
      '/production.bundle.json': { body: bundle(8) },
      '/keyset.json': { body: keysetText },
    });
    const fromUrl = await loadBundle(
      { url: `${base}/production.bundle.json` },
      { environment: 'production', keyset: { url: `${base}/keyset.json` }, now },
    );
    expect(fromUrl.statement?.serial).toBe(8);
    expect(fromUrl.isEnabled('new-checkout', { organizationId: 'org_granted01' })).toBe(true);
  });

  it('refuses oversized input from a file or a URL before reading it whole', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(4096, 0x7b));
    const flags = await FlagsRuntime.create({ environment: 'production', keyset, now, maxBytes: 1024 });
    const file = await flags.load({ path: join(dir, 'big.json') });
    expect(!file.ok && file.error.code).toBe('too-large');
    const base = await serve({
      '/declared': { body: Buffer.alloc(4096, 0x7b) },
      '/chunked': { body: Buffer.alloc(4096, 0x7b), headers: { 'transfer-encoding': 'chunked' } },
    });
    for (const path of ['/declared', '/chunked']) {
      const result = await flags.load({ url: `${base}${path}` });
      expect(!result.ok && result.error.code, path).toBe('too-large');
    }
    const missing = await flags.load({ url: `${base}/missing` });
    expect(!missing.ok && missing.error.code).toBe('fetch-failed');
  });

  it('keeps serving the last good bundle when a newer one fails verification, and says why', async () => {
    const errors: VerificationError[] = [];
    const flags = await FlagsRuntime.create({
      environment: 'production',
      keyset,
      now,
      onError: (e) => errors.push(e),
    });
    expect((await flags.loadBytes(bundle(7))).ok).toBe(true);
    const tampered = openFile(bundle(8, 1));
    tampered.content = openFile(bundle(7)).content;
    const result = await flags.loadBytes(closeFile(tampered));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.serving?.serial).toBe(7);
    expect(errors.map((e) => e.code)).toEqual(['content-mismatch']);
    expect(flags.status()).toMatchObject({ ready: true, serial: 7, lastError: { code: 'content-mismatch' } });
    expect(flags.resolveObject('api-limits', {}, { organizationId: 'org_granted01' }).value).toEqual({
      rpm: 6000,
    });
  });

  it('remembers the highest serial in memory: an older one is refused', async () => {
    const flags = await FlagsRuntime.create({ environment: 'production', keyset, now });
    expect((await flags.loadBytes(bundle(8))).ok).toBe(true);
    const older = await flags.loadBytes(bundle(7));
    expect(!older.ok && older.error.code).toBe('rollback');
    expect(flags.statement?.serial).toBe(8);
    const reused = await flags.loadBytes(bundle(8, 1));
    expect(!reused.ok && reused.error.code).toBe('serial-reused');
  });

  it('remembers the highest serial across a restart through the state file, written atomically', async () => {
    const dir = tempDir();
    const stateFile = join(dir, 'state', 'flags-state.json');
    const first = await FlagsRuntime.create({ environment: 'production', keyset, now, stateFile });
    expect((await first.loadBytes(bundle(9))).ok).toBe(true);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).bundles['acme-platform/production'].serial).toBe(9);
    expect(readdirSync(join(dir, 'state')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const restarted = await FlagsRuntime.create({ environment: 'production', keyset, now, stateFile });
    const older = await restarted.loadBytes(bundle(8));
    expect(!older.ok && older.error.code).toBe('rollback');
    expect(restarted.ready).toBe(false);
    expect((await restarted.loadBytes(bundle(9))).ok).toBe(true);
  });

  it('refuses to start from a corrupt state file rather than forget what it saw', async () => {
    const dir = tempDir();
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, '{"format":');
    await expect(
      FlagsRuntime.create({ environment: 'production', keyset, now, stateFile }),
    ).rejects.toMatchObject({
      code: 'bad-state',
    });
  });

  it('remembers the keyset version in the state file and refuses an older keyset after it', async () => {
    const dir = tempDir();
    const stateFile = join(dir, 'state.json');
    await loadKeyset({ bytes: Buffer.from(keysetText) }, { stateFile });
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(state.keysets['acme-platform']).toMatchObject({ version: 1 });
    state.keysets['acme-platform'].version = 2;
    writeFileSync(stateFile, JSON.stringify(state));
    await expect(loadKeyset({ bytes: Buffer.from(keysetText) }, { stateFile })).rejects.toMatchObject({
      code: 'keyset-rollback',
    });
  });

  it('reports an expired bundle it keeps serving', async () => {
    let clock = now();
    const flags = await FlagsRuntime.create({ environment: 'production', keyset, now: () => clock });
    await flags.loadBytes(bundle(7));
    clock = NOW + 200 * 3_600_000;
    expect(flags.status()).toMatchObject({ ready: true, expired: true });
  });

  it('watches a URL: picks up a newer bundle and keeps the last good one through a bad one', async () => {
    const routes: Record<string, { body: Uint8Array }> = { '/b': { body: bundle(7) } };
    const base = await serve(routes);
    const flags = await FlagsRuntime.create({ environment: 'production', keyset, now });
    expect((await flags.load({ url: `${base}/b` })).ok).toBe(true);
    const results: boolean[] = [];
    const watcher = flags.watch({ url: `${base}/b` }, 20, (r) => results.push(r.ok));
    onTestFinished(() => watcher.stop());
    routes['/b'] = { body: new TextEncoder().encode('{"not":"a bundle"}') };
    await vi.waitFor(() => expect(results).toContain(false));
    expect(flags.statement?.serial).toBe(7);
    routes['/b'] = { body: bundle(8) };
    await vi.waitFor(() => expect(flags.statement?.serial).toBe(8));
  });

  it('throws a VerificationError from loadBundle when the bundle fails', async () => {
    const other = newKey();
    await expect(
      loadBundle(
        { bytes: signedBundle({ signers: [other.signer] }) },
        { environment: 'production', keyset, now },
      ),
    ).rejects.toBeInstanceOf(VerificationError);
  });
});
