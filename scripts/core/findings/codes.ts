/**
 * Every finding kind has a stable code. Codes are documented in docs/findings.md and each has a
 * fixture under test/fixtures/ that triggers it.
 */

/** Errors fail the check, warnings fail it with --strict, notices never: they say what a change decides. */
export type Severity = 'error' | 'warning' | 'notice';
export type Category =
  | 'schema'
  | 'model'
  | 'lifecycle'
  | 'ownership'
  | 'codeowners'
  | 'yaml'
  | 'file'
  | 'policy'
  | 'stale'
  | 'contracts';

interface CodeInfo {
  readonly category: Category;
  readonly severity: Severity;
  readonly title: string;
}

const code = (category: Category, severity: Severity, title: string): CodeInfo => ({
  category,
  severity,
  title,
});

export const CODES = {
  'schema/unknown-field': code('schema', 'error', 'A field the schema does not know'),
  'schema/wrong-type': code('schema', 'error', 'A value of the wrong type'),
  'schema/missing-field': code('schema', 'error', 'A required field is missing'),
  'schema/invalid-value': code('schema', 'error', 'A value outside what the schema allows'),

  'model/key-mismatch': code('model', 'error', 'The key differs from the file name'),
  'model/duplicate-key': code('model', 'error', 'Two files declare the same key'),
  'model/archived-key-reused': code('model', 'error', 'A flag with the key of an archived flag'),
  'model/unknown-environment': code('model', 'error', 'An environment the policy does not declare'),
  'model/invalid-org-id': code('model', 'error', 'An organization id that does not match the policy pattern'),
  'model/invalid-agreement': code(
    'model',
    'error',
    'An agreement or contract reference that does not match the policy',
  ),
  'model/duplicate-grant': code('model', 'error', 'The same organization granted twice in one environment'),
  'model/grant-missing-agreement': code('model', 'error', 'A grant without the agreement its type requires'),
  'model/missing-contract': code('model', 'error', 'A flag without the contract its type requires'),
  'model/unknown-variant': code('model', 'error', 'A variant name that the flag does not define'),
  'model/value-type': code('model', 'error', 'A value that does not fit the flag kind (boolean or variants)'),
  'model/mixed-variant-types': code('model', 'error', 'Variants of different value types'),
  'model/invalid-date': code('model', 'error', 'A date that does not exist in the calendar'),
  'model/empty-rollout': code('model', 'warning', 'A rollout that serves nobody or a disabled environment'),

  'lifecycle/missing-expiry': code('lifecycle', 'error', 'A temporary flag without an expiry'),
  'lifecycle/expiry-too-far': code('lifecycle', 'error', "An expiry beyond the type's maximum lifetime"),
  'lifecycle/expired': code('lifecycle', 'error', 'A flag past its expiry'),
  'lifecycle/grant-expired': code('lifecycle', 'error', 'A grant past its expiry'),
  'lifecycle/missing-review': code('lifecycle', 'error', 'A long-lived flag without a review date'),
  'lifecycle/review-overdue': code('lifecycle', 'error', 'A review older than the cadence allows'),
  'lifecycle/date-in-future': code('lifecycle', 'error', 'A review date after today'),
  'lifecycle/unreferenced': code(
    'lifecycle',
    'warning',
    'A live flag that no code of the configured repositories reads',
  ),
  'lifecycle/archived-deleted': code(
    'lifecycle',
    'error',
    "With --changed-since: an archived flag's file deleted",
  ),

  'ownership/no-codeowners': code('ownership', 'warning', 'The repository has no CODEOWNERS file'),
  'ownership/unowned-file': code('ownership', 'error', 'No CODEOWNERS rule covers the flag file'),
  'ownership/owner-mismatch': code('ownership', 'error', 'The flag owner is not a code owner of its file'),
  'ownership/codeowners-changed': code(
    'ownership',
    'notice',
    'With --changed-since: CODEOWNERS changed, and with it the code owners of these flag files',
  ),

  'codeowners/unsupported-syntax': code(
    'codeowners',
    'error',
    'CODEOWNERS syntax that GitHub does not support',
  ),
  'codeowners/invalid-owner': code(
    'codeowners',
    'error',
    'A CODEOWNERS owner that is not @user, @org/team or an email',
  ),

  'yaml/syntax': code('yaml', 'error', 'YAML that does not parse'),
  'yaml/duplicate-key': code('yaml', 'error', 'A mapping with the same key twice'),
  'yaml/alias': code('yaml', 'error', 'Anchors and aliases are not allowed'),
  'yaml/yaml11-boolean': code('yaml', 'error', 'A YAML 1.1 boolean word where a boolean is meant'),
  'yaml/forbidden-key': code('yaml', 'error', 'A key such as __proto__ that can poison objects'),
  'yaml/tag': code('yaml', 'error', 'An explicit YAML tag'),
  'yaml/multi-document': code('yaml', 'error', 'More than one YAML document in a file'),
  'yaml/missing-modeline': code('yaml', 'warning', 'No yaml-language-server schema modeline'),

  'file/too-large': code('file', 'error', 'A file over the size cap'),
  'file/not-utf8': code('file', 'error', 'Bytes that are not UTF-8'),
  'file/symlink': code(
    'file',
    'error',
    'A symbolic link where a flag file, the policy or CODEOWNERS belongs',
  ),
  'file/control-character': code('file', 'error', "A character outside YAML's printable set (NUL, ESC, …)"),
  'file/unreadable': code('file', 'error', 'A file that cannot be read'),
  'file/wrong-extension': code('file', 'warning', 'A flag file not ending in .yaml'),

  'policy/invalid-pattern': code(
    'policy',
    'error',
    'A policy pattern that is not a valid regular expression',
  ),
  'policy/claim-budget': code(
    'policy',
    'error',
    "An organization's feature_flags claim over the byte budget",
  ),

  'stale/past-lifetime': code('stale', 'warning', "A flag older than its type's expected lifetime"),
  'stale/unevaluated': code('stale', 'warning', 'A flag the usage export shows no recent evaluation of'),
  'contracts/unknown-flag': code('contracts', 'error', 'A plan includes a flag that no file declares'),
  'contracts/invalid-variant': code('contracts', 'error', 'A plan gives a flag a variant it does not define'),
  'contracts/empty-plan': code('contracts', 'warning', 'A plan that grants no flag'),
  'contracts/unsold-entitlement': code('contracts', 'warning', 'An entitlement flag that no plan includes'),
  'contracts/unknown-plan': code(
    'contracts',
    'error',
    'A subscription to a plan the policy does not declare',
  ),
  'contracts/grant-conflict': code(
    'contracts',
    'error',
    'A flag file and a subscription both grant one organization a flag in one environment',
  ),
  'contracts/file-name': code('contracts', 'error', 'A subscription file named for another organization'),
} as const satisfies Record<string, CodeInfo>;

export type FindingCode = keyof typeof CODES;

export const ALL_CODES = Object.keys(CODES) as FindingCode[];
