// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ }} are GitHub expressions in workflow text
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { adopterWorkflows, INSTALLED_ACTION } from '../../scripts/core/scaffold/workflows.js';
import { tempDir } from '../helpers/gitdir.js';
import { parseWorkflow, readRepoFile, steps, TOOLKIT_ROOT } from './support.js';

interface Action {
  runs: {
    using: string;
    steps: {
      name: string;
      id?: string;
      if?: string;
      shell: string;
      run: string;
      env?: Record<string, string>;
    }[];
  };
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
}

const action = parse(readRepoFile('action.yml')) as Action;
const step = (name: string) => action.runs.steps.find((s) => s.name === name)!;
const run = step('flags ${{ inputs.command }}');
const COMMANDS = /case "\$COMMAND" in\n\s+([a-z|]+)\)/.exec(step('inputs').run)![1]!.split('|');

/** Runs a step's script as the runner would: bash, the step's environment resolved by hand. */
function runStep(script: string, env: Record<string, string>, cwd = TOOLKIT_ROOT) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('FLAGS_') && !k.startsWith('GITHUB_')),
  );
  return spawnSync('bash', ['-e', '-c', script], { cwd, env: { ...clean, ...env }, encoding: 'utf8' });
}

describe('the action', () => {
  it('is a composite action whose steps run in bash', () => {
    expect(action.runs.using).toBe('composite');
    for (const s of action.runs.steps) expect(s.shell).toBe('bash');
    expect(action.inputs.command!.required).toBe(true);
  });

  it('runs the flags of the calling repository, installed from its lockfile', () => {
    expect(step('npm ci').run).toContain('npm ci --no-audit --no-fund');
    expect(run.run).toContain('npx --no-install flags "$COMMAND" "$@"');
  });

  it('gives npm ci no secret, and each secret only to its command', () => {
    expect(Object.values(step('npm ci').env ?? {}).join(' ')).not.toMatch(/signing-key|token/);
    expect(run.env).toMatchObject({
      FLAGS_SIGNING_KEY: "${{ inputs.command == 'build' && inputs.signing-key || '' }}",
      GITHUB_TOKEN:
        "${{ (inputs.command == 'retire' || inputs.command == 'reconcile') && inputs.token || '' }}",
    });
  });

  it('takes every input and command the workflows give it', () => {
    const workflows = [
      ...adopterWorkflows({ action: INSTALLED_ACTION }).map((w) => w.text),
      ...['pr.yml', 'publish.yml', 'retire.yml', 'reconcile.yml'].map((f) =>
        readRepoFile(`.github/workflows/${f}`),
      ),
    ];
    let uses = 0;
    for (const text of workflows)
      for (const s of steps(parseWorkflow(text)).filter(
        (s) => s.uses === './' || s.uses === INSTALLED_ACTION,
      )) {
        uses++;
        for (const input of Object.keys(s.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
        expect(COMMANDS).toContain(s.with?.command);
      }
    expect(uses).toBeGreaterThan(10);
    expect(existsSync(join(TOOLKIT_ROOT, 'action.yml'))).toBe(true);
  });

  it('refuses an unknown command, and a secret given to a command that does not need it', () => {
    const inputs = step('inputs').run;
    const unknown = runStep(inputs, { COMMAND: 'rm', INSTALL: 'auto', HAS_KEY: 'false', HAS_TOKEN: 'false' });
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toContain('::error title=flags-as-code::command "rm" is not one of');
    const key = runStep(inputs, { COMMAND: 'check', INSTALL: 'auto', HAS_KEY: 'true', HAS_TOKEN: 'false' });
    expect(key.stdout).toContain('signing-key is for command build only');
    const token = runStep(inputs, { COMMAND: 'build', INSTALL: 'auto', HAS_KEY: 'true', HAS_TOKEN: 'true' });
    expect(token.stdout).toContain('token is for commands retire and reconcile only');
    const fine = runStep(inputs, {
      COMMAND: 'retire',
      INSTALL: 'false',
      HAS_KEY: 'false',
      HAS_TOKEN: 'true',
    });
    expect(fine.status).toBe(0);
  });

  it('sets the environments output for a build matrix from the policy', () => {
    const output = join(tempDir(), 'output');
    writeFileSync(output, '');
    const repo = join(TOOLKIT_ROOT, 'test/fixtures/init/existing-repository');
    const result = runStep(run.run, {
      COMMAND: 'environments',
      ARGS: `--repo ${repo}`,
      FLAGS_SIGNING_KEY: '',
      GITHUB_TOKEN: '',
      GITHUB_OUTPUT: output,
    });
    expect(result.stderr).toBe('');
    expect(readFileSync(output, 'utf8')).toBe('environments=["development","staging","production"]\n');
  });

  it('passes the arguments as words: no globbing, no command substitution', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a'), '');
    writeFileSync(join(dir, 'b'), '');
    const result = runStep(run.run, {
      COMMAND: 'environments',
      ARGS: `--repo ${dir}/$(touch\${IFS}${dir}/pwned) ${dir}/*`,
      FLAGS_SIGNING_KEY: '',
      GITHUB_TOKEN: '',
      GITHUB_OUTPUT: join(dir, 'out'),
    });
    expect(result.status).toBe(2);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    // One word for the glob (two files would match it), none made by the substitution.
    expect(result.stderr).toContain('too many arguments');
    expect(result.stderr).toContain('got 1');
  });
});
