/**
 * The compiled content of a bundle: what evaluation needs and what an audit needs, nothing else.
 * The runtime imports only this folder and node:crypto, so applications carry no other dependency.
 */

export const BUNDLE_CONTENT_FORMAT = 'flags-bundle/v1';

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
}

export interface BundleContent {
  format: typeof BUNDLE_CONTENT_FORMAT;
  project: string;
  environment: string;
  flags: Record<string, BundleFlag>;
}
