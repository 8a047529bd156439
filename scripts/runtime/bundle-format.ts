/**
 * The compiled content of a bundle: what evaluation needs and what an audit needs, nothing else.
 * The runtime imports only this folder and standard APIs (WebCrypto), so applications carry no other dependency.
 */

/**
 * The content format this toolkit writes. v2 adds, to v1, the optional `deprecated` of a flag and
 * the content's `claimChanges`; the statement of a v2 content may name `nextChangeAt`. Runtimes
 * read both (READABLE_CONTENT_FORMATS); a runtime that reads only v1 refuses v2 as an unsupported
 * bundle format, so a newer bundle is never half-understood.
 */
export const BUNDLE_CONTENT_FORMAT = 'flags-bundle/v2';
export const READABLE_CONTENT_FORMATS = ['flags-bundle/v1', 'flags-bundle/v2'] as const;
export type ContentFormat = (typeof READABLE_CONTENT_FORMATS)[number];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type ValueType = 'boolean' | 'string' | 'number' | 'object';
export type FlagKind = 'entitlement' | 'release' | 'experiment' | 'operational';

export interface BundleGrant {
  variant: string;
  agreement?: string;
  /** Last day (UTC, inclusive) the grant applies. */
  expires?: string;
  ticket?: string;
}

export interface BundleRollout {
  percentage: number;
  variant: string;
}

export interface BundleFlag {
  type: FlagKind;
  owner: string;
  valueType: ValueType;
  variants: Record<string, JsonValue>;
  enabled: boolean;
  /** Served when the environment is disabled. */
  offVariant: string;
  /** Served to organizations neither granted nor rolled out to. */
  defaultVariant: string;
  /** Organization id → grant. */
  grants: Record<string, BundleGrant>;
  rollout?: BundleRollout;
  contract?: string;
  expires?: string;
  reviewed?: string;
  /** The flag is on its way out (v2; set by the lifecycle rules): callers should stop reading it. */
  deprecated?: true;
}

/** How one organization's `feature_flags` claim changed: keys it gained and keys it lost. */
export interface ClaimDelta {
  added: string[];
  removed: string[];
}

/**
 * Whose claims changed between the bundles of serials `from`…`to` (which all held the same flags)
 * and this bundle. `everyone` when a change reaches organizations the bundle cannot name (a
 * default, a rollout, a flag switched on or off) or when the list would be too long.
 */
export interface ClaimChangeRange {
  from: number;
  to: number;
  everyone?: true;
  /** Organization id → its delta; present unless `everyone`. */
  organizations?: Record<string, ClaimDelta>;
}

export interface BundleContent {
  format: ContentFormat;
  project: string;
  environment: string;
  flags: Record<string, BundleFlag>;
  /**
   * v2: newest range first. An application holding a serial that no range covers cannot bridge to
   * this bundle and treats the change as everyone's. Absent when the build could not tell (a
   * --serial of its own, no earlier commit).
   */
  claimChanges?: ClaimChangeRange[];
}

/*
 * The signed bundle: one file per environment holding the content bytes and a DSSE envelope whose
 * payload is the statement below. The statement binds the content by sha256 and size, so the
 * envelope stays small and the content is hashed, not parsed, before it is trusted.
 */

export const STATEMENT_FORMAT = 'flags-statement/v1';
export const STATEMENT_PAYLOAD_TYPE = 'application/vnd.flags-as-code.statement.v1+json';
export const SIGNED_BUNDLE_FORMAT = 'flags-signed-bundle/v1';

export interface BundleStatement {
  format: typeof STATEMENT_FORMAT;
  /** Format of the content the statement describes. */
  bundleFormat: ContentFormat;
  project: string;
  environment: string;
  /** Grows with every published build of the project: the first-parent commit count of the source. */
  serial: number;
  /** Instants as `YYYY-MM-DDTHH:MM:SSZ`. */
  issuedAt: string;
  expiresAt: string;
  /** How far a verifier's clock may be behind the signer's; from policy.bundles. */
  maxClockSkewSeconds: number;
  content: { sha256: string; size: number };
  source: { commit: string; dirty: boolean };
  /** Signed with a development key made on a workstation: production verifiers refuse it. */
  development: boolean;
  /**
   * The toolkit fingerprint and the sha256 of the analysed policy the build ran with (absent in
   * bundles of older builds). A build may start from a published bundle only when both equal its own.
   */
  toolkit?: string;
  policy?: string;
  /**
   * The first instant after `issuedAt` at which some organization's claim changes with no new
   * bundle (a grant's last day ends). In the statement, not the content: it depends on when the
   * bundle was issued, and the content of a serial must never change (verifiers refuse a serial
   * reused with other content). With a v2 content only.
   */
  nextChangeAt?: string;
}

/** The bundle file: canonical JSON of this object. `content` is base64 of the content bytes. */
export interface SignedBundleFile {
  format: typeof SIGNED_BUNDLE_FORMAT;
  content: string;
  envelope: { payload: string; payloadType: string; signatures: { keyid: string; sig: string }[] };
}

export const bundleFileName = (environment: string): string => `${environment}.bundle.json`;
