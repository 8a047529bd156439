import {
  BUNDLE_CONTENT_FORMAT,
  type BundleContent,
  type BundleFlag,
  type BundleGrant,
  type JsonValue,
  type ValueType,
} from '../../runtime/bundle-format.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';

/**
 * Compiles the flags of one environment into bundle content. Pure and order-independent: flags
 * and grants are keyed, and canonical JSON sorts the keys, so file order never shows.
 */
export function compileEnvironment(
  flags: readonly { flag: Flag }[],
  policy: Policy,
  environment: string,
): BundleContent {
  const compiled: Record<string, BundleFlag> = {};
  for (const { flag } of [...flags].sort((a, b) =>
    a.flag.key < b.flag.key ? -1 : a.flag.key > b.flag.key ? 1 : 0,
  )) {
    compiled[flag.key] = compileFlag(flag, environment);
  }
  return { format: BUNDLE_CONTENT_FORMAT, project: policy.project, environment, flags: compiled };
}

export function compileFlag(flag: Flag, environment: string): BundleFlag {
  const boolean = flag.variants === undefined;
  const variants: Record<string, JsonValue> = boolean
    ? { off: false, on: true }
    : (flag.variants as Record<string, JsonValue>);
  const offVariant = boolean ? 'off' : (flag.defaultVariant ?? Object.keys(variants)[0]!);
  const config = flag.environments[environment];
  const defaultVariant =
    config?.default === undefined
      ? offVariant
      : typeof config.default === 'boolean'
        ? config.default
          ? 'on'
          : 'off'
        : config.default;
  const grants: Record<string, BundleGrant> = {};
  for (const grant of config?.grants ?? []) {
    grants[grant.org] = strip({
      variant: boolean ? 'on' : (grant.variant ?? offVariant),
      agreement: grant.agreement,
      expires: grant.expires,
      ticket: grant.ticket,
    });
  }
  return strip({
    type: flag.type,
    owner: flag.owner,
    valueType: boolean ? 'boolean' : valueTypeOf(Object.values(variants)[0]),
    variants,
    enabled: config?.enabled ?? false,
    offVariant,
    defaultVariant: config ? defaultVariant : offVariant,
    grants,
    rollout: config?.rollout
      ? {
          percentage: config.rollout.percentage,
          variant: boolean ? 'on' : (config.rollout.variant ?? offVariant),
        }
      : undefined,
    contract: flag.contract,
    expires: flag.expires,
    reviewed: flag.reviewed,
  });
}

function valueTypeOf(value: unknown): ValueType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  return 'object';
}

/** Drops undefined fields, so optional metadata is absent rather than null in the bundle. */
function strip<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
