import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * A real npm registry for the adoption test: Verdaccio on 127.0.0.1, its storage in `dir`. It
 * serves this project's packages itself (published by the test, never fetched from elsewhere) and
 * proxies every other package to the registry npm is configured with on this machine, read at run
 * time, so no registry address is written into the repository.
 */
export interface Registry {
  url: string;
  /** An .npmrc that points npm at this registry, logged in as the test's user. */
  npmrc: string;
  stop(): Promise<void>;
}

const LOCAL_PACKAGES = ['flags-as-code', '@flags-as-code/*'];

export async function startRegistry(dir: string): Promise<Registry> {
  const upstream = npmConfig('registry');
  if (!/^https?:\/\//.test(upstream))
    throw new Error(`npm config get registry gave ${JSON.stringify(upstream)}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, verdaccioConfig(dir, upstream));
  const bin = createRequire(import.meta.url).resolve('verdaccio/bin/verdaccio');
  const server = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production', ...trustedCertificates() },
  });
  let output = '';
  server.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  server.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const stop = () => stopProcess(server);
  try {
    await waitUntilUp(url, server, () => output);
    const token = await addUser(url, 'adopter', `pw-${process.pid}-${Date.now()}`);
    const npmrc = join(dir, '.npmrc');
    const hostPath = url.replace(/^https?:/, '');
    writeFileSync(npmrc, `registry=${url}\n${hostPath}:_authToken=${token}\n`);
    return { url, npmrc, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nverdaccio said:\n${output.slice(-4000)}`);
  }
}

function verdaccioConfig(dir: string, upstream: string): string {
  const local = LOCAL_PACKAGES.map(
    (pattern) =>
      `  '${pattern}':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n`,
  ).join('');
  // JSON strings are YAML strings: paths and the upstream's address go in quoted as they are.
  return `storage: ${JSON.stringify(join(dir, 'storage'))}
auth:
  htpasswd:
    file: ${JSON.stringify(join(dir, 'htpasswd'))}
uplinks:
  upstream:
    url: ${JSON.stringify(upstream)}
    timeout: 60s
    max_fails: 5
packages:
${local}  '**':
    access: $all
    proxy: upstream
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
`;
}

/** Creates a user through the registry's own adduser endpoint (what `npm adduser` calls). */
async function addUser(url: string, name: string, password: string): Promise<string> {
  const response = await fetch(new URL(`-/user/org.couchdb.user:${name}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password, type: 'user', roles: [], date: new Date(0).toISOString() }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token)
    throw new Error(`adduser answered ${response.status}: ${JSON.stringify(body)}`);
  return body.token;
}

async function waitUntilUp(url: string, server: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`verdaccio exited with ${server.exitCode}`);
    try {
      if ((await fetch(new URL('-/ping', url))).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`verdaccio did not answer within 60 s\n${output().slice(-2000)}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The certificates npm trusts on this machine (its `cafile`, where one is configured), for
 * Verdaccio's requests to the upstream: a network that inspects TLS gives npm a bundle with its own
 * authority, which Node, with its built-in list, would otherwise refuse.
 */
function trustedCertificates(): Record<string, string> {
  const cafile = npmConfig('cafile');
  return cafile && cafile !== 'null' && cafile !== 'undefined' && !process.env.NODE_EXTRA_CA_CERTS
    ? { NODE_EXTRA_CA_CERTS: cafile }
    : {};
}

/** A value of npm's own configuration on this machine (never of this repository: run from `/`). */
export function npmConfig(key: string): string {
  const result = spawnSync('npm', ['config', 'get', key], { encoding: 'utf8', cwd: '/' });
  if (result.status !== 0) throw new Error(`npm config get ${key} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * The environment of the processes an adopter would run: none of the variables npm sets for the
 * script that started the tests (they name this checkout, its cache and its configuration), nor the
 * toolkit's or GitHub's own.
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const kept = Object.entries(process.env).filter(
    ([name, value]) =>
      value !== undefined && !/^(npm_|NPM_|FLAGS_|GITHUB_|INIT_CWD$|NODE_OPTIONS$)/.test(name),
  ) as [string, string][];
  return { ...Object.fromEntries(kept), ...extra };
}
