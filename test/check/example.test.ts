import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('the example repository', () => {
  it('passes flags check on the day it was written', async () => {
    const result = await runCli(['check', '--today', '2026-11-24', '--no-cache']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.stdout).toContain('no problems (16 flags checked');
    expect(result.code).toBe(0);
  });

  it('fails once its rollouts expire, with positions in the JSON report', async () => {
    const result = await runCli(['check', '--today', '2027-06-01', '--no-cache', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      findings: { code: string; file: string; line: number; col: number }[];
    };
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        code: 'lifecycle/expired',
        file: 'flags/new-checkout-flow.yaml',
        line: 7,
        col: 10,
      }),
    );
  });
});
