import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packAll } from '../scripts/packages/pack.js';
import { RUNTIME_PACKAGE } from '../scripts/packages/runtime.js';
import { runAs } from '../test/adoption/adopter.js';
import { startRegistry } from '../test/adoption/registry.js';
import { argValue, median } from './support.js';

/**
 * What adopting costs: each package's tarball and installed size and dependency count, and the
 * time from `npm install -D flags-as-code` in a new repository to its first `flags check` (install,
 * `flags init`, `flags new`, `flags check`), through a local Verdaccio with an empty npm cache per
 * run. Baseline, same run and registry: `npm install` of the libraries the toolkit bundles
 * (package.json `dependencies`), which is what installing it cost before they were bundled.
 *
 * CLI: npm run bench:adopt [-- --runs N]   (after npm run build)
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(argValue(process.argv, '--runs') ?? 3);
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'flags-bench-adopt-'));
const registry = await startRegistry(join(work, 'registry'));
try {
  const packed = await packAll(ROOT);
  const publishing = { npmrc: registry.npmrc, cache: join(work, 'publish-cache') };
  for (const { tarball } of packed) must(runAs(publishing, work, 'npm', ['publish', tarball]), 'npm publish');

  const install = (dir: string, specs: string[], n: number) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "name": "adopter", "private": true }\n');
    const npm = { npmrc: registry.npmrc, cache: join(work, `cache-${n}-${Math.random()}`) };
    must(runAs(npm, dir, 'npm', ['install', '-D', ...specs]), 'npm install');
    return npm;
  };

  console.log('package | tarball | installed | packages installed (dependencies)');
  for (const pkg of packed) {
    const dir = join(work, `size-${pkg.name.replace('/', '-')}`);
    install(dir, [`${pkg.name}@${manifest.version}`], 0);
    const installed = readdirSync(join(dir, 'node_modules'), { recursive: true, withFileTypes: true });
    const bytes = installed
      .filter((e) => e.isFile())
      .reduce((s, e) => s + statSync(join(e.parentPath, e.name)).size, 0);
    const packages = installed.filter(
      (e) => e.name === 'package.json' && /node_modules\/(@[^/]+\/)?[^/]+$/.test(e.parentPath),
    ).length;
    console.log(`${pkg.name} | ${kb(pkg.size)} | ${kb(bytes)} | ${packages} (${packages - 1})`);
  }
  if (!packed.some((p) => p.name === RUNTIME_PACKAGE)) throw new Error('the runtime package was not packed');

  const libraries = Object.entries(manifest.dependencies as Record<string, string>).map(
    ([n, v]) => `${n}@${v}`,
  );
  install(join(work, 'warm-upstream'), libraries, 0); // Verdaccio fetches and keeps them: runs read its copy
  const adopt: number[] = [];
  const baseline: number[] = [];
  for (let n = 1; n <= runs; n++) {
    const repo = join(work, `adopt-${n}`);
    const started = performance.now();
    const npm = install(repo, [`flags-as-code@${manifest.version}`], n);
    const flags = (...args: string[]) => runAs(npm, repo, join(repo, 'node_modules', '.bin', 'flags'), args);
    must(
      flags('init', '--environments', 'dev,prod', '--project', 'adopter', '--owner', '@adopter/platform'),
      'flags init',
    );
    must(
      flags('new', 'first-flag', '--type', 'release', '--owner', '@adopter/web', '-d', 'First flag'),
      'flags new',
    );
    must(flags('check'), 'flags check');
    adopt.push(performance.now() - started);
    const before = performance.now();
    install(join(work, `baseline-${n}`), libraries, n);
    baseline.push(performance.now() - before);
  }
  const a = median(adopt);
  const b = median(baseline);
  console.log(`\ninstall to first check (${runs} runs, median): ${ms(a)}; runs ${adopt.map(ms).join(', ')}`);
  console.log(`baseline, npm install of the bundled libraries (${libraries.length} direct): ${ms(b)}`);
  console.log(`ratio: ${(a / b).toFixed(2)}×`);
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}

function must(ran: { status: number | null; stdout: string; stderr: string }, what: string): void {
  if (ran.status !== 0) throw new Error(`${what} failed (exit ${ran.status}):\n${ran.stdout}\n${ran.stderr}`);
}
function kb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}
function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
