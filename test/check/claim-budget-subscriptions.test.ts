import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * The claim budget counts the grants subscription files give through plans exactly as it counts the
 * grants flag files write out: a claim is what the bundle answers, and the bundle has them all.
 * org_globex7731 holds sso-saml by a flag-file grant (["sso-saml"]: 12 bytes, within 20) and
 * audit-log-export by its subscription to SKU-AUDIT-EXPORT (["audit-log-export","sso-saml"]: 31).
 */

const POLICY = `limits:
  maxClaimBytes: 20
plans:
  PLAN-ENTERPRISE:
    flags: { sso-saml: true }
  SKU-AUDIT-EXPORT:
    flags: { audit-log-export: true }
`;

const flag = (key: string, contract: string, grants = '') => `key: ${key}
description: ${key} for customers who bought it.
owner: "@acme/platform"
type: entitlement
contract: ${contract}
reviewed: 2026-10-01
environments:
  production:
    enabled: true
    default: false
${grants}`;

const GRANT = `    grants:
      - org: org_globex7731
        agreement: MSA-2024-0117
`;

function repo(files: Record<string, string>): string {
  const root = tempDir();
  for (const [file, text] of Object.entries({
    CODEOWNERS: '/flags/ @acme/platform\n',
    'flags/_policy.yaml': POLICY,
    'flags/sso-saml.yaml': flag('sso-saml', 'PLAN-ENTERPRISE', GRANT),
    ...files,
  })) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

async function budgetFindings(root: string) {
  const result = await runCli(['check', '--repo', root, '--today', '2026-11-24', '--no-cache', '--json']);
  const { findings } = JSON.parse(result.stdout) as {
    findings: { code: string; file: string; line: number; message: string }[];
  };
  return { code: result.code, budget: findings.filter((f) => f.code === 'policy/claim-budget') };
}

describe('the claim budget with subscription files', () => {
  it('refuses a subscription that tips an organization over, at its subscription file', async () => {
    const root = repo({
      'flags/audit-log-export.yaml': flag('audit-log-export', 'SKU-AUDIT-EXPORT'),
      'flags/_organizations/org_globex7731.yaml': `organization: org_globex7731
subscriptions:
  - plan: SKU-AUDIT-EXPORT
    agreements: [ORD-2026-0412]
`,
    });
    const { code, budget } = await budgetFindings(root);
    expect(code).toBe(1);
    expect(budget).toEqual([
      expect.objectContaining({
        file: 'flags/_organizations/org_globex7731.yaml',
        line: 1,
        message: expect.stringContaining(
          'the feature_flags claim of org_globex7731 in production is 31 bytes (2 flags',
        ),
      }),
    ]);
  });

  it('answers as the same grant written out in the flag file does, once', async () => {
    const root = repo({
      'flags/audit-log-export.yaml': flag(
        'audit-log-export',
        'SKU-AUDIT-EXPORT',
        GRANT.replace('MSA-2024-0117', 'ORD-2026-0412'),
      ),
    });
    const { code, budget } = await budgetFindings(root);
    expect(code).toBe(1);
    expect(budget).toHaveLength(1);
    expect(budget[0]!.message).toContain(
      'the feature_flags claim of org_globex7731 in production is 31 bytes (2 flags)',
    );
  });

  it('leaves an organization within the budget alone', async () => {
    const root = repo({
      'flags/audit-log-export.yaml': flag('audit-log-export', 'SKU-AUDIT-EXPORT'),
      'flags/_organizations/org_globex7731.yaml': `organization: org_globex7731
subscriptions: []
`,
    });
    const { budget } = await budgetFindings(root);
    expect(budget).toEqual([]);
  });
});
