import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { decodeBase64Strict } from '../runtime/base64.js';
import { VerificationError } from '../runtime/errors.js';
import { readSource } from '../runtime/sources.js';
import { DEFAULT_MAX_BUNDLE_BYTES, parseContent, strictBundleFile, verifyBundle } from '../runtime/verify.js';
import { verifyKeysetFile } from './keys.js';

/**
 * The keys a published bundle serves, for an application's own gate (`flags refs --bundle`): read
 * from a file or URL, verified with a keyset when one is given (as the runtime would), and the
 * flags it marks deprecated.
 */

export interface PublishedKeys {
  keys: string[];
  deprecated: Set<string>;
  verified: boolean;
  environment?: string;
}

export interface PublishedKeysOptions {
  keyset?: string;
  env?: string;
  now: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export async function publishedKeys(bundle: string, options: PublishedKeysOptions): Promise<PublishedKeys> {
  const source = /^https?:\/\//i.test(bundle) ? { url: bundle } : { path: resolve(bundle) };
  try {
    const bytes = await readSource(source, DEFAULT_MAX_BUNDLE_BYTES);
    if (options.keyset) {
      if (!options.env)
        throw new UsageError(
          '--keyset needs --env',
          'give the environment the bundle was built for, e.g. --env production',
        );
      const path = resolve(options.keyset);
      let keysetBytes: Uint8Array;
      try {
        keysetBytes = readFileSync(path);
      } catch (error) {
        throw new UsageError(
          `cannot read the keyset ${options.keyset}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        );
      }
      const keyset = await verifyKeysetFile(path, keysetBytes, undefined, undefined);
      const verified = await verifyBundle(bytes, { keyset, environment: options.env, now: options.now });
      const content = parseContent(verified);
      return { ...keysOf(content.flags), verified: true, environment: options.env };
    }
    // Unverified: the gate only needs the list of keys; a verifier of the bundle still checks it.
    const file = strictBundleFile(bytes);
    const contentBytes = decodeBase64Strict(file.content);
    if (!contentBytes) throw new VerificationError('bad-base64', 'the bundle content is not valid base64');
    let content: unknown;
    try {
      content = JSON.parse(Buffer.from(contentBytes).toString('utf8'));
    } catch {
      throw new VerificationError('bad-content', 'the bundle content is not JSON');
    }
    if (!isRecord(content) || !isRecord(content.flags))
      throw new VerificationError('bad-content', 'the bundle content has no flags');
    const environment = typeof content.environment === 'string' ? content.environment : undefined;
    return { ...keysOf(content.flags), verified: false, ...(environment ? { environment } : {}) };
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    throw new InputError(`bundle refused [${error.code}]: ${error.message}`, {
      location: { file: bundle },
      hint: 'give the bundle flags build wrote (or its URL), and the keyset it was signed for',
    });
  }
}

function keysOf(flags: Record<string, unknown>): { keys: string[]; deprecated: Set<string> } {
  const keys = Object.keys(flags).sort();
  const deprecated = new Set(
    keys.filter((k) => isRecord(flags[k]) && (flags[k] as Record<string, unknown>).deprecated === true),
  );
  return { keys, deprecated };
}
