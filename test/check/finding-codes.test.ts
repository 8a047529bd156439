import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_CODES, CODES, type FindingCode } from '../../scripts/core/findings/codes.js';
import { FIXTURES, initRepo, TOOLKIT_ROOT } from '../helpers/gitdir.js';
import { checkJson, copyOfFixture, fixture, flagYaml } from './check-cli.js';

/**
 * Every finding code has a miniature repository under test/fixtures/check/<code with - for />/ that
 * triggers it, and `flags check` reports exactly the findings listed here for it: code, file, line,
 * column, message, hint and path. Fixtures are judged on 2026-11-24.
 */

interface ExpectedFinding {
  /** Defaults to the code of the case. */
  code?: FindingCode;
  file: string;
  line: number;
  col: number;
  message: string;
  hint: string;
  path?: string;
}

interface Case {
  code: FindingCode;
  /** Adds what git cannot keep (links, bytes that are not UTF-8) to a temporary copy of the fixture. */
  setup?: (dir: string) => { message?: string } | Promise<{ message?: string }>;
  /** Arguments to `flags check` beyond --json (e.g. --changed-since for the gate's notices). */
  args?: string[];
  findings: ExpectedFinding[];
}

const fixtureFolder = (code: string): string => code.replace('/', '-');

const CASES: Case[] = [
  {
    code: 'schema/unknown-field',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 7,
        col: 1,
        message: 'unknown field "tag"',
        hint: 'did you mean "tags"?',
        path: 'tag',
      },
    ],
  },
  {
    code: 'schema/wrong-type',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 9,
        col: 14,
        message: '"environments.production.enabled" must be a boolean, not the string "true"',
        hint: 'write a boolean here',
        path: 'environments.production.enabled',
      },
    ],
  },
  {
    code: 'schema/missing-field',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 10,
        col: 3,
        message: '"environments.production" is missing the required field "enabled"',
        hint: 'add the field "enabled"',
        path: 'environments.production',
      },
    ],
  },
  {
    code: 'schema/invalid-value',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 5,
        col: 7,
        message: '"type" is "temporary", not one of entitlement, release, experiment, operational',
        hint: 'use one of entitlement, release, experiment, operational',
        path: 'type',
      },
    ],
  },
  {
    code: 'model/key-mismatch',
    findings: [
      {
        file: 'flags/bulk-export.yaml',
        line: 2,
        col: 6,
        message: 'key "bulk-exports" differs from the file name "bulk-export"',
        hint: 'rename the file to bulk-exports.yaml or set key: bulk-export',
        path: 'key',
      },
    ],
  },
  {
    code: 'model/duplicate-key',
    findings: [
      {
        file: 'flags/invoices/invoice-preview.yaml',
        line: 3,
        col: 6,
        message: 'key "invoice-preview" is already declared in flags/billing/invoice-preview.yaml',
        hint: 'give each flag a unique key; keys are global across subfolders',
        path: 'key',
      },
    ],
  },
  {
    code: 'model/archived-key-reused',
    findings: [
      {
        file: 'flags/billing/invoice-preview.yaml',
        line: 2,
        col: 6,
        message:
          'key "invoice-preview" belongs to the archived flag in flags/invoice-preview.yaml; an archived key is never used again',
        hint: 'give this flag a key of its own (e.g. "invoice-preview-v2") and name its file after it; flags/invoice-preview.yaml stays as the record of the old flag',
        path: 'key',
      },
    ],
  },
  {
    code: 'model/unknown-environment',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 10,
        col: 3,
        message: 'environment "prodution" is not declared in the policy',
        hint: 'did you mean "production"?',
        path: 'environments.prodution',
      },
    ],
  },
  {
    code: 'model/invalid-org-id',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 13,
        col: 14,
        message: 'organization id "Initech" does not match ^org_[a-z0-9]{6,32}$',
        hint: 'copy the id from the admin console; names are not ids',
        path: 'environments.production.grants.1.org',
      },
    ],
  },
  {
    code: 'model/invalid-agreement',
    findings: [
      {
        file: 'flags/advanced-analytics.yaml',
        line: 14,
        col: 20,
        message: 'agreement "msa-2026-0012" does not match ^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$',
        hint: 'use the reference as the CRM or billing system writes it',
        path: 'environments.production.grants.0.agreement',
      },
    ],
  },
  {
    code: 'model/duplicate-grant',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 14,
        col: 14,
        message: 'organization "org_wayne880142" is granted twice in production (grants 0 and 2)',
        hint: 'keep one grant per organization and environment',
        path: 'environments.production.grants.2.org',
      },
    ],
  },
  {
    code: 'model/grant-missing-agreement',
    findings: [
      {
        file: 'flags/advanced-analytics.yaml',
        line: 15,
        col: 9,
        message: 'grant to "org_initech2210" has no agreement; entitlement grants must be traceable to one',
        hint: 'add agreement: <reference of the customer agreement>',
        path: 'environments.production.grants.1',
      },
    ],
  },
  {
    code: 'model/missing-contract',
    findings: [
      {
        file: 'flags/advanced-analytics.yaml',
        line: 5,
        col: 7,
        message: 'entitlement flags need a contract (agreement, plan or SKU reference)',
        hint: 'add contract: <reference>',
        path: 'type',
      },
    ],
  },
  {
    code: 'model/unknown-variant',
    findings: [
      {
        file: 'flags/pricing-table.yaml',
        line: 14,
        col: 14,
        message: 'default "compakt" is not a variant of this flag',
        hint: 'did you mean "compact"?',
        path: 'environments.production.default',
      },
    ],
  },
  {
    code: 'model/value-type',
    findings: [
      {
        file: 'flags/pricing-table.yaml',
        line: 14,
        col: 14,
        message: 'default must name a variant, not true',
        hint: 'variants: detailed, compact',
        path: 'environments.production.default',
      },
    ],
  },
  {
    code: 'model/mixed-variant-types',
    findings: [
      {
        file: 'flags/upload-limit.yaml',
        line: 8,
        col: 3,
        message: 'variants mix number and string values',
        hint: 'give every variant a value of one type',
        path: 'variants',
      },
    ],
  },
  {
    code: 'model/invalid-date',
    findings: [
      {
        file: 'flags/new-editor.yaml',
        line: 6,
        col: 10,
        message: 'expires 2027-02-30 is not a calendar date',
        hint: 'use a real date, YYYY-MM-DD',
        path: 'expires',
      },
    ],
  },
  {
    code: 'model/empty-rollout',
    findings: [
      {
        file: 'flags/new-editor.yaml',
        line: 12,
        col: 19,
        message: 'the rollout in production serves 0% of organizations',
        hint: 'remove the rollout or raise the percentage',
        path: 'environments.production.rollout.percentage',
      },
    ],
  },
  {
    code: 'lifecycle/missing-expiry',
    findings: [
      {
        file: 'flags/new-editor.yaml',
        line: 5,
        col: 7,
        message: 'release flags are temporary and need an expiry',
        hint: 'add expires: <date> (at most 2027-02-22)',
        path: 'type',
      },
    ],
  },
  {
    code: 'lifecycle/expiry-too-far',
    findings: [
      {
        file: 'flags/onboarding-tour.yaml',
        line: 6,
        col: 10,
        message: 'expires 2027-06-30 is 218 days away; experiment flags live at most 60 days',
        hint: 'set expires to 2027-01-23 or earlier',
        path: 'expires',
      },
    ],
  },
  {
    code: 'lifecycle/expired',
    findings: [
      {
        file: 'flags/new-editor.yaml',
        line: 6,
        col: 10,
        message: 'flag expired on 2026-11-01 (23 days ago)',
        hint: 'remove the flag and its code paths, or extend expires with a reason in the pull request',
        path: 'expires',
      },
    ],
  },
  {
    code: 'lifecycle/grant-expired',
    findings: [
      {
        file: 'flags/bulk-export.yaml',
        line: 16,
        col: 18,
        message: 'grant to "org_initech2210" in production expired on 2026-10-31',
        hint: 'remove the grant, or extend it with the agreement or ticket that justifies it',
        path: 'environments.production.grants.1.expires',
      },
    ],
  },
  {
    code: 'lifecycle/missing-review',
    findings: [
      {
        file: 'flags/read-only-mode.yaml',
        line: 5,
        col: 7,
        message: 'operational flags are long-lived and need a review date',
        hint: 'add reviewed: 2026-11-24 once the owner has confirmed the flag',
        path: 'type',
      },
    ],
  },
  {
    code: 'lifecycle/review-overdue',
    findings: [
      {
        file: 'flags/advanced-analytics.yaml',
        line: 7,
        col: 11,
        message: 'review was due on 2026-07-14 (last reviewed 2026-01-15, every 180 days)',
        hint: 'have @acme/platform confirm the flag and set reviewed: 2026-11-24, or retire it',
        path: 'reviewed',
      },
    ],
  },
  {
    code: 'lifecycle/date-in-future',
    findings: [
      {
        file: 'flags/read-only-mode.yaml',
        line: 6,
        col: 11,
        message: 'reviewed 2026-12-01 is after today (2026-11-24)',
        hint: 'set reviewed to 2026-11-24 or earlier',
        path: 'reviewed',
      },
    ],
  },
  {
    code: 'lifecycle/unreferenced',
    findings: [
      {
        file: 'flags/maintenance-banner.yaml',
        line: 2,
        col: 1,
        message:
          'no code reads maintenance-banner: searched app (1 file) for an SDK call or a string literal of the key and found none',
        hint: 'if the flag is no longer used, retire it (flags retire proposes archiving it); if code reads it by a name built at run time, call the SDK with the literal key',
        path: 'key',
      },
    ],
  },
  {
    code: 'lifecycle/archived-deleted',
    async setup(dir) {
      // main has the archived flag; the branch deletes its file.
      const repo = await initRepo(dir);
      await repo.commit('an archived flag on main');
      await repo.git.checkoutLocalBranch('feature');
      await repo.git.rm(['flags/invoice-preview.yaml']);
      await repo.commit('delete the archived flag');
      return {};
    },
    args: ['--changed-since', 'main'],
    findings: [
      {
        file: 'flags/invoice-preview.yaml',
        line: 1,
        col: 1,
        message:
          'flags/invoice-preview.yaml held the archived flag "invoice-preview" and is deleted by this change; archived flags stay as the record of their key',
        hint: 'restore it (git checkout main -- flags/invoice-preview.yaml); an archived flag is never deleted, and its key is never reused',
      },
    ],
  },
  {
    code: 'ownership/no-codeowners',
    findings: [
      {
        file: 'CODEOWNERS',
        line: 1,
        col: 1,
        message: 'no CODEOWNERS file: flag owners are not asked to review changes',
        hint: 'add CODEOWNERS, e.g. with flags codeowners --write',
      },
    ],
  },
  {
    code: 'ownership/unowned-file',
    findings: [
      {
        file: 'flags/legacy/old-search.yaml',
        line: 4,
        col: 8,
        message: 'no CODEOWNERS rule assigns owners to flags/legacy/old-search.yaml',
        hint: 'add a line "flags/legacy/old-search.yaml @acme/platform" to CODEOWNERS, or run flags codeowners --write',
        path: 'owner',
      },
    ],
  },
  {
    code: 'ownership/owner-mismatch',
    findings: [
      {
        file: 'flags/search/search-boost.yaml',
        line: 4,
        col: 8,
        message:
          'owner @acme/search is not a code owner of flags/search/search-boost.yaml (CODEOWNERS:2 "/flags/search/" assigns @acme/search-infra)',
        hint: 'make @acme/search an owner in CODEOWNERS, or set owner to one of @acme/search-infra',
        path: 'owner',
      },
    ],
  },
  {
    code: 'ownership/codeowners-changed',
    async setup(dir) {
      // main has the fixture's CODEOWNERS; the branch adds a co-owner for one flag.
      const repo = await initRepo(dir);
      repo.write('flags/payments.yaml', flagYaml('payments'));
      await repo.commit('flags on main');
      await repo.git.checkoutLocalBranch('feature');
      repo.write(
        'CODEOWNERS',
        `${readFileSync(join(dir, 'CODEOWNERS'), 'utf8')}/flags/payments.yaml @acme/platform @mallory\n`,
      );
      await repo.commit('share payments');
      return {};
    },
    args: ['--changed-since', 'main'],
    findings: [
      {
        file: 'CODEOWNERS',
        line: 3,
        col: 1,
        message: 'this change edits CODEOWNERS and so decides who reviews 1 flag file: flags/payments.yaml',
        hint: "GitHub asks the base branch's code owners of CODEOWNERS to approve; they should check each new owner (flags diff lists them)",
      },
      {
        file: 'flags/payments.yaml',
        line: 1,
        col: 1,
        message:
          'code owners change from @acme/platform to @acme/platform @mallory with this change to CODEOWNERS (CODEOWNERS:3 "/flags/payments.yaml")',
        hint: "the base branch's code owners of CODEOWNERS approve this; the new owners review this flag from then on",
      },
    ],
  },
  {
    code: 'codeowners/unsupported-syntax',
    findings: [
      {
        file: 'CODEOWNERS',
        line: 2,
        col: 8,
        message: 'a character range ([ ]) in pattern "/flags/[ab]*.yaml"; GitHub ignores this line',
        hint: 'rewrite the pattern without it; list the paths explicitly',
      },
    ],
  },
  {
    code: 'codeowners/invalid-owner',
    findings: [
      {
        file: 'CODEOWNERS',
        line: 2,
        col: 34,
        message: 'owner "acme/docs" is not @user, @org/team or an email address',
        hint: 'write owners as @user or @org/team',
      },
    ],
  },
  {
    code: 'yaml/syntax',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 8,
        col: 1,
        message: 'Flow sequence in block collection must be sufficiently indented and end with a ]',
        hint: 'fix the YAML syntax at this position',
      },
    ],
  },
  {
    code: 'yaml/duplicate-key',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 11,
        col: 5,
        message: 'duplicate key "enabled"',
        hint: 'remove or merge one of the two entries',
      },
    ],
  },
  {
    code: 'yaml/alias',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 8,
        col: 12,
        message: 'anchor &on',
        hint: 'remove the anchor',
      },
      {
        file: 'flags/search-boost.yaml',
        line: 11,
        col: 15,
        message: 'alias *on',
        hint: 'write the value out in full',
      },
    ],
  },
  {
    code: 'yaml/yaml11-boolean',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 9,
        col: 14,
        message: '"yes" is a string in YAML 1.2, not a boolean',
        hint: 'write true',
        path: 'environments.production.enabled',
      },
    ],
  },
  {
    code: 'yaml/forbidden-key',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 8,
        col: 3,
        message: 'key __proto__ is not allowed',
        hint: 'rename the key',
      },
    ],
  },
  {
    code: 'yaml/tag',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 6,
        col: 11,
        message: 'explicit tag !!timestamp',
        hint: 'remove the tag',
      },
    ],
  },
  {
    code: 'yaml/multi-document',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 10,
        col: 1,
        message: 'the file holds 2 YAML documents',
        hint: 'keep one flag per file; remove the --- separator',
      },
    ],
  },
  {
    code: 'yaml/missing-modeline',
    findings: [
      {
        file: 'flags/search-boost.yaml',
        line: 1,
        col: 1,
        message: 'the file does not start with a yaml-language-server schema modeline',
        hint: 'start the file with: # yaml-language-server: $schema=../schemas/flag.schema.json',
      },
    ],
  },
  {
    code: 'file/too-large',
    findings: [
      {
        file: 'flags/country-rules.yaml',
        line: 1,
        col: 1,
        message: 'file is 1485 bytes, over the cap of 1024',
        hint: 'split the flag or raise limits.maxFileBytes in the policy',
      },
    ],
  },
  {
    code: 'file/not-utf8',
    setup(dir) {
      const before = `${flagYaml('cafe-menu').split('\n').slice(0, 2).join('\n')}\ndescription: Caf`;
      const after = ' menu in the office app.\nowner: "@acme/platform"\ntype: operational\n';
      const rest = 'reviewed: 2026-10-01\nenvironments:\n  production:\n    enabled: true\n';
      const bytes = Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from(after + rest)]);
      writeFileSync(join(dir, 'flags', 'cafe-menu.yaml'), bytes);
      return {};
    },
    findings: [
      {
        file: 'flags/cafe-menu.yaml',
        line: 3,
        col: 17,
        message: 'byte 0xe9 at offset 91 is not UTF-8',
        hint: 'save the file as UTF-8',
      },
    ],
  },
  {
    code: 'file/symlink',
    setup(dir) {
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs', 'shared-limits.yaml'), flagYaml('shared-limits'));
      symlinkSync('../docs/shared-limits.yaml', join(dir, 'flags', 'shared-limits.yaml'));
      return {};
    },
    findings: [
      {
        file: 'flags/shared-limits.yaml',
        line: 1,
        col: 1,
        message:
          'symbolic link to ../docs/shared-limits.yaml (docs/shared-limits.yaml in the repository); refused: a change to its target would change what is read here without a change to flags/shared-limits.yaml',
        hint: 'replace the link with the file itself (a linked folder with the folder and its files)',
      },
    ],
  },
  {
    code: 'file/control-character',
    setup(dir) {
      const text = flagYaml('banner-text').replace('A flag made by a test.', '"Sale\u0000 today"');
      writeFileSync(join(dir, 'flags', 'banner-text.yaml'), text);
      return {};
    },
    findings: [
      {
        file: 'flags/banner-text.yaml',
        line: 3,
        col: 19,
        message: 'character U+0000 (NUL) is not allowed here: only printable characters, tab and line breaks',
        hint: 'delete the character: it cannot be seen in review',
      },
    ],
  },
  {
    code: 'file/unreadable',
    setup(dir) {
      // A name that is not UTF-8: Node lists it with U+FFFD in place of the byte, a name that opens nothing.
      writeFileSync(Buffer.from(`${join(dir, 'flags', 'caf')}\xe9.yaml`, 'latin1'), flagYaml('cafe'));
      return {};
    },
    findings: [
      {
        file: 'flags/caf\ufffd.yaml',
        line: 1,
        col: 1,
        message: 'cannot read the file: ENOENT',
        hint: 'check the file permissions',
      },
    ],
  },
  {
    code: 'file/wrong-extension',
    findings: [
      {
        file: 'flags/dark-mode.yml',
        line: 1,
        col: 1,
        message: 'flag files end in .yaml',
        hint: 'rename to dark-mode.yaml',
      },
    ],
  },
  {
    code: 'policy/invalid-pattern',
    findings: [
      {
        file: 'flags/_policy.yaml',
        line: 3,
        col: 14,
        message:
          'organizations.idPattern is not a valid regular expression: /^org_[a-z0-9{8,24}$/: Unterminated character class',
        hint: 'fix the pattern (JavaScript regular expression syntax)',
        path: 'organizations.idPattern',
      },
    ],
  },
  {
    code: 'policy/claim-budget',
    findings: [
      {
        file: 'flags/audit-log-export.yaml',
        line: 13,
        col: 14,
        message:
          'the feature_flags claim of org_globex7731 in production is 67 bytes (4 flags), over the budget of 64',
        hint: 'see it with flags claims --org org_globex7731 --env production; retire flags it no longer needs, or raise limits.maxClaimBytes',
        path: 'environments.production.grants.0.org',
      },
    ],
  },
  {
    code: 'stale/past-lifetime',
    async setup(dir) {
      // First committed on 2026-09-01: 84 days before the day of judgement, over the policy's 40.
      const repo = await initRepo(dir);
      await repo.git.add(['-A']);
      await repo.git.commit('add new-search', { '--date': '2026-09-01T09:00:00Z' });
      return {};
    },
    findings: [
      {
        file: 'flags/new-search.yaml',
        line: 2,
        col: 6,
        message:
          'release flag new-search is 84 days old (first committed 2026-09-01); release flags are expected to live 40 days',
        hint: 'finish it: flags retire proposes deprecating or archiving it with its evidence; or raise stale.lifetimeDays.release in the policy',
        path: 'key',
      },
    ],
  },
  {
    code: 'stale/unevaluated',
    args: ['--usage', 'usage.csv'],
    findings: [
      {
        file: 'flags/invoice-preview.yaml',
        line: 2,
        col: 6,
        message:
          'flag invoice-preview is not evaluated: last seen 2026-09-01 (84 days ago) in usage.csv; flags unevaluated for 30 days are stale',
        hint: 'remove its code references and archive it (archived: true; flags retire proposes it), or find out why nothing asks for it',
        path: 'key',
      },
    ],
  },
  {
    code: 'contracts/unknown-flag',
    findings: [
      {
        file: 'flags/_policy.yaml',
        line: 6,
        col: 7,
        message: 'plan PLAN-ENTERPRISE includes "sso-saml-v2", which no flag file declares',
        hint: 'correct the key, or add the flag first',
        path: 'plans.PLAN-ENTERPRISE.flags.sso-saml-v2',
      },
    ],
  },
  {
    code: 'contracts/invalid-variant',
    findings: [
      {
        file: 'flags/_policy.yaml',
        line: 5,
        col: 17,
        message: 'plan PLAN-ENTERPRISE gives the boolean flag sso-saml the variant "gold"',
        hint: 'write sso-saml: true',
        path: 'plans.PLAN-ENTERPRISE.flags.sso-saml',
      },
    ],
  },
  {
    code: 'contracts/empty-plan',
    findings: [
      {
        file: 'flags/_policy.yaml',
        line: 7,
        col: 5,
        message: 'plan PLAN-STARTER grants no flag',
        hint: 'list the flags the plan includes, or remove the plan',
        path: 'plans.PLAN-STARTER.flags',
      },
    ],
  },
  {
    code: 'contracts/unsold-entitlement',
    findings: [
      {
        file: 'flags/_policy.yaml',
        line: 2,
        col: 1,
        message: 'entitlement audit-log-export (flags/audit-log-export.yaml) is sold under no plan',
        hint: 'add audit-log-export to the plan that sells it (its contract is SKU-AUDIT-EXPORT)',
        path: 'plans',
      },
    ],
  },
  {
    code: 'contracts/unknown-plan',
    findings: [
      {
        file: 'flags/_organizations/org_globex7731.yaml',
        line: 6,
        col: 11,
        message: 'plan "PLAN-ENTERPRISE-PLUS" is not declared in the policy',
        hint: 'use one of PLAN-ENTERPRISE',
        path: 'subscriptions.1.plan',
      },
    ],
  },
  {
    code: 'contracts/grant-conflict',
    findings: [
      {
        file: 'flags/_organizations/org_globex7731.yaml',
        line: 4,
        col: 11,
        message:
          'PLAN-ENTERPRISE grants sso-saml to org_globex7731 in production, which flags/sso-saml.yaml grants already (environments.production.grants.0)',
        hint: 'keep one: remove the grant from flags/sso-saml.yaml, or the plan from this file',
        path: 'subscriptions.0.plan',
      },
    ],
  },
  {
    code: 'contracts/file-name',
    findings: [
      {
        file: 'flags/_organizations/org_globex7731.yaml',
        line: 2,
        col: 15,
        message: 'organization "org_initech2210" is in flags/_organizations/org_globex7731.yaml',
        hint: 'rename the file to org_initech2210.yaml',
        path: 'organization',
      },
    ],
  },
];

describe('every finding code has a fixture that triggers it', () => {
  it.each(ALL_CODES)('%s has a fixture folder under test/fixtures/check/', (code) => {
    const folder = join(FIXTURES, 'check', fixtureFolder(code));
    expect(existsSync(folder), `missing fixture folder test/fixtures/check/${fixtureFolder(code)}/`).toBe(
      true,
    );
  });

  it('has a case below for every code, and for no code twice', () => {
    const covered = CASES.map((c) => c.code);
    expect(new Set(covered).size).toBe(covered.length);
    expect([...covered].sort()).toEqual([...ALL_CODES].sort());
  });

  it('documents every code in docs/findings.md, with its severity', () => {
    const doc = readFileSync(join(TOOLKIT_ROOT, 'docs', 'findings.md'), 'utf8');
    for (const code of ALL_CODES) {
      expect(doc, `docs/findings.md needs a section for ${code}`).toContain(
        `### \`${code}\`\n**${CODES[code].severity}.**`,
      );
    }
  });

  it('keeps no fixture folder that no code asks for (hazards/ holds the hazard cases)', () => {
    const folders = readdirSync(join(FIXTURES, 'check'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'hazards')
      .map((e) => e.name);
    const wanted = new Set(ALL_CODES.map(fixtureFolder));
    expect(folders.filter((f) => !wanted.has(f))).toEqual([]);
  });
});

describe('flags check reports each finding code with its message and position', () => {
  it.each(CASES.map((c) => [c.code, c] as const))('%s', async (code, c) => {
    let dir = fixture(fixtureFolder(code));
    let message: string | undefined;
    if (c.setup) {
      dir = copyOfFixture(fixtureFolder(code));
      mkdirSync(join(dir, 'flags'), { recursive: true });
      message = (await c.setup(dir)).message;
    }
    const { code: exit, report } = await checkJson(dir, c.args);
    const expected = c.findings.map((f) => ({
      code: f.code ?? code,
      severity: CODES[f.code ?? code].severity,
      file: f.file,
      line: f.line,
      col: f.col,
      message: message ?? f.message,
      hint: f.hint,
      ...(f.path === undefined ? {} : { path: f.path }),
    }));
    expect(report.findings).toEqual(expected);
    expect(exit).toBe(CODES[code].severity === 'error' ? 1 : 0);
  });
});
