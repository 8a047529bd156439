import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkJson, copyOfFixture } from './check-cli.js';

/**
 * flags/_policy.yaml is checked like a flag file, with positions in the policy; while it has errors,
 * the flags are checked against the default policy, so the check still says something useful.
 */

async function checkWithPolicy(policy: string) {
  // One sound operational flag; under the default policy its only finding is the missing review.
  const dir = copyOfFixture('lifecycle-missing-review');
  writeFileSync(join(dir, 'flags', '_policy.yaml'), policy);
  const { code, report } = await checkJson(dir);
  return {
    code,
    policy: report.findings
      .filter((f) => f.file === 'flags/_policy.yaml')
      .map((f) => `${f.line}:${f.col} ${f.code} ${f.message} | ${f.hint}`),
    flags: report.findings.filter((f) => f.file !== 'flags/_policy.yaml').map((f) => f.code),
  };
}

describe('the policy file', () => {
  it('means the defaults when it holds only comments, as when it is absent', async () => {
    const result = await checkWithPolicy(
      '# yaml-language-server: $schema=../schemas/policy.schema.json\n# defaults\n',
    );
    expect(result.policy).toEqual([]);
    expect(result.flags).toEqual(['lifecycle/missing-review']);
  });

  it('reports an unknown field with the nearest known one', async () => {
    const result = await checkWithPolicy('enviroments: [prod]\n');
    expect(result.policy).toEqual([
      '1:1 schema/unknown-field unknown field "enviroments" | did you mean "environments"?',
    ]);
    expect(result.flags).toEqual(['lifecycle/missing-review']);
    expect(result.code).toBe(1);
  });

  it('reports an environment declared twice at its second mention', async () => {
    const result = await checkWithPolicy('environments: [staging, production, staging]\n');
    expect(result.policy).toEqual([
      '1:37 schema/invalid-value environment "staging" is declared twice | remove the duplicate',
    ]);
  });

  it('reports a YAML 1.1 boolean where the policy means a boolean', async () => {
    const result = await checkWithPolicy('types:\n  entitlement: { requiresAgreement: yes }\n');
    expect(result.policy).toEqual([
      '2:37 yaml/yaml11-boolean "yes" is a string in YAML 1.2, not a boolean | write true',
    ]);
  });

  it('reports a limit below its minimum', async () => {
    const result = await checkWithPolicy('limits:\n  maxFileBytes: 10\n');
    expect(result.policy).toEqual([
      '2:17 schema/invalid-value "limits.maxFileBytes" must be >= 1024 | see schemas/policy.schema.json for what is allowed',
    ]);
  });

  it('checks the flags against the policy when the policy is sound', async () => {
    const result = await checkWithPolicy(
      'types:\n  operational: { reviewEveryDays: 365 }\nenvironments: [staging]\n',
    );
    expect(result.policy).toEqual([]);
    expect(result.flags).toEqual(['lifecycle/missing-review', 'model/unknown-environment']);
  });
});
