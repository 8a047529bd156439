import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagYaml } from '../check/check-cli.js';
import { gitdir, initRepo, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * `flags refs` over the clones of several consuming repositories: where each flag is used, and the
 * keys in code that no live flag has, explained from the flags repository's git history.
 */

const POLICY = [
  'refs:',
  '  repositories:',
  '    - name: web',
  '    - name: api',
  '    - name: mobile',
  '',
].join('\n');

interface RefsJson {
  searched: { repository?: string; files: number }[];
  notSearched: string[];
  flags: { key: string; references: number; repositories: { repository: string; references: number }[] }[];
  references: {
    repository?: string;
    file: string;
    line: number;
    key: string;
    match: string;
    method?: string;
  }[];
  unreferenced: string[];
  unknown: {
    repository?: string;
    file: string;
    line: number;
    col: number;
    key: string;
    match: string;
    reason: string;
    removedIn?: { commit: string; subject: string };
    suggestion?: string;
  }[];
}

async function setup() {
  const flags = await gitdir();
  flags.write('CODEOWNERS', '/flags/ @acme/platform\n');
  flags.write('flags/_policy.yaml', POLICY);
  for (const key of ['new-checkout-flow', 'dark-mode', 'old-banner', 'bulk-export'])
    flags.write(`flags/${key}.yaml`, flagYaml(key));
  await flags.commit('Four flags');
  flags.remove('flags/old-banner.yaml');
  const removal = await flags.commit('Remove old-banner: rolled out everywhere');
  const web = await initRepo(tempDir('web-'));
  web.write(
    'src/checkout.ts',
    [
      "import { client } from './flags';",
      "// old-banner: 'old-banner' in a comment is no use of it",
      "export const v2 = await client.getBooleanValue('new-checkout-flow', false, ctx);",
      "export const banner = flags.isEnabled('old-banner');",
      '',
    ].join('\n'),
  );
  web.write('node_modules/lib/index.js', "isEnabled('ignored-dependency');\n");
  await web.commit('web');
  const api = await initRepo(tempDir('api-'));
  api.write(
    'server/routes.ts',
    [
      "if (flags.isEnabled('dark-mode', org)) theme = 'dark';",
      "if (flags.isEnabled('new-chekout-flow', org)) checkout();",
      "const label = 'new-checkout-flow';",
      '',
    ].join('\n'),
  );
  await api.commit('api');
  return { flags, web, api, removal };
}

const refs = (dir: string, ...args: string[]) =>
  runCli(['refs', '-C', dir, ...args], { env: { FLAGS_CACHE_DIR: tempDir() } });

describe('flags refs across repositories', () => {
  it('reports per repository where each flag is used, and explains unknown keys from history', async () => {
    const { flags, web, api, removal } = await setup();
    const result = await refs(flags.dir, '--json', '--tree', `web=${web.dir}`, '--tree', `api=${api.dir}`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as RefsJson;
    expect(json.searched.map((s) => `${s.repository} ${s.files}`)).toEqual(['web 1', 'api 1']);
    expect(json.notSearched).toEqual(['mobile']);
    expect(
      json.references.map((r) => `${r.repository}:${r.file}:${r.line} ${r.key} ${r.match} ${r.method ?? ''}`),
    ).toEqual([
      'web:src/checkout.ts:3 new-checkout-flow sdk-call getBooleanValue',
      'api:server/routes.ts:1 dark-mode sdk-call isEnabled',
      'api:server/routes.ts:3 new-checkout-flow string-literal ',
    ]);
    expect(json.flags.find((f) => f.key === 'new-checkout-flow')).toEqual({
      key: 'new-checkout-flow',
      references: 2,
      repositories: [
        { repository: 'api', references: 1 },
        { repository: 'web', references: 1 },
      ],
    });
    expect(json.unreferenced).toEqual(['bulk-export']);
    expect(json.unknown).toEqual([
      {
        repository: 'api',
        file: 'server/routes.ts',
        line: 2,
        col: 22,
        key: 'new-chekout-flow',
        match: 'sdk-call',
        method: 'isEnabled',
        reason: 'typo',
        suggestion: 'new-checkout-flow',
      },
      {
        repository: 'web',
        file: 'src/checkout.ts',
        line: 4,
        col: 40,
        key: 'old-banner',
        match: 'sdk-call',
        method: 'isEnabled',
        reason: 'removed',
        removedIn: expect.objectContaining({
          commit: removal,
          subject: 'Remove old-banner: rolled out everywhere',
        }),
      },
    ]);

    const text = await refs(flags.dir, '--tree', `web=${web.dir}`, '--tree', `api=${api.dir}`);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `web:src/checkout.ts:4:40  old-banner  unknown key (isEnabled): its flag was removed in ${removal.slice(0, 12)}`,
    );
    expect(text.stdout).toContain(
      'api:server/routes.ts:2:22  new-chekout-flow  unknown key (isEnabled): no such flag; did you mean new-checkout-flow?',
    );
    expect(text.stdout).toContain('new-checkout-flow: api 1, web 1');
    expect(text.stdout).toContain('not searched (no clone given with --tree): mobile');
  });

  it('passes once the code stops using removed keys, and finds them again when one comes back', async () => {
    const { flags, web, api } = await setup();
    web.write('src/checkout.ts', "export const v2 = client.getBooleanValue('new-checkout-flow', false);\n");
    api.write('server/routes.ts', "flags.isEnabled('dark-mode');\n");
    await web.commit('drop old-banner');
    const args = ['--json', '--tree', `web=${web.dir}`, '--tree', `api=${api.dir}`];
    const clean = await refs(flags.dir, ...args);
    expect(clean.code).toBe(0);
    expect((JSON.parse(clean.stdout) as RefsJson).unknown).toEqual([]);
    // A revert brings the old code back: the removed key is found again, with its removal commit.
    await web.git.raw(['revert', '--no-edit', 'HEAD']);
    const again = JSON.parse((await refs(flags.dir, ...args)).stdout) as RefsJson;
    expect(again.unknown.map((u) => `${u.repository}:${u.file}:${u.line} ${u.key} ${u.reason}`)).toEqual([
      'web:src/checkout.ts:4 old-banner removed',
    ]);
  });

  it('takes the clones from the policy paths, and refuses a --tree the policy does not name', async () => {
    const { flags, web } = await setup();
    flags.write(
      'flags/_policy.yaml',
      POLICY.replace('    - name: web\n', `    - name: web\n      path: ${web.dir}\n`),
    );
    const fromPolicy = JSON.parse((await refs(flags.dir, '--json')).stdout) as RefsJson;
    expect(fromPolicy.searched.map((s) => s.repository)).toEqual(['web']);
    expect(fromPolicy.notSearched).toEqual(['api', 'mobile']);
    const wrong = await refs(flags.dir, '--tree', `wbe=${web.dir}`);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the policy names no repository "wbe"');
    expect(wrong.stderr).toContain('use one of web, api, mobile');
    const link = join(tempDir('links-'), 'web');
    symlinkSync(web.dir, link);
    const viaLink = JSON.parse((await refs(flags.dir, '--json', '--tree', `web=${link}`)).stdout) as RefsJson;
    expect(viaLink.searched.map((s) => `${s.repository} ${s.files}`)).toEqual(['web 1']);
    const malformed = await refs(flags.dir, '--tree', web.dir);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('is not <name>=<path>');
  });
});
