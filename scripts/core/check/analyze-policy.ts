import { finding, type Finding, type Position, START } from '../findings/finding.js';
import { defaultPolicy, type Policy, PolicySchema } from '../model/policy.js';
import { schemaFindings } from '../model/schema-findings.js';
import { validators } from '../model/validators.js';
import { type LoadedYaml, loadYaml, locate } from '../yaml/load.js';

export { POLICY_FILE } from '../model/constants.js';
const POLICY_MAX_BYTES = 1_048_576;

/**
 * Where the policy sets what a repository-wide finding is about, by dotted path (or, where it does
 * not set it, where it would: the nearest enclosing key), so that such a finding points there.
 */
export type PolicyPositions = Readonly<Record<string, Position>>;

/** The settings repository-wide findings point at. */
const POINTED_AT: readonly (readonly string[])[] = [['limits', 'maxClaimBytes']];

export interface PolicyAnalysis {
  policy: Policy;
  findings: Finding[];
  /** Positions of the settings in POINTED_AT; none without a policy file. */
  at: PolicyPositions;
}

/** Reads the policy from its bytes; an absent policy means the defaults. */
export function analyzePolicy(file: string, bytes: Uint8Array | undefined): PolicyAnalysis {
  if (bytes === undefined) return { policy: defaultPolicy(), findings: [], at: {} };
  const { loaded, findings, empty } = loadYaml(file, bytes, POLICY_MAX_BYTES);
  // A policy of comments only states no choices: every default applies, as when the file is absent.
  if (!loaded) return { policy: defaultPolicy(), findings: empty ? [] : findings, at: {} };
  const at = Object.fromEntries(POINTED_AT.map((path) => [path.join('.'), settingAt(loaded, path)]));
  const value = loaded.value ?? {};
  const validate = validators().policy;
  if (!validate(value))
    return {
      policy: defaultPolicy(),
      findings: [
        ...findings,
        ...schemaFindings(file, loaded, validate.errors ?? [], 'schemas/policy.schema.json'),
      ],
      at,
    };
  const policy = PolicySchema.parse(value);
  const patterns: [string[], string][] = [
    [['organizations', 'idPattern'], policy.organizations.idPattern],
    [['agreements', 'referencePattern'], policy.agreements.referencePattern],
    [['agreements', 'contractPattern'], policy.agreements.contractPattern],
  ];
  for (const [path, pattern] of patterns) {
    try {
      new RegExp(pattern);
    } catch (error) {
      findings.push(
        finding(
          'policy/invalid-pattern',
          file,
          locate(loaded, path),
          `${path.join('.')} is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
          'fix the pattern (JavaScript regular expression syntax)',
          path.join('.'),
        ),
      );
    }
  }
  const seen = new Set<string>();
  policy.environments.forEach((env, i) => {
    if (seen.has(env))
      findings.push(
        finding(
          'schema/invalid-value',
          file,
          locate(loaded, ['environments', i]),
          `environment "${env}" is declared twice`,
          'remove the duplicate',
          `environments.${i}`,
        ),
      );
    seen.add(env);
  });
  return findings.some((f) => f.severity === 'error')
    ? { policy: defaultPolicy(), findings, at }
    : { policy, findings, at };
}

/** The setting's value, or the key of its nearest enclosing setting, or the start of the file. */
function settingAt(loaded: LoadedYaml, path: readonly string[]): Position {
  let value: unknown = loaded.value;
  let depth = 0;
  while (
    depth < path.length &&
    value !== null &&
    typeof value === 'object' &&
    Object.hasOwn(value, path[depth]!)
  )
    value = (value as Record<string, unknown>)[path[depth++]!];
  if (depth === path.length) return locate(loaded, path);
  return depth === 0 ? START : locate(loaded, path.slice(0, depth), 'key');
}

export const policyIsUsable = (findings: readonly Finding[], file: string): boolean =>
  !findings.some((f) => f.file === file && f.severity === 'error');

export { START };
