import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const text = readFileSync(new URL('../../.github/workflows/publish.yml', import.meta.url), 'utf8');
const workflow = YAML.parse(text) as {
  on: Record<string, unknown>;
  permissions: unknown;
  jobs: Record<
    string,
    {
      permissions?: Record<string, string>;
      needs?: string | string[];
      outputs?: Record<string, string>;
      strategy?: { matrix?: Record<string, unknown> };
      steps: { id?: string; uses?: string; run?: string; env?: Record<string, string> }[];
    }
  >;
};

describe('the publish workflow', () => {
  it('runs on push to main', () => {
    expect(workflow.on.push).toEqual({ branches: ['main'] });
  });

  it('grants nothing by default, contents: read to check and build, contents: write only to publish', () => {
    expect(workflow.permissions).toEqual({});
    expect(workflow.jobs.check!.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.publish!.permissions).toEqual({ contents: 'write' });
  });

  it('checks, then builds and signs with the key from secrets, then publishes', () => {
    expect(workflow.jobs.build!.needs).toBe('check');
    expect(workflow.jobs.publish!.needs).toBe('build');
    const build = workflow.jobs.build!.steps.find((s) => s.run?.includes('flags build'))!;
    expect(build.run).toContain('--require-signing-key');
    expect(build.env?.FLAGS_SIGNING_KEY).toMatch(/^\$\{\{ secrets\.FLAGS_SIGNING_KEY \}\}$/);
    expect(workflow.jobs.build!.steps.some((s) => s.run?.includes('flags verify'))).toBe(true);
    expect(text.match(/secrets\./g)).toHaveLength(1);
  });

  it('builds every environment of the policy, as flags environments lists them', () => {
    const check = workflow.jobs.check!;
    const step = check.steps.find((s) => s.run?.includes('flags environments --json'))!;
    expect(step.id).toBe('environments');
    expect(check.outputs?.environments).toMatch(/^\$\{\{ steps\.environments\.outputs\.list \}\}$/);
    expect(workflow.jobs.build!.strategy?.matrix?.environment).toMatch(
      /^\$\{\{ fromJSON\(needs\.check\.outputs\.environments\) \}\}$/,
    );
    // No environment is named anywhere else: the policy is the one list.
    expect(text).not.toMatch(/production\.bundle|\[development, staging, production\]/);
  });

  it('pins every action to a full commit SHA, with the tag in a comment', () => {
    const uses = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.flatMap((s) => (s.uses ? [s.uses] : [])),
    );
    expect(uses.length).toBeGreaterThan(4);
    for (const use of uses) expect(use).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    for (const line of text.split('\n').filter((l) => l.includes('uses:')))
      expect(line).toMatch(/# v\d+\.\d+\.\d+$/);
  });
});
