import { createHash } from 'node:crypto';
import {
  BUNDLE_CONTENT_FORMAT,
  type BundleContent,
  type BundleStatement,
  STATEMENT_FORMAT,
} from '../../runtime/bundle-format.js';
import { canonicalBytes } from '../canonical-json.js';
import { formatInstant } from '../../runtime/instant.js';

/**
 * The statement a bundle's signature covers. Everything time- or source-dependent lives here, so
 * the content itself depends only on the flag files and the policy.
 */

export interface StatementInput {
  project: string;
  environment: string;
  serial: number;
  /** Epoch ms; truncated to the second. */
  issuedAt: number;
  validForHours: number;
  maxClockSkewSeconds: number;
  commit: string;
  dirty: boolean;
  development: boolean;
  /** The toolkit fingerprint and the hash of the analysed policy (additive: older statements lack them). */
  toolkit?: string;
  policy?: string;
  /** Epoch ms: the next instant a claim may change with no new bundle (nextChangeAfter of the content). */
  nextChangeAt?: number;
}

export const contentBytesOf = (content: BundleContent): Uint8Array => canonicalBytes(content);

export function makeStatement(contentBytes: Uint8Array, input: StatementInput): BundleStatement {
  const issuedAt = Math.floor(input.issuedAt / 1000) * 1000;
  return {
    format: STATEMENT_FORMAT,
    bundleFormat: BUNDLE_CONTENT_FORMAT,
    project: input.project,
    environment: input.environment,
    serial: input.serial,
    issuedAt: formatInstant(issuedAt),
    expiresAt: formatInstant(issuedAt + input.validForHours * 3_600_000),
    maxClockSkewSeconds: input.maxClockSkewSeconds,
    content: {
      sha256: createHash('sha256').update(contentBytes).digest('hex'),
      size: contentBytes.byteLength,
    },
    source: { commit: input.commit, dirty: input.dirty },
    development: input.development,
    ...(input.toolkit === undefined ? {} : { toolkit: input.toolkit }),
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    ...(input.nextChangeAt === undefined ? {} : { nextChangeAt: formatInstant(input.nextChangeAt) }),
  };
}
