import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';

const text = readFileSync(join(REPO_ROOT, '.github', 'workflows', 'retire.yml'), 'utf8');
const workflow = parse(text) as {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<
    string,
    { permissions?: unknown; steps: { uses?: string; run?: string; env?: Record<string, string> }[] }
  >;
};

describe('the retirement workflow', () => {
  it('runs daily and on demand', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(workflow.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
  });

  it('asks for contents: write and pull-requests: write, and nothing else', () => {
    expect(workflow.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    for (const job of Object.values(workflow.jobs)) expect(job.permissions).toBeUndefined();
  });

  it('pins every action to a full commit SHA, with its tag in a comment', () => {
    const uses = text.split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('runs flags retire with a token that can trigger pull-request checks when one is configured', () => {
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const retire = steps.find((s) => s.run?.includes('flags retire'))!;
    expect(retire.env?.GITHUB_TOKEN).toContain(
      'steps.app.outputs.token || secrets.FLAGS_BOT_TOKEN || github.token',
    );
    expect(steps.some((s) => s.uses?.startsWith('actions/create-github-app-token@'))).toBe(true);
  });
});
