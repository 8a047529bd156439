import type { Flag, FlagEnvironment } from './flag.js';

/**
 * The variant names a flag serves, read one way by every consumer of the model: bundles, the flagd
 * export and the claim budget. Boolean flags have the implicit variants `on` (true) and `off` (false).
 */

export const isBooleanFlag = (flag: Flag): boolean => flag.variants === undefined;

/** Served when an environment is off or not configured. */
export const offVariantOf = (flag: Flag): string =>
  flag.variants === undefined ? 'off' : (flag.defaultVariant ?? Object.keys(flag.variants)[0]!);

/** Served to organizations neither granted nor rolled out to. */
export function defaultVariantOf(flag: Flag, config: FlagEnvironment | undefined): string {
  const value = config?.default;
  if (value === undefined) return offVariantOf(flag);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return value;
}

/** What a grant (or, with no variant, a rollout) serves: `on` for boolean flags. */
export const targetVariantOf = (flag: Flag, variant: string | undefined): string =>
  flag.variants === undefined ? 'on' : (variant ?? offVariantOf(flag));
