import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_ROOT, gitdir, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

const NOW = '2026-11-24T12:00:00Z';
const LATER = '2026-11-25T08:00:00Z';

const bundleOf = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const contentOf = (path: string) => Buffer.from(bundleOf(path).content, 'base64');
const statementOf = (path: string) =>
  JSON.parse(Buffer.from(bundleOf(path).envelope.payload, 'base64').toString());

/** The example repository written file by file in a shuffled order, then committed. */
async function exampleRepo(seed = 0) {
  const repo = await gitdir();
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(EXAMPLE_ROOT, rel), { withFileTypes: true })) {
      const path = join(rel, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk('flags');
  files.push('CODEOWNERS');
  let state = seed + 1;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let i = files.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [files[i], files[j]] = [files[j]!, files[i]!];
  }
  for (const file of files) repo.write(file, readFileSync(join(EXAMPLE_ROOT, file)));
  repo.write('.gitignore', 'dist/\n.cache/\n');
  await repo.commit('flags');
  return repo;
}

/** Keys made with `flags keygen` outside the repository, and a keyset committed into it. */
async function withKeys(repo: Awaited<ReturnType<typeof gitdir>>) {
  const keys = tempDir('flags-keys-');
  for (const name of ['prod', 'stage']) {
    const made = await runCli(['keygen', '--out', join(keys, `${name}.pem`)]);
    expect(made.code, made.stderr).toBe(0);
  }
  const init = await runCli(
    [
      'keyset',
      'init',
      '--key',
      `${join(keys, 'prod.pem')}=production`,
      '--key',
      `${join(keys, 'stage.pem')}=development,staging`,
      '--now',
      NOW,
    ],
    { cwd: repo.dir },
  );
  expect(init.code, init.stderr).toBe(0);
  await repo.commit('keyset');
  const env = {
    FLAGS_SIGNING_KEY_PRODUCTION: readFileSync(join(keys, 'prod.pem'), 'utf8'),
    FLAGS_SIGNING_KEY: readFileSync(join(keys, 'stage.pem'), 'utf8'),
  };
  return { keys, env };
}

describe('flags build', () => {
  it('makes a development key on first run, says so, and marks the bundles development-signed', async () => {
    const repo = await exampleRepo();
    const result = await runCli(['build', '--now', NOW], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('no signing key configured; made a development key');
    expect(result.stderr).toContain('production verifiers refuse these bundles');
    expect(result.stdout).toContain('production: dist/production.bundle.json  16 flags, serial 1');
    for (const env of ['development', 'staging', 'production'])
      expect(statementOf(join(repo.dir, 'dist', `${env}.bundle.json`))).toMatchObject({
        environment: env,
        project: 'acme-platform',
        serial: 1,
        issuedAt: NOW,
        expiresAt: '2026-12-01T12:00:00Z',
        development: true,
        source: { commit: (await repo.git.revparse(['HEAD'])).trim(), dirty: false },
      });
    const key = join(repo.dir, '.cache', 'flags', 'dev-key', 'dev-key.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(await repo.git.raw(['status', '--porcelain', '--ignored=no'])).toBe('');

    const again = await runCli(['build', '--now', NOW], { cwd: repo.dir });
    expect(again.stderr).toContain('using the development key');
    expect(readdirSync(join(repo.dir, 'dist')).sort()).toEqual([
      'development.bundle.json',
      'production.bundle.json',
      'staging.bundle.json',
    ]);

    const refused = await runCli(
      [
        'verify',
        'dist/production.bundle.json',
        '--env',
        'production',
        '--keyset',
        join(repo.dir, '.cache/flags/dev-key/keyset.json'),
        '--now',
        LATER,
      ],
      { cwd: repo.dir },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[development-signed]');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const allowed = await runCli(
      ['verify', 'dist/production.bundle.json', '--env', 'production', '--allow-development', '--now', LATER],
      { cwd: repo.dir },
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('verified for production (DEVELOPMENT-signed)');
  });

  it('gives byte-identical content for the same flags in any time zone, locale or file order', async () => {
    const a = await exampleRepo(1);
    const b = await exampleRepo(2);
    const first = await runCli(['build', '--now', NOW], {
      cwd: a.dir,
      env: { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' },
    });
    const second = await runCli(['build', '--now', LATER], {
      cwd: b.dir,
      env: { TZ: 'America/St_Johns', LANG: 'C', LC_ALL: 'C' },
    });
    const third = await runCli(['build', '--now', LATER, '--no-cache'], {
      cwd: a.dir,
      env: { TZ: 'UTC', LANG: 'de_DE.UTF-8' },
    });
    for (const result of [first, second, third]) expect(result.code, result.stderr).toBe(0);
    for (const env of ['development', 'staging', 'production']) {
      const contents = [a.dir, b.dir].map((dir) => contentOf(join(dir, 'dist', `${env}.bundle.json`)));
      expect(contents[0]!.equals(contents[1]!), env).toBe(true);
      const statement = statementOf(join(a.dir, 'dist', `${env}.bundle.json`));
      expect(statement.content.sha256).toBe(createHash('sha256').update(contents[0]!).digest('hex'));
    }
  });

  it('refuses to build when flags check finds errors, and writes nothing', async () => {
    const repo = await gitdir({ fixture: 'bundle/check-errors' });
    await repo.commit('broken');
    const result = await runCli(['build', '--now', NOW], { cwd: repo.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('lifecycle/expired');
    expect(result.stderr).toContain('refusing to build: flags check finds');
    expect(existsSync(join(repo.dir, 'dist'))).toBe(false);
  });

  it('signs with keys from the environment that the committed keyset trusts, per environment', async () => {
    const repo = await exampleRepo();
    const { env } = await withKeys(repo);
    const result = await runCli(['build', '--now', NOW, '--require-signing-key', '--json'], {
      cwd: repo.dir,
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    const keyids = Object.fromEntries(
      report.bundles.map((b: { environment: string; keyid: string }) => [b.environment, b.keyid]),
    );
    expect(keyids.production).not.toBe(keyids.staging);
    expect(statementOf(join(repo.dir, 'dist/production.bundle.json')).serial).toBe(2);

    const ok = await runCli(
      ['verify', 'dist/production.bundle.json', '--env', 'production', '--now', LATER],
      { cwd: repo.dir },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('✔ dist/production.bundle.json verified for production');
    const wrong = await runCli(
      ['verify', 'dist/staging.bundle.json', '--env', 'production', '--now', LATER, '--json'],
      { cwd: repo.dir },
    );
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, code: 'wrong-environment' });
  });

  it('refuses a signing key that the keyset does not hold for the environment', async () => {
    const repo = await exampleRepo();
    const { env } = await withKeys(repo);
    const swapped = {
      FLAGS_SIGNING_KEY_PRODUCTION: env.FLAGS_SIGNING_KEY,
      FLAGS_SIGNING_KEY: env.FLAGS_SIGNING_KEY,
    };
    const result = await runCli(['build', '--now', NOW, '--env', 'production'], {
      cwd: repo.dir,
      env: swapped,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not in keys/keyset.json for production');
  });

  it('refuses with --require-signing-key when no key is configured', async () => {
    const repo = await exampleRepo();
    const result = await runCli(['build', '--now', NOW, '--require-signing-key'], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no signing key for development');
    expect(existsSync(join(repo.dir, '.cache/flags/dev-key'))).toBe(false);
  });

  it('refuses to sign uncommitted flag changes with a real key unless told to', async () => {
    const repo = await exampleRepo();
    const { env } = await withKeys(repo);
    repo.write(
      'flags/new-checkout-flow.yaml',
      readFileSync(join(EXAMPLE_ROOT, 'flags/new-checkout-flow.yaml'), 'utf8').replace(
        'percentage: 25',
        'percentage: 30',
      ),
    );
    const refused = await runCli(['build', '--now', NOW], { cwd: repo.dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('uncommitted changes');
    const allowed = await runCli(['build', '--now', NOW, '--allow-dirty'], { cwd: repo.dir, env });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(statementOf(join(repo.dir, 'dist/production.bundle.json')).source.dirty).toBe(true);
  });

  it('writes outputs atomically: no temporary files stay, and a failed build leaves the last bundles', async () => {
    const repo = await exampleRepo();
    expect((await runCli(['build', '--now', NOW], { cwd: repo.dir })).code).toBe(0);
    const before = readFileSync(join(repo.dir, 'dist/production.bundle.json'));
    const failed = await runCli(['build', '--now', LATER, '--env', 'production', '--serial', '0'], {
      cwd: repo.dir,
    });
    expect(failed.code).toBe(2);
    expect(readFileSync(join(repo.dir, 'dist/production.bundle.json')).equals(before)).toBe(true);
    expect(readdirSync(join(repo.dir, 'dist')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('takes the serial from --serial and the time from FLAGS_NOW', async () => {
    const repo = await exampleRepo();
    const result = await runCli(['build', '--serial', '41', '--env', 'staging', '--out', 'out'], {
      cwd: repo.dir,
      env: { FLAGS_NOW: '2026-11-24T13:00:00+01:00' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(statementOf(join(repo.dir, 'out/staging.bundle.json'))).toMatchObject({
      serial: 41,
      issuedAt: NOW,
    });
    expect(existsSync(join(repo.dir, 'out/production.bundle.json'))).toBe(false);
  });

  it('writes flagd documents with --format flagd, deterministically', async () => {
    const repo = await exampleRepo();
    const first = await runCli(['build', '--now', NOW, '--format', 'flagd'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    const bytes = readFileSync(join(repo.dir, 'dist/production.flagd.json'));
    const document = JSON.parse(bytes.toString());
    expect(document.flags['new-checkout-flow']).toBeDefined();
    await runCli(['build', '--now', LATER, '--format', 'flagd'], {
      cwd: repo.dir,
      env: { TZ: 'Asia/Kolkata' },
    });
    expect(readFileSync(join(repo.dir, 'dist/production.flagd.json')).equals(bytes)).toBe(true);
  });
});

describe('flags keygen', () => {
  it('writes the private key with mode 0600 outside the repository', async () => {
    const dir = tempDir('flags-keys-');
    const result = await runCli(['keygen', '--out', join(dir, 'k.pem'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info.keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'k.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'k.pem'), 'utf8')).toContain('BEGIN PRIVATE KEY');
    const again = await runCli(['keygen', '--out', join(dir, 'k.pem')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('refuses a path inside the repository that git does not ignore', async () => {
    const repo = await gitdir();
    repo.write('.gitignore', 'secret/\n');
    const refused = await runCli(['keygen', '--out', 'keys/prod.pem'], { cwd: repo.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not ignored by git');
    expect(existsSync(join(repo.dir, 'keys/prod.pem'))).toBe(false);
    const ignored = await runCli(['keygen', '--out', 'secret/prod.pem'], { cwd: repo.dir });
    expect(ignored.code, ignored.stderr).toBe(0);
  });

  it('prints the PEM alone on stdout for a secret store', async () => {
    const result = await runCli(['keygen']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(result.stderr).toContain('key id');
  });

  it('refuses a key file inside the repository at build time, and one readable by others', async () => {
    const repo = await exampleRepo();
    const made = await runCli(['keygen'], {});
    repo.write('prod.pem', made.stdout);
    const inRepo = await runCli(['build', '--now', NOW, '--key-file', 'prod.pem'], { cwd: repo.dir });
    expect(inRepo.code).toBe(2);
    expect(inRepo.stderr).toContain('not ignored by git');
    const dir = tempDir('flags-keys-');
    writeFileSync(join(dir, 'open.pem'), made.stdout, { mode: 0o644 });
    const open = await runCli(['build', '--now', NOW, '--key-file', join(dir, 'open.pem')], {
      cwd: repo.dir,
    });
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('can be read by others');
  });
});

describe('flags keyset', () => {
  it('rotates a key with the old and the new key, and the bundles of the new key verify', async () => {
    const repo = await exampleRepo();
    const { keys } = await withKeys(repo);
    expect((await runCli(['keygen', '--out', join(keys, 'prod2.pem')])).code).toBe(0);
    const rotate = await runCli(
      ['keyset', 'rotate', '--old', join(keys, 'prod.pem'), '--new', join(keys, 'prod2.pem'), '--now', NOW],
      { cwd: repo.dir },
    );
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain('version 2, 3 keys');
    await repo.commit('rotate');
    const show = await runCli(['keyset', 'show', '--json', '--now', NOW], { cwd: repo.dir });
    const shown = JSON.parse(show.stdout);
    expect(shown.version).toBe(2);
    const build = await runCli(['build', '--now', NOW, '--env', 'production'], {
      cwd: repo.dir,
      env: { FLAGS_SIGNING_KEY_PRODUCTION: readFileSync(join(keys, 'prod2.pem'), 'utf8') },
    });
    expect(build.code, build.stderr).toBe(0);
    const verify = await runCli(
      [
        'verify',
        'dist/production.bundle.json',
        '--env',
        'production',
        '--keyset-root',
        shown.root,
        '--now',
        LATER,
      ],
      { cwd: repo.dir },
    );
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('keyset version 2');
  });

  it('refuses to add a key for production signed only by the staging key', async () => {
    const repo = await exampleRepo();
    const { keys } = await withKeys(repo);
    expect((await runCli(['keygen', '--out', join(keys, 'rogue.pem')])).code).toBe(0);
    const add = await runCli(
      [
        'keyset',
        'add',
        '--key',
        `${join(keys, 'rogue.pem')}=production`,
        '--sign-with',
        join(keys, 'stage.pem'),
        '--now',
        NOW,
      ],
      { cwd: repo.dir },
    );
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('would not verify');
    expect(add.stderr).toContain('production');
  });
});

describe('flags verify', () => {
  it('says what failed, with exit 1 and no stack trace, and remembers serials in a state file', async () => {
    const repo = await exampleRepo();
    const { env } = await withKeys(repo);
    expect((await runCli(['build', '--now', NOW, '--env', 'production'], { cwd: repo.dir, env })).code).toBe(
      0,
    );
    const path = join(repo.dir, 'dist/production.bundle.json');
    const good = readFileSync(path);
    const state = join(tempDir(), 'state.json');
    const first = await runCli(['verify', path, '--env', 'production', '--state', state, '--now', LATER], {
      cwd: repo.dir,
    });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(readFileSync(state, 'utf8')).bundles['acme-platform/production'].serial).toBe(2);

    const older = await runCli(
      ['build', '--now', NOW, '--env', 'production', '--serial', '1', '--out', 'old'],
      { cwd: repo.dir, env },
    );
    expect(older.code, older.stderr).toBe(0);
    const rollback = await runCli(
      ['verify', 'old/production.bundle.json', '--env', 'production', '--state', state, '--now', LATER],
      { cwd: repo.dir },
    );
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toContain('[rollback]');

    const file = JSON.parse(good.toString());
    // Change the first base64 character to a different one: replacing it with a fixed letter would
    // leave the signature intact whenever it already started with that letter.
    const sig: string = file.envelope.signatures[0].sig;
    file.envelope.signatures[0].sig = `${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    const tampered = join(tempDir(), 'tampered.json');
    writeFileSync(tampered, JSON.stringify(file));
    const bad = await runCli(['verify', tampered, '--env', 'production', '--now', LATER], { cwd: repo.dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error: bundle refused \[(bad-signature|bad-base64)\]/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const expired = await runCli(['verify', path, '--env', 'production', '--now', '2026-12-02T00:00:00Z'], {
      cwd: repo.dir,
    });
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('[expired]');

    const big = await runCli(['verify', path, '--env', 'production', '--max-bytes', '100', '--now', LATER], {
      cwd: repo.dir,
    });
    expect(big.code).toBe(1);
    expect(big.stderr).toContain('[too-large]');
    mkdirSync(join(repo.dir, 'copy'));
    cpSync(path, join(repo.dir, 'copy/p.json'));
  });
});
