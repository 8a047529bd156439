import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendKeysetVersion, keysetEntry, serializeKeysetFile } from '../../scripts/core/bundle/keyset.js';
import { signerOf } from '../../scripts/core/bundle/sign.js';
import { VerificationError } from '../../scripts/runtime/errors.js';
import { FlagsRuntime } from '../../scripts/runtime/index.js';
import { type KeysetFile, verifyKeyset } from '../../scripts/runtime/keyset.js';
import { gitdir, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';
import { signedBundle } from '../runtime/support.js';

/**
 * Issue 12, items 5 and 6, played with the real `flags` binary: keys made in the test, keysets
 * made by `flags keyset`, bundles signed by the build's signing code. A key past its end date, or
 * retired by a rotation, signs nothing; `flags verify --state` holds keysets to the state file as
 * the runtime does, so neither lets an older or substituted keyset through.
 */

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-24T12:00:00Z');
const ROTATION = T0 + 24 * HOUR;
// The example policy's validForHours (168): the old key is trusted this long after the rotation.
const GRACE_ENDS = ROTATION + 168 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A repository with the example policy, and Ed25519 key files (mode 0600) outside it. */
async function setup(names: string[]) {
  const repo = await gitdir({ example: true });
  const keyDir = tempDir('flags-keys-');
  const keys: Record<string, string> = {};
  for (const name of names) {
    const { privateKey } = generateKeyPairSync('ed25519');
    keys[name] = join(keyDir, `${name}.pem`);
    writeFileSync(keys[name], privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const flags = (...args: string[]) => runCli(args, { cwd: repo.dir });
  const signer = (name: string) => signerOf(createPrivateKey(readFileSync(keys[name]!, 'utf8')));
  const keysetPath = join(repo.dir, 'keys/keyset.json');
  return { repo, keys, flags, signer, keysetPath };
}

describe('a key past its end date or retired', () => {
  it('cannot add a key to the keyset after a rotation, with the CLI or by forging the file, and what it signs is refused', async () => {
    const { keys, flags, signer, keysetPath, repo } = await setup(['prod', 'stage', 'prod2', 'rogue']);
    const init = await flags(
      'keyset',
      'init',
      '--key',
      `${keys.prod}=production`,
      '--key',
      `${keys.stage}=staging`,
      '--now',
      iso(T0),
    );
    expect(init.code, init.stderr).toBe(0);
    const rotate = await flags(
      'keyset',
      'rotate',
      '--old',
      keys.prod!,
      '--new',
      keys.prod2!,
      '--now',
      iso(ROTATION),
    );
    expect(rotate.code, rotate.stderr).toBe(0);
    const rotated = readFileSync(keysetPath, 'utf8');
    await repo.commit('flags and keyset');
    const build = await runCli(['build', '--env', 'production', '--now', iso(ROTATION + HOUR)], {
      cwd: repo.dir,
      env: { FLAGS_SIGNING_KEY_PRODUCTION: readFileSync(keys.prod!, 'utf8') },
    });
    expect(build.code).toBe(2);
    expect(build.stderr).toContain('was retired at 2026-11-25T12:00:00Z by a rotation and signs nothing new');

    // The CLI refuses to write what a verifier would refuse.
    const add = await flags(
      'keyset',
      'add',
      '--key',
      `${keys.rogue}=production`,
      '--sign-with',
      keys.prod!,
      '--now',
      iso(GRACE_ENDS + HOUR),
    );
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('would not verify');
    expect(add.stderr).toContain('retired at 2026-11-25T12:00:00Z');

    // A forged version, signed by the retired key and the rogue key, dated inside the grace period.
    const trusted = await verifyKeyset(rotated);
    const [rogueId, rogueEntry] = keysetEntry({
      publicKey: createPublicKey(signer('rogue').privateKey),
      environments: ['production'],
      notBefore: ROTATION + HOUR,
    });
    const forged = appendKeysetVersion(
      JSON.parse(rotated) as KeysetFile,
      trusted,
      { ...trusted.payload.keys, [rogueId]: rogueEntry },
      [signer('prod'), signer('rogue')],
      ROTATION + HOUR,
    );
    writeFileSync(keysetPath, serializeKeysetFile(forged));
    const show = await flags('keyset', 'show', '--now', iso(GRACE_ENDS + HOUR));
    expect(show.code).toBe(1);
    expect(show.stdout).not.toContain('chain verified');
    expect(show.stderr).toContain('[keyset-key-not-valid]');
    expect(show.stderr).toContain('a retired key signs no later version');
    expect(show.stderr).not.toMatch(/\n\s+at /);

    const dir = tempDir();
    const write = (name: string, bytes: Uint8Array) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    const verify = (bundle: string, now: number, keyset = keysetPath) =>
      flags('verify', bundle, '--env', 'production', '--keyset', keyset, '--now', iso(now));
    const byRogue = write(
      'rogue.json',
      signedBundle({ signers: [signer('rogue')], statement: { issuedAt: GRACE_ENDS } }),
    );
    const refusedRogue = await verify(byRogue, GRACE_ENDS + HOUR);
    expect(refusedRogue.code).toBe(1);
    expect(refusedRogue.stderr).toContain('[keyset-key-not-valid]');

    // With the rotated keyset: the retired key signs nothing new; what it signed before keeps
    // verifying during the grace period, and nothing it signed verifies after its end date.
    writeFileSync(keysetPath, rotated);
    const shown = await flags('keyset', 'show', '--now', iso(GRACE_ENDS + HOUR));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('chain verified');
    expect(shown.stdout).toContain('retired at 2026-11-25T12:00:00Z');
    expect(shown.stdout).toContain('past its end date');
    const late = write(
      'late.json',
      signedBundle({ signers: [signer('prod')], statement: { issuedAt: ROTATION + HOUR } }),
    );
    const refusedLate = await verify(late, ROTATION + 2 * HOUR);
    expect(refusedLate.code).toBe(1);
    expect(refusedLate.stderr).toContain('[key-not-valid]');
    expect(refusedLate.stderr).toContain('signs nothing issued since');
    const before = write(
      'before.json',
      signedBundle({
        signers: [signer('prod')],
        statement: { issuedAt: ROTATION - HOUR, validForHours: 400 },
      }),
    );
    expect((await verify(before, ROTATION + 2 * HOUR)).code).toBe(0);
    const afterEnd = await verify(before, GRACE_ENDS);
    expect(afterEnd.code).toBe(1);
    expect(afterEnd.stderr).toContain('[key-not-valid]');
    const bySuccessor = write(
      'new.json',
      signedBundle({ signers: [signer('prod2')], statement: { issuedAt: GRACE_ENDS } }),
    );
    expect((await verify(bySuccessor, GRACE_ENDS + HOUR)).code).toBe(0);
  });
});

describe('flags verify --state and the runtime', () => {
  it('share one rule: an older or substituted keyset is refused by either, whichever wrote the state file', async () => {
    const { keys, flags, signer, keysetPath } = await setup(['prod', 'stage', 'stage2', 'other']);
    expect(
      (
        await flags(
          'keyset',
          'init',
          '--key',
          `${keys.prod}=production`,
          '--key',
          `${keys.stage}=staging`,
          '--now',
          iso(T0),
        )
      ).code,
    ).toBe(0);
    const dir = tempDir();
    const v1 = join(dir, 'v1.json');
    writeFileSync(v1, readFileSync(keysetPath));
    const v1Text = readFileSync(v1, 'utf8');
    const add = (key: string) =>
      flags('keyset', 'add', '--key', `${key}=staging`, '--sign-with', keys.stage!, '--now', iso(T0 + HOUR));
    expect((await add(keys.stage2!)).code).toBe(0);
    const v2 = join(dir, 'v2.json');
    writeFileSync(v2, readFileSync(keysetPath));
    writeFileSync(keysetPath, v1Text);
    expect((await add(keys.other!)).code).toBe(0);
    const substitute = join(dir, 'v2-other.json');
    writeFileSync(substitute, readFileSync(keysetPath));

    const bundle = join(dir, 'production.bundle.json');
    writeFileSync(
      bundle,
      signedBundle({ signers: [signer('prod')], statement: { issuedAt: T0 + 2 * HOUR } }),
    );
    const now = iso(T0 + 3 * HOUR);
    const verify = (keyset: string, state: string) =>
      flags('verify', bundle, '--env', 'production', '--keyset', keyset, '--state', state, '--now', now);

    const state = join(dir, 'cli-state.json');
    expect((await verify(v2, state)).code).toBe(0);
    const remembered = JSON.parse(readFileSync(state, 'utf8'));
    expect(remembered.keysets['acme-platform'].version).toBe(2);
    for (const keyset of [v1, substitute]) {
      const refused = await verify(keyset, state);
      expect(refused.code, keyset).toBe(1);
      expect(refused.stderr).toContain('[keyset-rollback]');
      expect(refused.stderr).toMatch(/give the newest keyset|was replaced, not extended/);
    }
    // The runtime reads the state file flags verify wrote, and refuses alike.
    for (const keyset of [v1, substitute]) {
      const error = await FlagsRuntime.create({
        environment: 'production',
        keyset: { path: keyset },
        stateFile: state,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VerificationError);
      expect((error as VerificationError).code).toBe('keyset-rollback');
    }

    // And the other way round: the runtime remembers, flags verify refuses.
    const runtimeState = join(dir, 'runtime-state.json');
    await FlagsRuntime.create({ environment: 'production', keyset: { path: v2 }, stateFile: runtimeState });
    const refused = await verify(substitute, runtimeState);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('differs from the version 2 seen before');
    expect((await verify(v2, runtimeState)).code).toBe(0);
  });
});
