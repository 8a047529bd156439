import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson } from '../../scripts/core/canonical-json.js';
import { createKeyset, keysetEntry } from '../../scripts/core/bundle/keyset.js';
import { assembleBundle, signerOf } from '../../scripts/core/bundle/sign.js';
import { makeStatement } from '../../scripts/core/bundle/statement.js';
import type { BundleContent, BundleFlag } from '../../scripts/runtime/bundle-format.js';
import { initRepo, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * An application's own pull-request gate: `flags refs --bundle` checks the application's code
 * against the keys a published, signed bundle serves. Unknown keys fail it; deprecated ones warn.
 */

const ISSUED = Date.parse('2026-11-24T12:00:00Z');
const NOW = '2026-11-25T09:00:00Z';

const flag = (deprecated: boolean): BundleFlag => ({
  type: 'release',
  owner: '@acme/web',
  valueType: 'boolean',
  variants: { off: false, on: true },
  enabled: true,
  offVariant: 'off',
  defaultVariant: 'on',
  grants: {},
  expires: '2027-01-31',
  ...(deprecated ? { deprecated: true as const } : {}),
});

/** A bundle for production signed with an Ed25519 key made here, and the keyset that trusts it. */
function publish() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = signerOf(privateKey);
  const [keyid, entry] = keysetEntry({
    publicKey,
    environments: ['production'],
    notBefore: ISSUED - 86_400_000,
  });
  const keyset = createKeyset('shop', { [keyid]: entry }, [signer], ISSUED - 86_400_000);
  const content: BundleContent = {
    environment: 'production',
    flags: { 'new-checkout-flow': flag(false), 'old-banner': flag(true) },
    format: 'flags-bundle/v2',
    project: 'shop',
  };
  const contentBytes = canonicalBytes(content);
  const statement = makeStatement(contentBytes, {
    project: 'shop',
    environment: 'production',
    serial: 7,
    issuedAt: ISSUED,
    validForHours: 168,
    maxClockSkewSeconds: 300,
    commit: 'c'.repeat(40),
    dirty: false,
    development: false,
  });
  const bundle = Buffer.from(assembleBundle(contentBytes, statement, [signer]));
  return { bundle, keyset: canonicalJson(keyset) };
}

async function application() {
  const app = await initRepo(tempDir('app-'));
  const { bundle, keyset } = publish();
  const work = tempDir('published-');
  const bundlePath = join(work, 'production.bundle.json');
  const keysetPath = join(work, 'keyset.json');
  writeFileSync(bundlePath, bundle);
  writeFileSync(keysetPath, keyset);
  app.write(
    'src/app.ts',
    [
      "if (flags.isEnabled('new-checkout-flow', org)) checkout();",
      "if (flags.isEnabled('old-banner', org)) banner();",
      "if (flags.isEnabled('new-checkout-flwo', org)) typo();",
      '',
    ].join('\n'),
  );
  await app.commit('app');
  return { app, bundle, bundlePath, keysetPath };
}

const gate = (cwd: string, ...args: string[]) =>
  runCli(['refs', '--now', NOW, ...args], { cwd, env: { FLAGS_CACHE_DIR: tempDir() } });

describe('flags refs --bundle', () => {
  it('fails on a key the verified bundle does not serve and warns on a deprecated one', async () => {
    const { app, bundlePath, keysetPath } = await application();
    const run = await gate(
      app.dir,
      '--bundle',
      bundlePath,
      '--keyset',
      keysetPath,
      '--env',
      'production',
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as {
      source: { verified: boolean };
      unknown: { file: string; line: number; key: string; reason: string; suggestion?: string }[];
      deprecated: { file: string; line: number; key: string }[];
    };
    expect(json.source.verified).toBe(true);
    expect(json.unknown.map((u) => `${u.file}:${u.line} ${u.key} ${u.reason} ${u.suggestion}`)).toEqual([
      'src/app.ts:3 new-checkout-flwo typo new-checkout-flow',
    ]);
    expect(json.deprecated.map((r) => `${r.file}:${r.line} ${r.key}`)).toEqual(['src/app.ts:2 old-banner']);

    app.write('src/app.ts', "flags.isEnabled('new-checkout-flow');\nflags.isEnabled('old-banner');\n");
    const passing = await gate(
      app.dir,
      '--bundle',
      bundlePath,
      '--keyset',
      keysetPath,
      '--env',
      'production',
    );
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('src/app.ts:2:18  old-banner  warning: the flag is deprecated');
  });

  it('annotates the pull request in GitHub Actions', async () => {
    const { app, bundlePath } = await application();
    const run = await runCli(['refs', '--bundle', bundlePath], {
      cwd: app.dir,
      env: { GITHUB_ACTIONS: 'true', FLAGS_CACHE_DIR: tempDir() },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error file=src/app.ts,line=3,col=22,title=refs/unknown-key::new-checkout-flwo: no such flag; did you mean new-checkout-flow?',
    );
    expect(run.stdout).toContain(
      '::warning file=src/app.ts,line=2,col=22,title=refs/deprecated-flag::old-banner is deprecated',
    );
  });

  it('refuses a tampered bundle when a keyset is given', async () => {
    const { app, bundle, keysetPath } = await application();
    const tampered = Buffer.from(bundle);
    tampered[20] = tampered[20] === 65 ? 66 : 65;
    app.write('tampered.bundle.json', tampered);
    const run = await gate(
      app.dir,
      'src',
      '--bundle',
      'tampered.bundle.json',
      '--keyset',
      keysetPath,
      '--env',
      'production',
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "tampered.bundle.json: error: bundle refused [content-mismatch]: the content's sha256 is",
    );
    expect(run.stdout).toBe('');
  });

  it('reads the bundle from a URL', async () => {
    const { app, bundle, keysetPath } = await application();
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(bundle);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/production.bundle.json`;
      const run = await gate(
        app.dir,
        '--bundle',
        url,
        '--keyset',
        keysetPath,
        '--env',
        'production',
        '--json',
      );
      expect(run.stderr).toBe('');
      expect((JSON.parse(run.stdout) as { unknown: { key: string }[] }).unknown.map((u) => u.key)).toEqual([
        'new-checkout-flwo',
      ]);
    } finally {
      server.close();
    }
  });

  it('asks for --env when a keyset is given', async () => {
    const { app, bundlePath, keysetPath } = await application();
    const run = await gate(app.dir, '--bundle', bundlePath, '--keyset', keysetPath);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--keyset needs --env');
  });
});
