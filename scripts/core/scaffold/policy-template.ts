import { isMap, isScalar, isSeq, Document } from 'yaml';
import { analyzePolicy } from '../check/analyze-policy.js';
import { POLICY_FILE } from '../model/constants.js';
import { ENVIRONMENT_NAME_PATTERN, type Policy, PolicySchema } from '../model/policy.js';

/**
 * The policy `flags init` writes: made as data, checked by the policy model, then rendered as YAML
 * with every setting spelled out (defaults included), so a new team sees what it can change.
 */

export interface PolicyChoices {
  project: string;
  environments: readonly string[];
  orgPattern?: string;
  agreementPattern?: string;
  contractPattern?: string;
}

/** What is wrong with a choice, by the option that gave it; empty when all is well. */
export function policyProblems(choices: PolicyChoices): { option: string; message: string }[] {
  const problems: { option: string; message: string }[] = [];
  const envPattern = new RegExp(ENVIRONMENT_NAME_PATTERN);
  if (choices.environments.length === 0 || choices.environments.length > 32)
    problems.push({
      option: '--environments',
      message: 'give 1 to 32 names, comma-separated, e.g. dev,prod',
    });
  for (const env of choices.environments)
    if (!envPattern.test(env))
      problems.push({
        option: '--environments',
        message: `"${env}" is not an environment name: lowercase letters, digits and dashes, starting with a letter, at most 32`,
      });
  const seen = new Set<string>();
  for (const env of choices.environments) {
    if (seen.has(env)) problems.push({ option: '--environments', message: `"${env}" is named twice` });
    seen.add(env);
  }
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(choices.project))
    problems.push({
      option: '--project',
      message: `"${choices.project}" is not a project name: lowercase letters, digits, ".", "_" and "-", at most 64`,
    });
  const patterns: [string, string | undefined][] = [
    ['--org-pattern', choices.orgPattern],
    ['--agreement-pattern', choices.agreementPattern],
    ['--contract-pattern', choices.contractPattern],
  ];
  for (const [option, pattern] of patterns) {
    if (pattern === undefined) continue;
    if (pattern === '') problems.push({ option, message: 'the pattern is empty' });
    else
      try {
        new RegExp(pattern);
      } catch (error) {
        problems.push({
          option,
          message: `"${pattern}" is not a regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
        });
      }
  }
  return problems;
}

/** A project name from a folder's name: lowercase, other characters as dashes; "flags" if nothing is left. */
export function projectNameFrom(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
    .replace(/[-._]+$/, '');
  return name === '' ? 'flags' : name;
}

/** The complete policy of the choices, every default filled in by the model. */
export function policyFor(choices: PolicyChoices): Policy {
  const defaults = PolicySchema.parse({});
  return PolicySchema.parse({
    project: choices.project,
    environments: [...choices.environments],
    organizations: { idPattern: choices.orgPattern ?? defaults.organizations.idPattern },
    agreements: {
      referencePattern: choices.agreementPattern ?? defaults.agreements.referencePattern,
      contractPattern: choices.contractPattern ?? defaults.agreements.contractPattern,
    },
  });
}

const COMMENTS: Readonly<Record<string, string>> = {
  project: ' Written into every signed bundle; applications check it.',
  environments:
    " Environments in promotion order. Flags may only configure these; each gets a signed bundle,\n a GitHub environment and a signing key of its own (the toolkit's docs/adopting.md).",
  organizations: ' Organization ids that grants and claims may name.',
  agreements:
    ' referencePattern: the agreement a grant is made under (from the CRM);\n contractPattern: the plan or SKU an entitlement flag is sold under.',
  types: ' Lifetimes: temporary types expire, long-lived ones are reviewed on a cadence.',
  limits: " Larger flag files are refused; maxClaimBytes bounds an organization's feature_flags claim.",
  bundles: ' How long a signed bundle stays valid, and the clock skew applications tolerate.',
  stale:
    " Stale flags (warnings): lifetimeDays per type from a flag's first commit, e.g. {release: 60};\n unevaluatedAfterDays with a usage export (--usage). The toolkit's docs/lifecycle.md.",
  retire: ' The retirement bot: how many pull requests it opens, their labels, spellings searched in code.',
  refs: " The repositories whose code reads these flags ({name, path}), and SDK methods that take a key\n besides isEnabled, resolve…, get…Value and get…Details. The toolkit's docs/refs.md.",
};

export function renderPolicy(policy: Policy): string {
  const doc = new Document(policy);
  doc.commentBefore =
    ' yaml-language-server: $schema=../schemas/policy.schema.json\n Governance of the flags: environments, id patterns, lifetimes and limits. Made by flags init.';
  if (isMap(doc.contents))
    for (const pair of doc.contents.items) {
      if (!isScalar(pair.key)) continue;
      const comment = COMMENTS[String(pair.key.value)];
      if (comment) pair.key.commentBefore = comment;
      pair.key.spaceBefore = pair.key.value !== 'project';
      // Short lists read best on one line; maps of scalars as one-line maps under types.
      if (isSeq(pair.value)) pair.value.flow = true;
      if (pair.key.value === 'types' && isMap(pair.value))
        for (const type of pair.value.items) if (isMap(type.value)) type.value.flow = true;
      if ((pair.key.value === 'retire' || pair.key.value === 'refs') && isMap(pair.value))
        for (const setting of pair.value.items) if (isSeq(setting.value)) setting.value.flow = true;
      // Regular expressions quoted: a pattern never reads as YAML syntax.
      if ((pair.key.value === 'organizations' || pair.key.value === 'agreements') && isMap(pair.value))
        for (const setting of pair.value.items)
          if (isScalar(setting.value)) setting.value.type = 'QUOTE_DOUBLE';
    }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * The policy's text, proved: it loads through the same checks as `flags check` and means exactly
 * the policy it was made from. Throws otherwise (a bug of the template, never a user's mistake:
 * the choices were checked before).
 */
export function policyText(choices: PolicyChoices): string {
  const policy = policyFor(choices);
  const text = renderPolicy(policy);
  const analysis = analyzePolicy(POLICY_FILE, new TextEncoder().encode(text));
  const errors = analysis.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0)
    throw new Error(
      `the generated policy does not check: ${errors.map((f) => `${f.line}:${f.col} ${f.message}`).join('; ')}`,
    );
  if (JSON.stringify(analysis.policy) !== JSON.stringify(policy))
    throw new Error('the generated policy does not read back as the policy it was made from');
  return text;
}
