import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Miniflare } from 'miniflare';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageRuntime } from '../../scripts/packages/runtime.js';
import * as base64 from '../../scripts/runtime/base64.js';
import * as runtime from '../../scripts/runtime/index.js';
import * as native from '../../scripts/runtime/native.js';
import {
  flipBase64Byte,
  keysetFor,
  NOW,
  newKey,
  openFile,
  closeFile,
  signedBundle,
} from '../runtime/support.js';
import { type CheckResult, check } from './check-runtime.mjs';

/**
 * Issue 15, item 4: the runtime package, as `npm run pack` lays it out, in every JavaScript runtime
 * that installs from npm here (Deno, Bun, workerd through miniflare). Each verifies a bundle signed
 * with an Ed25519 key made here, evaluates it, keeps its state in a store, refuses a tampered
 * bundle, and decodes strict base64 as Node does; Node's own answers are the reference.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

let work: string;
let dist: string;
let scenarioFile: string;
let scenario: Record<string, unknown>;
let expected: CheckResult;

beforeAll(async () => {
  const tscOut = join(ROOT, 'build', 'scripts', 'runtime');
  if (!existsSync(join(tscOut, 'index.d.ts')))
    throw new Error(
      'the runtime is not built: run `npm run build` first (the package is staged from its output)',
    );
  work = mkdtempSync(join(tmpdir(), 'flags-edge-'));
  await stageRuntime(ROOT, tscOut, join(work, 'package'));
  dist = join(work, 'package', 'dist', 'esm');

  const key = newKey();
  const { text: keyset } = await keysetFor([{ key, environments: ['production'] }]);
  const good = signedBundle({ signers: [key.signer], statement: { serial: 9 } });
  const file = openFile(good);
  file.content = flipBase64Byte(file.content, 40);
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  scenario = {
    keyset,
    bundle: b64(good),
    tampered: b64(closeFile(file)),
    now: NOW + 60_000,
    organization: 'org_granted01',
    base64Cases: [
      '+//+AQ==',
      '-__-AQ',
      '-__-AQ==',
      '',
      '+//+AQ=',
      '+//+AQ',
      '+//+ AQ==',
      '+//+AQ==\n',
      '-//+AQ==',
      '+//+AR==',
      'A',
      '*AAA',
      'QUJD',
      'QUI=',
      'QUI',
      'QUJ=',
      'é===',
      'QU\u00a0I',
    ],
  };
  scenarioFile = join(work, 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  expected = await check(runtime, base64, native, scenario);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** One folder holding the package's ES modules (runtime/) and this folder's files beside them. */
function servedRoot(): string {
  cpSync(dist, join(work, 'runtime'), { recursive: true });
  for (const file of ['worker.mjs', 'check-runtime.mjs']) cpSync(join(HERE, file), join(work, file));
  return work;
}

/** The answers that must not depend on the runtime (which native paths it has may). */
function expectSameAnswers(actual: CheckResult) {
  const { strict, paths: _paths, ...answers } = actual;
  const { strict: reference, paths: _reference, ...expectedAnswers } = expected;
  expect(answers).toEqual(expectedAnswers);
  expect(Object.keys(strict)).toContain('portable');
  for (const [decoder, decoded] of Object.entries(strict))
    expect(decoded, decoder).toEqual(reference.portable);
}

describe('the runtime package in every JavaScript runtime', () => {
  it('on Node (the reference): verifies, evaluates, remembers in the store, refuses the tampered bundle', () => {
    expect(expected).toMatchObject({
      loaded: true,
      serial: 9,
      value: { rpm: 6000 },
      reason: 'TARGETING_MATCH',
      tampered: 'content-mismatch',
      remembered: [9],
    });
    expect(expected.claims).toContain('sso');
    for (const decoded of Object.values(expected.strict)) expect(decoded).toEqual(expected.strict.portable);
  });

  for (const name of ['deno', 'bun'] as const)
    it(`in ${name === 'deno' ? 'Deno' : 'Bun'}: the same answers`, () => {
      const args =
        name === 'deno'
          ? [
              'run',
              '--no-prompt',
              `--allow-read=${work},${HERE}`,
              join(HERE, 'deno-bun.mjs'),
              dist,
              scenarioFile,
            ]
          : [join(HERE, 'deno-bun.mjs'), dist, scenarioFile];
      const result = spawnSync(bin(name), args, {
        encoding: 'utf8',
        env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
        timeout: 60_000,
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const actual = JSON.parse(result.stdout);
      expectSameAnswers(actual);
      console.log(`${name}: native paths ${JSON.stringify(actual.paths)}`);
    }, 90_000);

  it('in workerd (Cloudflare Workers, through miniflare), with no filesystem and no Node API: the same answers', async () => {
    // All under one root (servedRoot): the runtime's ES modules as the package ships them and the
    // test's files; node-files.js is Node's, loaded only for a path (a Worker never has one): left out.
    servedRoot();
    const paths = [
      join(work, 'worker.mjs'),
      join(work, 'check-runtime.mjs'),
      ...readdirSync(dist)
        .filter((f) => f.endsWith('.js') && f !== 'node-files.js' && f !== 'openfeature.js')
        .map((f) => join(work, 'runtime', f)),
    ];
    const worker = new Miniflare({
      modules: paths.map((path) => ({ type: 'ESModule' as const, path, contents: readFileSync(path) })),
      modulesRoot: work,
      compatibilityDate: '2026-04-15',
      bindings: { SCENARIO: scenario },
    });
    try {
      const response = await worker.dispatchFetch('http://localhost/');
      const actual = (await response.json()) as CheckResult;
      expectSameAnswers(actual);
      expect(actual.paths).toMatchObject({ nodeCrypto: false, buffer: false });
      console.log(`workerd: native paths ${JSON.stringify(actual.paths)}`);
    } finally {
      await worker.dispose();
    }
  }, 90_000);

  it("in Chromium (Debian's, through playwright-core), loaded as ES modules from 127.0.0.1: the same answers", async () => {
    const CHROMIUM = '/usr/bin/chromium';
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is not installed at ${CHROMIUM}; run .ci/setup-browser and try again`);
    const root = servedRoot();
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>runtime</title>');
        return;
      }
      const file = join(root, path.replace(/^\/+/, ''));
      if (!/^\/(runtime\/)?[\w.-]+\.m?js$/.test(path) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      // A string, not a function: vitest would rewrite a function's import() for Node.
      const actual = (await page.evaluate(`(async () => {
        const [runtime, base64, native, harness] = await Promise.all(
          ['/runtime/index.js', '/runtime/base64.js', '/runtime/native.js', '/check-runtime.mjs'].map((p) => import(p)),
        );
        return harness.check(runtime, base64, native, ${JSON.stringify(scenario)});
      })()`)) as CheckResult;
      expectSameAnswers(actual);
      expect(actual.paths).toMatchObject({ nodeCrypto: false, buffer: false });
      console.log(`chromium: native paths ${JSON.stringify(actual.paths)}`);
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 90_000);
});
