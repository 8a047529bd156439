import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { analyzePolicy } from '../../scripts/core/check/analyze-policy.js';
import { policyFor, policyText, projectNameFrom } from '../../scripts/core/scaffold/policy-template.js';

const read = (text: string) => analyzePolicy('flags/_policy.yaml', new TextEncoder().encode(text));

describe('the policy flags init writes', () => {
  it.each([
    ['a pattern with YAML syntax in it', '^a: #b "c" [d] {e} & *f !g |h >i %j @k `l$'],
    ['a pattern with a backslash and a quote', String.raw`^org_\d{4}'\"$`],
    ['a pattern with non-ASCII letters', '^kunde-[äöü0-9]+$'],
  ])('reads back as exactly the policy it was made from, with %s', (_case, pattern) => {
    const choices = {
      project: 'globex',
      environments: ['dev', 'prod'],
      orgPattern: pattern,
      contractPattern: pattern,
    };
    const text = policyText(choices);
    const analysis = read(text);
    expect(analysis.findings).toEqual([]);
    expect(analysis.policy).toEqual(policyFor(choices));
    expect(analysis.policy.organizations.idPattern).toBe(pattern);
    expect(parse(text).agreements.contractPattern).toBe(pattern);
  });

  it('spells out every setting, defaults included', () => {
    const policy = parse(policyText({ project: 'globex', environments: ['dev'] }));
    expect(Object.keys(policy)).toEqual([
      'project',
      'environments',
      'organizations',
      'agreements',
      'types',
      'limits',
      'bundles',
      'stale',
      'retire',
      'refs',
    ]);
  });

  it.each([
    ['globex-flags', 'globex-flags'],
    ['Globex Flags', 'globex-flags'],
    ['--.Flags__', 'flags'],
    ['日本', 'flags'],
    ['a'.repeat(80), 'a'.repeat(64)],
  ])('takes the project name %j from the folder name as %j', (folder, name) => {
    expect(projectNameFrom(folder)).toBe(name);
    expect(read(policyText({ project: projectNameFrom(folder), environments: ['dev'] })).findings).toEqual(
      [],
    );
  });
});
