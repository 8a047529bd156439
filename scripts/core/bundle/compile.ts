import { defaultVariantOf, offVariantOf, targetVariantOf } from '../model/variants.js';
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
 * and grants are keyed, and canonical JSON sorts the keys, so file order never shows. Objects are
 * built with their fields in sorted order and without deleting any (deleting fields sends V8
 * objects to slow dictionary mode), which keeps compiling and canonicalising 10,000 flags cheap.
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
  return { environment, flags: compiled, format: BUNDLE_CONTENT_FORMAT, project: policy.project };
}

const BOOLEAN_VARIANTS: Readonly<Record<string, JsonValue>> = Object.freeze({ off: false, on: true });

export function compileFlag(flag: Flag, environment: string): BundleFlag {
  const boolean = flag.variants === undefined;
  const variants: Record<string, JsonValue> = boolean
    ? { ...BOOLEAN_VARIANTS }
    : sortedRecord(flag.variants as Record<string, JsonValue>);
  const offVariant = offVariantOf(flag);
  const config = flag.environments[environment];
  const defaultVariant = defaultVariantOf(flag, config);
  const grants: Record<string, BundleGrant> = {};
  // In organization order, so canonical JSON finds the object sorted already (a later grant for
  // the same organization still wins: the sort is stable).
  const byOrg = [...(config?.grants ?? [])].sort((a, b) => (a.org < b.org ? -1 : a.org > b.org ? 1 : 0));
  for (const grant of byOrg) {
    const compiled = {} as BundleGrant;
    if (grant.agreement !== undefined) compiled.agreement = grant.agreement;
    if (grant.expires !== undefined) compiled.expires = grant.expires;
    if (grant.ticket !== undefined) compiled.ticket = grant.ticket;
    compiled.variant = targetVariantOf(flag, grant.variant);
    // defineProperty, not assignment: an id such as "__proto__" must become a key, not a prototype.
    Object.defineProperty(grants, grant.org, {
      value: compiled,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  // Fields in sorted order; optional ones only when present, so they are absent rather than null.
  const out = {} as BundleFlag;
  if (flag.contract !== undefined) out.contract = flag.contract;
  out.defaultVariant = config ? defaultVariant : offVariant;
  out.enabled = config?.enabled ?? false;
  if (flag.expires !== undefined) out.expires = flag.expires;
  out.grants = grants;
  out.offVariant = offVariant;
  out.owner = flag.owner;
  if (flag.reviewed !== undefined) out.reviewed = flag.reviewed;
  if (config?.rollout)
    out.rollout = {
      percentage: config.rollout.percentage,
      variant: targetVariantOf(flag, config.rollout.variant),
    };
  out.type = flag.type;
  out.valueType = boolean ? 'boolean' : valueTypeOf(Object.values(flag.variants!)[0]);
  out.variants = variants;
  return out;
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

function valueTypeOf(value: unknown): ValueType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  return 'object';
}
