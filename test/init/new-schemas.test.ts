import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitdir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

const NEW = [
  'new',
  'welcome-banner',
  '--type',
  'release',
  '--description',
  'Shows the banner',
  '--owner',
  '@globex/growth',
];

describe('flags new in a repository without schemas', () => {
  it('writes the schemas its modeline points at, and says so', async () => {
    const repo = await gitdir();
    repo.write('flags/_policy.yaml', 'environments: [dev, prod]\n');
    const result = await runCli([...NEW, '--today', '2026-12-01'], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      'wrote schemas/flag.schema.json, schemas/organization.schema.json and schemas/policy.schema.json',
    );
    expect(readFileSync(join(repo.dir, 'flags/welcome-banner.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/schemas\/flag\.schema\.json\n/,
    );
    expect((await runCli(['schemas', '--check'], { cwd: repo.dir })).code).toBe(0);
  });

  it('leaves existing schemas alone', async () => {
    const repo = await gitdir();
    repo.write('flags/_policy.yaml', 'environments: [dev, prod]\n');
    repo.write('schemas/flag.schema.json', '{}\n');
    repo.write('schemas/organization.schema.json', '{}\n');
    repo.write('schemas/policy.schema.json', '{}\n');
    const result = await runCli([...NEW, '--today', '2026-12-01'], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('wrote schemas');
    expect(readFileSync(join(repo.dir, 'schemas/flag.schema.json'), 'utf8')).toBe('{}\n');
  });
});
