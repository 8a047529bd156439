import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { assertOutsideRepository, writePrivateKeyFile } from '../adapters/keys.js';
import { writeFileAtomic } from '../adapters/files.js';
import { encodeBase64 } from '../core/bundle/base64.js';
import { keyIdOf, spkiOf } from '../core/bundle/key-ids.js';

/**
 * `flags keygen`: an Ed25519 key pair. The private key goes to a file with mode 0600 (never inside
 * the repository unless git ignores the path) or to stdout for a secret store; the public key and
 * its id are printed for the keyset.
 */

interface KeygenOptions {
  out?: string;
  force?: boolean;
  json?: boolean;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('make an Ed25519 signing key pair (private key to a 0600 file or stdout)')
    .option(
      '-o, --out <file>',
      'write the private key PEM here (mode 0600) and the public key to <file>.pub; default: stdout',
    )
    .option('--force', 'replace an existing file')
    .option('--json', 'print the key id and public key as JSON')
    .action((options: KeygenOptions) => {
      process.exitCode = runKeygen(options);
    });
}

export function runKeygen(options: KeygenOptions): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const spki = spkiOf(publicKey);
  const keyid = keyIdOf(spki);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const info = { keyid, algorithm: 'ed25519', publicKey: encodeBase64(spki) };
  if (options.out && options.out !== '-') {
    const path = resolve(options.out);
    assertOutsideRepository(path, 'the key file');
    writePrivateKeyFile(path, pem, options.force);
    writeFileAtomic(`${path}.pub`, publicPem);
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({ ...info, privateKeyFile: path, publicKeyFile: `${path}.pub` }, null, 2)}\n`,
      );
    else
      process.stdout.write(
        `wrote the private key to ${path} (mode 0600) and the public key to ${path}.pub\n` +
          `key id ${keyid}\n` +
          `next: flags keyset init --key ${options.out}=<environments>   (or flags keyset add / rotate)\n`,
      );
    return 0;
  }
  // To stdout: the PEM alone, so `flags keygen | gh secret set FLAGS_SIGNING_KEY_PRODUCTION` works.
  process.stdout.write(pem);
  process.stderr.write(`key id ${keyid}\npublic key (SPKI, base64) ${info.publicKey}\n`);
  return 0;
}
