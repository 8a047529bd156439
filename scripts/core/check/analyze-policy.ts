import { finding, type Finding, START } from '../findings/finding.js';
import { defaultPolicy, type Policy, PolicySchema } from '../model/policy.js';
import { schemaFindings } from '../model/schema-findings.js';
import { validators } from '../model/validators.js';
import { loadYaml, locate } from '../yaml/load.js';

export { POLICY_FILE } from '../model/constants.js';
const POLICY_MAX_BYTES = 1_048_576;

/** Reads the policy from its bytes; an absent policy means the defaults. */
export function analyzePolicy(
  file: string,
  bytes: Uint8Array | undefined,
): { policy: Policy; findings: Finding[] } {
  if (bytes === undefined) return { policy: defaultPolicy(), findings: [] };
  const { loaded, findings, empty } = loadYaml(file, bytes, POLICY_MAX_BYTES);
  // A policy of comments only states no choices: every default applies, as when the file is absent.
  if (!loaded) return { policy: defaultPolicy(), findings: empty ? [] : findings };
  const value = loaded.value ?? {};
  const validate = validators().policy;
  if (!validate(value))
    return {
      policy: defaultPolicy(),
      findings: [
        ...findings,
        ...schemaFindings(file, loaded, validate.errors ?? [], 'schemas/policy.schema.json'),
      ],
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
    ? { policy: defaultPolicy(), findings }
    : { policy, findings };
}

export const policyIsUsable = (findings: readonly Finding[], file: string): boolean =>
  !findings.some((f) => f.file === file && f.severity === 'error');

export { START };
