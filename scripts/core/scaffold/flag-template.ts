import { relativeSchemaPath } from '../check/analyze-file.js';
import { addDays, type IsoDate } from '../dates.js';
import { FLAG_KEY_PATTERN, type FlagType, isTemporary } from '../model/flag.js';
import type { Policy } from '../model/policy.js';

/**
 * The text of a new flag file with the right defaults for its type: temporary types expire after
 * the type's maximum lifetime, long-lived ones are reviewed today; every policy environment is
 * present, enabled and off, so nothing changes until someone turns the flag on in review.
 */

export interface ScaffoldInput {
  /** Repository-relative path, e.g. flags/growth/new-banner.yaml (sets the modeline's depth). */
  file: string;
  key: string;
  type: FlagType;
  owner: string;
  description: string;
  contract?: string;
  ticket?: string;
  policy: Policy;
  today: IsoDate;
}

/** Used when a policy leaves a temporary type without a maximum lifetime. */
export const FALLBACK_LIFETIME_DAYS = 30;

export const flagPath = (key: string, dir?: string): string =>
  ['flags', ...(dir ? dir.split('/').filter((p) => p !== '') : []), `${key}.yaml`].join('/');

export const isFlagKey = (key: string): boolean =>
  new RegExp(FLAG_KEY_PATTERN).test(key) && key.length <= 100;

/** A folder under flags/: plain names only, no dot segments, nothing hidden or underscored. */
export const isFlagDir = (dir: string): boolean =>
  dir.split('/').every((part) => /^[a-z0-9][a-z0-9._-]*$/i.test(part) && part !== '..' && part !== '.');

const YAML_WORDS = /^(?:y|yes|n|no|true|false|on|off|null|~)$/i;

/** A YAML scalar: plain when that is unambiguous, else a double-quoted (JSON) string. */
export function yamlString(text: string): string {
  const plain =
    /^[A-Za-z][A-Za-z0-9 ,.;()'/+-]*$/.test(text) &&
    !text.endsWith(' ') &&
    !YAML_WORDS.test(text) &&
    !text.includes(' #');
  return plain ? text : JSON.stringify(text);
}

export function expiryFor(type: FlagType, policy: Policy, today: IsoDate): IsoDate | undefined {
  if (!isTemporary(type)) return undefined;
  return addDays(today, policy.types[type].maxLifetimeDays ?? FALLBACK_LIFETIME_DAYS);
}

export function scaffoldFlag(input: ScaffoldInput): string {
  const { type, policy, today } = input;
  const typePolicy = policy.types[type];
  const lines: string[] = [`# yaml-language-server: $schema=${relativeSchemaPath(input.file)}`];
  lines.push(`key: ${input.key}`);
  lines.push(`description: ${yamlString(input.description)}`);
  lines.push(`owner: ${JSON.stringify(input.owner)}`);
  lines.push(`type: ${type}`);
  if (input.contract !== undefined) lines.push(`contract: ${yamlString(input.contract)}`);
  if (input.ticket !== undefined) lines.push(`ticket: ${yamlString(input.ticket)}`);
  const expires = expiryFor(type, policy, today);
  if (expires !== undefined) {
    lines.push(
      `# Temporary: remove the flag and its code paths by this date (at most ${typePolicy.maxLifetimeDays ?? FALLBACK_LIFETIME_DAYS} days for ${type} flags).`,
    );
    lines.push(`expires: ${expires}`);
  } else {
    const cadence = typePolicy.reviewEveryDays;
    lines.push(
      cadence === undefined
        ? '# Long-lived: the owner confirms the flag now and then.'
        : `# Long-lived: the owner confirms the flag every ${cadence} days and updates this date.`,
    );
    lines.push(`reviewed: ${today}`);
  }
  lines.push('environments:');
  const last = policy.environments.length - 1;
  policy.environments.forEach((env, i) => {
    lines.push(`  ${env}:`);
    lines.push('    enabled: true');
    lines.push('    default: false');
    if (i !== last) return;
    if (typePolicy.requiresAgreement) {
      lines.push('    # Grant organizations under their agreement:');
      lines.push('    # grants:');
      lines.push('    #   - org: <organization id>');
      lines.push('    #     agreement: <agreement reference>');
    } else if (isTemporary(type)) {
      lines.push('    # Roll out to a share of organizations (same bucketing as flagd fractional):');
      lines.push('    # rollout:');
      lines.push('    #   percentage: 10');
    }
  });
  return `${lines.join('\n')}\n`;
}
