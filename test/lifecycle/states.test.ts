import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setState } from '../../scripts/core/edit/state.js';
import { gitdir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * A flag's life in a real repository (docs/lifecycle.md): live, deprecated (still served, marked in
 * the bundle), archived (kept in git, served nowhere, owing no dates), and its key never reused.
 */

const NOW = '2026-11-24T12:00:00Z';
const TODAY = '2026-11-24';

const FLAG = `# yaml-language-server: $schema=../schemas/flag.schema.json
key: welcome-tour
description: The guided tour for new organizations.
owner: "@acme/platform"
type: release
expires: 2026-12-31
environments:
  production:
    enabled: true
    # Ramp finished.
    rollout: { percentage: 100 }
  staging:
    enabled: true
    default: true
`;

const OTHER = FLAG.replace(/welcome-tour/g, 'billing-alerts').replace('type: release', 'type: experiment');

function contentOf(dir: string, environment: string) {
  const bundle = JSON.parse(readFileSync(join(dir, 'dist', `${environment}.bundle.json`), 'utf8'));
  return JSON.parse(Buffer.from(bundle.content, 'base64').toString('utf8'));
}

async function build(dir: string) {
  const result = await runCli(['build', '--now', NOW, '--no-cache'], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return { production: contentOf(dir, 'production'), staging: contentOf(dir, 'staging') };
}

async function check(dir: string, today = TODAY) {
  const result = await runCli(['check', '--json', '--no-cache', '--today', today], { cwd: dir });
  return {
    code: result.code,
    findings: JSON.parse(result.stdout).findings as {
      code: string;
      file: string;
      message: string;
      hint: string;
    }[],
  };
}

describe('a flag deprecated, then archived, and its key never reused', () => {
  it('marks a deprecated flag in every bundle, leaves an archived one out, and refuses a new flag with its key', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('.gitignore', 'dist/\n');
    repo.write('flags/welcome-tour.yaml', FLAG);
    repo.write('flags/billing-alerts.yaml', OTHER);
    await repo.commit('Two flags');
    const live = await build(repo.dir);
    expect(live.production.flags['welcome-tour']).toBeDefined();
    expect(live.production.flags['welcome-tour'].deprecated).toBeUndefined();

    repo.write('flags/welcome-tour.yaml', setState(FLAG, 'deprecated'));
    await repo.commit('Deprecate welcome-tour');
    expect((await check(repo.dir)).code).toBe(0);
    const deprecated = await build(repo.dir);
    for (const content of [deprecated.production, deprecated.staging]) {
      expect(content.flags['welcome-tour'].deprecated).toBe(true);
      expect(content.flags['billing-alerts'].deprecated).toBeUndefined();
    }

    repo.write('flags/welcome-tour.yaml', setState(setState(FLAG, 'deprecated'), 'archived'));
    await repo.commit('Archive welcome-tour');
    // Long past its expiry, the archived flag owes nothing; the live one with the same date does.
    const late = await check(repo.dir, '2027-06-01');
    expect(late.findings.filter((f) => f.file === 'flags/welcome-tour.yaml')).toEqual([]);
    expect(late.findings.map((f) => [f.code, f.file])).toContainEqual([
      'lifecycle/expired',
      'flags/billing-alerts.yaml',
    ]);
    const archived = await build(repo.dir);
    expect(Object.keys(archived.production.flags)).toEqual(['billing-alerts']);
    expect(Object.keys(archived.staging.flags)).toEqual(['billing-alerts']);
    const flagd = await runCli(['build', '--now', NOW, '--no-cache', '--format', 'flagd', '--out', 'flagd'], {
      cwd: repo.dir,
    });
    expect(flagd.code, flagd.stderr).toBe(0);
    const document = JSON.parse(readFileSync(join(repo.dir, 'flagd', 'production.flagd.json'), 'utf8'));
    expect(Object.keys(document.flags)).toEqual(['billing-alerts']);

    repo.write('flags/growth/welcome-tour.yaml', FLAG.replace('../schemas', '../../schemas'));
    const reused = await check(repo.dir);
    expect(reused.code).toBe(1);
    expect(reused.findings.map((f) => [f.code, f.file, f.message])).toEqual([
      [
        'model/archived-key-reused',
        'flags/growth/welcome-tour.yaml',
        'key "welcome-tour" belongs to the archived flag in flags/welcome-tour.yaml; an archived key is never used again',
      ],
    ]);
  });

  it('finds a reused archived key in an incremental check too (the snapshot keeps which flags are archived)', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('flags/welcome-tour.yaml', setState(FLAG, 'archived'));
    repo.write('flags/billing-alerts.yaml', OTHER);
    await repo.commit('flags');
    const env = { FLAGS_CACHE_DIR: join(repo.dir, '.cache') };
    const first = await runCli(['check', '--json', '--today', TODAY], { cwd: repo.dir, env });
    expect(first.code, first.stdout).toBe(0);
    repo.write('flags/growth/welcome-tour.yaml', FLAG.replace('../schemas', '../../schemas'));
    const second = await runCli(['check', '--json', '--today', TODAY], { cwd: repo.dir, env });
    expect(second.code).toBe(1);
    const report = JSON.parse(second.stdout) as { summary: { cached: number }; findings: { code: string }[] };
    expect(report.summary.cached).toBeGreaterThan(0);
    expect(report.findings.map((f) => f.code)).toEqual(['model/archived-key-reused']);
  });
});
