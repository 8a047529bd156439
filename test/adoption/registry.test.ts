import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { type Packed, packAll } from '../../scripts/packages/pack.js';
import { RUNTIME_PACKAGE } from '../../scripts/packages/runtime.js';
import { runAs, said } from './adopter.js';
import { type Registry, startRegistry } from './registry.js';

/**
 * The path of a team that adopts the toolkit, through a real registry: both packages packed by
 * `npm run pack`'s code and published with `npm publish` to Verdaccio, then installed from it into
 * temp folders outside this checkout: a flags repository for a company that is not the example, and
 * an application that installs only the runtime.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = join(ROOT, 'test', 'fixtures', 'adoption', 'app');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const VERSION: string = manifest.version;
const TODAY = '2031-03-03';
const NOW = `${TODAY}T09:00:00Z`;

let work: string;
let registry: Registry;
let npm: { npmrc: string; cache: string };
let packed: Packed[];
let repo: string;
let keys: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'flags-adoption-'));
  registry = await startRegistry(join(work, 'registry'));
  npm = { npmrc: registry.npmrc, cache: join(work, 'npm-cache') };
  packed = await packAll(ROOT);
  for (const { tarball } of packed) {
    const published = runAs(npm, work, 'npm', ['publish', tarball, '--registry', registry.url]);
    expect(published.status, said(published)).toBe(0);
  }
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `flags <args>` of the toolkit installed in the flags repository. */
const flags = (args: readonly string[], env: Record<string, string> = {}) =>
  runAs(npm, repo, join(repo, 'node_modules', '.bin', 'flags'), args, env);
const git = (...args: string[]) =>
  runAs(npm, repo, 'git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@northwind.test', ...args]);

function ok(ran: ReturnType<typeof runAs>) {
  expect(ran.status, said(ran)).toBe(0);
  return ran;
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

describe('adopting the toolkit from a registry', { timeout: 300_000 }, () => {
  it('publishes both packages at the repository version, neither with dependencies', () => {
    expect(packed.map((p) => p.name)).toEqual(['flags-as-code', RUNTIME_PACKAGE]);
    for (const name of ['flags-as-code', RUNTIME_PACKAGE]) {
      const view = ok(
        runAs(npm, work, 'npm', ['view', `${name}@${VERSION}`, '--json', '--registry', registry.url]),
      );
      const info = JSON.parse(view.stdout);
      expect(info.version).toBe(VERSION);
      expect(info.dependencies ?? {}).toEqual({});
    }
    const runtime = packed.find((p) => p.name === RUNTIME_PACKAGE)!;
    // ESM, CommonJS and types of the runtime's own modules (about 370 kB with polling, telemetry and
    // the claim-change feed); a bundled dependency or source maps would go far past this.
    expect(runtime.unpackedSize).toBeLessThanOrEqual(448 * 1024);
  });

  it('installs the toolkit alone into a new flags repository, without warnings, under 10 MB', () => {
    repo = join(work, 'northwind-flags');
    mkdirSync(repo);
    ok(git('init', '-q', '-b', 'main'));
    writeFileSync(
      join(repo, 'package.json'),
      `${JSON.stringify({ name: 'northwind-flags', private: true }, null, 2)}\n`,
    );
    const install = ok(
      runAs(npm, repo, 'npm', ['install', '-D', `flags-as-code@${VERSION}`, '--registry', registry.url]),
    );
    expect(install.stderr).not.toMatch(/EBADENGINE|deprecated/);
    expect(readdirSync(join(repo, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual([
      'flags-as-code',
    ]);
    expect(folderBytes(join(repo, 'node_modules'))).toBeLessThanOrEqual(10 * 1024 * 1024);
    const installed = join(repo, 'node_modules', 'flags-as-code');
    for (const file of ['THIRD-PARTY-LICENSES.txt', 'sbom.cdx.json', 'schemas/flag.schema.json'])
      expect(existsSync(join(installed, file)), file).toBe(true);
    expect(existsSync(join(installed, 'test'))).toBe(false);
    expect(ok(flags(['--version'])).stdout.trim()).toBe(VERSION);
  });

  it('makes a flags repository of its own with flags init, and checks its first flags', () => {
    const today = ['--today', TODAY];
    const init = [
      'init',
      '--environments',
      'dev,prod',
      '--project',
      'northwind-flags',
      '--owner',
      '@northwind/platform',
      '--org-pattern',
      '^cust-[0-9]{6}$',
      '--agreement-pattern',
      '^NW-[0-9]{5}$',
      '--contract-pattern',
      '^PLAN-[A-Z]+$',
      ...today,
    ];
    expect(ok(flags(init)).stdout).toContain('created      flags/_policy.yaml');
    expect(ok(flags(init)).stdout).toContain('nothing to change');
    // Its workflows run the installed toolkit through the action it ships.
    expect(readFileSync(join(repo, '.github', 'workflows', 'flags-pr.yml'), 'utf8')).toContain(
      'uses: ./node_modules/flags-as-code\n',
    );
    expect(existsSync(join(repo, 'node_modules', 'flags-as-code', 'action.yml'))).toBe(true);
    ok(
      flags([
        'new',
        'usage-export',
        '--type',
        'entitlement',
        '--owner',
        '@northwind/billing',
        '--contract',
        'PLAN-ENTERPRISE',
        '-d',
        'Usage export for enterprise customers',
        ...today,
      ]),
    );
    ok(
      flags([
        'new',
        'invoice-view',
        '--type',
        'release',
        '--owner',
        '@northwind/web',
        '-d',
        'New invoice view',
        ...today,
      ]),
    );
    grant('cust-000123', 'NW-00042');
    ok(flags(['check', ...today]));
    // A grant for an organization outside the company's own pattern is caught.
    const foreign = readFileSync(join(repo, 'flags', 'usage-export.yaml'), 'utf8');
    grant('org_globex7731', 'NW-00043');
    expect(flags(['check', ...today]).status).toBe(1);
    writeFileSync(join(repo, 'flags', 'usage-export.yaml'), foreign);
    ok(git('add', '-A'));
    ok(git('commit', '-qm', 'Northwind flags'));
  });

  it('signs bundles with keys of its own, verifies them, and diffs two commits', () => {
    keys = join(work, 'keys');
    mkdirSync(keys);
    for (const env of ['dev', 'prod']) ok(flags(['keygen', '--out', join(keys, `${env}.pem`)]));
    ok(
      flags([
        'keyset',
        'init',
        '--key',
        `${join(keys, 'dev.pem')}=dev`,
        '--key',
        `${join(keys, 'prod.pem')}=prod`,
        '--now',
        NOW,
      ]),
    );
    ok(git('add', '-A'));
    ok(git('commit', '-qm', 'Signing keys'));
    grant('cust-000456', 'NW-00077');
    ok(git('commit', '-qam', 'Grant usage export to cust-000456'));

    const diff = ok(flags(['diff', 'HEAD~1', 'HEAD', '--json']));
    expect(diff.stdout).toContain('cust-000456');
    expect(diff.stdout).not.toContain('cust-000123');

    const signing = {
      FLAGS_SIGNING_KEY_DEV: readFileSync(join(keys, 'dev.pem'), 'utf8'),
      FLAGS_SIGNING_KEY_PROD: readFileSync(join(keys, 'prod.pem'), 'utf8'),
    };
    ok(flags(['build', '--require-signing-key', '--now', NOW, '--today', TODAY], signing));
    for (const env of ['dev', 'prod'])
      ok(flags(['verify', join('dist', `${env}.bundle.json`), '--env', env, '--now', NOW]));
    expect(flags(['verify', join('dist', 'dev.bundle.json'), '--env', 'prod', '--now', NOW]).status).toBe(1);
  });

  it('plans retirement without touching anything and reports its flags', () => {
    const retire = ok(flags(['retire', '--dry-run', '--json', '--today', '2031-06-02']));
    expect(retire.stdout).toContain('invoice-view');
    expect(ok(git('status', '--porcelain', 'flags')).stdout).toBe('');
    const report = JSON.parse(ok(flags(['report', '--format', 'json', '--today', TODAY])).stdout);
    expect(JSON.stringify(report)).toContain('usage-export');
    expect(JSON.stringify(report)).toContain('invoice-view');
  });
});

describe('an application that installs only the runtime', { timeout: 300_000 }, () => {
  let app: string;
  const inputs = () => ({
    APP_BUNDLE: join(repo, 'dist', 'prod.bundle.json'),
    APP_KEYSET: join(repo, 'keys', 'keyset.json'),
    APP_ENV: 'prod',
    APP_ORG: 'cust-000456',
    APP_FLAG: 'usage-export',
    APP_NOW: NOW,
  });
  const expected = {
    loaded: true,
    enabled: true,
    claims: ['usage-export'],
    openfeature: true,
    stranger: false,
  };

  beforeAll(() => {
    app = join(work, 'billing-app');
    cpSync(APP, app, { recursive: true });
    const dev = manifest.devDependencies as Record<string, string>;
    ok(
      runAs(npm, app, 'npm', [
        'install',
        `${RUNTIME_PACKAGE}@${VERSION}`,
        `@openfeature/server-sdk@${dev['@openfeature/server-sdk']}`,
        `typescript@${dev.typescript}`,
        `@types/node@${dev['@types/node']}`,
        '--registry',
        registry.url,
      ]),
    );
  }, 600_000);

  it('gets a runtime package with no dependencies of its own', () => {
    const tree = JSON.parse(ok(runAs(npm, app, 'npm', ['ls', RUNTIME_PACKAGE, '--all', '--json'])).stdout);
    expect(tree.dependencies[RUNTIME_PACKAGE].version).toBe(VERSION);
    expect(tree.dependencies[RUNTIME_PACKAGE].dependencies ?? {}).toEqual({});
  });

  it('loads the bundle, evaluates, reads the claim and answers through OpenFeature, as an ES module', () => {
    expect(JSON.parse(ok(runAs(npm, app, process.execPath, ['esm.mjs'], inputs())).stdout)).toEqual(expected);
  });

  it('does the same as CommonJS, with require() of both entries', () => {
    expect(JSON.parse(ok(runAs(npm, app, process.execPath, ['commonjs.cjs'], inputs())).stdout)).toEqual(
      expected,
    );
  });

  it.each(['nodenext', 'node16', 'bundler', 'node'])('type-checks with moduleResolution %s', (mode) => {
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    ok(runAs(npm, app, process.execPath, [tsc, '-p', `tsconfig.${mode}.json`]));
  });

  it.each(['nodenext', 'node16'])('runs what tsc compiled under %s, from .ts and from .cts', (mode) => {
    for (const program of ['typed.js', 'typed.cjs'])
      expect(
        JSON.parse(ok(runAs(npm, app, process.execPath, [join(`out-${mode}`, program)], inputs())).stdout),
        program,
      ).toEqual(expected);
  });
});

/** Grants the usage export in prod to `org` under `agreement`, as a reviewer's edit would. */
function grant(org: string, agreement: string): void {
  const file = join(repo, 'flags', 'usage-export.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const grants =
    (doc.getIn(['environments', 'prod', 'grants']) as { toJSON(): unknown } | undefined)?.toJSON() ?? [];
  doc.setIn(
    ['environments', 'prod', 'grants'],
    doc.createNode([...(grants as object[]), { org, agreement }]),
  );
  writeFileSync(file, doc.toString());
}
