import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitdir, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * A signing build may start from the published bundles and their build records (--since-bundles):
 * it verifies them with the keyset and reuses what the files it reads and hashes did not change.
 * Whatever it starts from, the bundle it signs is byte for byte the one a build from nothing signs,
 * and anything it cannot verify makes it start from the flag files instead.
 */

const FLAG = 'flags/new-checkout-flow.yaml';

async function published() {
  const repo = await gitdir({ example: true });
  repo.write('.gitignore', 'dist/\n');
  const work = tempDir('flags-published-');
  const keyFile = join(work, 'signing.pem');
  const env = { XDG_CACHE_HOME: join(work, 'xdg') };
  expect((await runCli(['keygen', '--out', keyFile], { cwd: repo.dir, env })).code).toBe(0);
  const init = await runCli(
    ['keyset', 'init', '--key', `${keyFile}=development,staging,production`, '--now', '2026-11-24T12:00:00Z'],
    { cwd: repo.dir, env },
  );
  expect(init.code, init.stderr).toBe(0);
  await repo.commit('flags and keyset');
  const signing = { ...env, FLAGS_SIGNING_KEY: readFileSync(keyFile, 'utf8') };
  const attempt = (now: string, out: string, ...extra: string[]) =>
    runCli(['build', '--now', now, '--out', join(work, out), ...extra], { cwd: repo.dir, env: signing });
  const build = async (now: string, out: string, ...extra: string[]) => {
    const run = await attempt(now, out, ...extra);
    expect(run.code, run.stderr).toBe(0);
    return run;
  };
  await build('2026-11-24T12:00:00Z', 'published');
  return { repo, work, build, attempt };
}

const same = (work: string, a: string, b: string) => {
  for (const environment of ['development', 'staging', 'production'])
    expect(
      readFileSync(join(work, a, `${environment}.bundle.json`)).equals(
        readFileSync(join(work, b, `${environment}.bundle.json`)),
      ),
      environment,
    ).toBe(true);
};

describe('a signing build from the published bundles', () => {
  it('recompiles only what changed and signs the bytes a build from nothing signs', async () => {
    const { repo, work, build } = await published();
    repo.write(FLAG, readFileSync(join(repo.dir, FLAG), 'utf8').replace('percentage: 25', 'percentage: 30'));
    repo.remove('flags/graphql-gateway.yaml');
    await repo.commit('one flag changed, one removed');
    const later = '2026-11-24T15:00:00Z';
    const fast = await build(later, 'fast', '--since-bundles', join(work, 'published'));
    expect(fast.stderr).toMatch(/started from the published bundles in .*: 1 of 15 flag files changed since/);
    await build(later, 'cold');
    same(work, 'fast', 'cold');
    const statement = JSON.parse(
      Buffer.from(
        JSON.parse(readFileSync(join(work, 'fast', 'production.bundle.json'), 'utf8')).envelope.payload,
        'base64',
      ).toString(),
    );
    expect(statement.toolkit).toMatch(/\+/);
    expect(statement.policy).toMatch(/^[0-9a-f]{64}$/);
  });

  it('starts from the flag files when a record was changed, or the check was on another day', async () => {
    const { repo, work, build, attempt } = await published();
    repo.write(
      FLAG,
      readFileSync(join(repo.dir, FLAG), 'utf8').replace(/^expires: .*$/m, 'expires: 2026-11-25'),
    );
    await repo.commit('a flag that expires tomorrow');
    // A record whose snapshot claims the expired flag's new bytes were checked, signature untouched.
    const path = join(work, 'published', 'production.build-record.json');
    const record = JSON.parse(readFileSync(path, 'utf8'));
    const payload = Buffer.from(record.envelope.payload, 'base64').toString();
    record.envelope.payload = Buffer.from(payload.replace('"peaks":{', '"peaks":{"x":0,')).toString('base64');
    writeFileSync(path, JSON.stringify(record));
    const tampered = await build(
      '2026-11-24T15:00:00Z',
      'tampered',
      '--since-bundles',
      join(work, 'published'),
    );
    expect(tampered.stderr).toContain('carries no signature by a key the keyset allows for production');
    await build('2026-11-24T15:00:00Z', 'cold');
    same(work, 'tampered', 'cold');
    // The day after the flag expired, the record of a clean check cannot vouch for it.
    const nextDay = await attempt('2026-11-26T01:00:00Z', 'next-day', '--since-bundles', join(work, 'cold'));
    expect(nextDay.stderr).toContain('checked on another day');
    expect(nextDay.stderr).toContain('lifecycle/expired');
    expect(nextDay.code).toBe(1);
  });
});
