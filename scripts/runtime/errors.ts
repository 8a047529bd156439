/**
 * Why a bundle or a keyset was refused. Every refusal has a stable code (for --json, metrics and
 * tests) and a sentence a person can act on; nothing here carries a stack trace to the user.
 */

export type VerificationCode =
  // reading
  | 'unreadable'
  | 'fetch-failed'
  | 'too-large'
  // the envelope as text
  | 'not-utf8'
  | 'malformed-json'
  | 'duplicate-key'
  | 'trailing-bytes'
  | 'bad-format'
  | 'bad-base64'
  // signatures
  | 'wrong-payload-type'
  | 'no-signatures'
  | 'unknown-key'
  | 'bad-signature'
  | 'key-not-for-environment'
  | 'key-not-valid'
  | 'development-signed'
  // the statement
  | 'bad-statement'
  | 'non-canonical'
  | 'unsupported-format'
  | 'wrong-environment'
  | 'wrong-project'
  | 'expired'
  | 'issued-in-future'
  // the content
  | 'content-mismatch'
  | 'bad-content'
  // history
  | 'rollback'
  | 'serial-reused'
  | 'bad-state'
  // keysets
  | 'keyset-invalid'
  | 'keyset-bad-signature'
  | 'keyset-chain-broken'
  | 'keyset-old-key-missing'
  | 'keyset-new-key-missing'
  | 'keyset-key-not-valid'
  | 'keyset-root-mismatch'
  | 'keyset-rollback';

export class VerificationError extends Error {
  readonly code: VerificationCode;
  constructor(code: VerificationCode, message: string) {
    super(message);
    this.name = 'VerificationError';
    this.code = code;
  }
}

export const isVerificationError = (error: unknown): error is VerificationError =>
  error instanceof VerificationError;
