import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import { scaffoldFlag, yamlString } from '../../scripts/core/scaffold/flag-template.js';
import { type NewContext, promptMissing } from '../../scripts/commands/new.js';
import { gitdir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

const TODAY = '2026-11-24';

async function example() {
  const repo = await gitdir({ example: true });
  const run = (args: string[], env?: Record<string, string>) =>
    runCli([...args, '--repo', repo.dir], { env });
  const check = async (unsold: string[] = []) => {
    const result = await run(['check', '--today', TODAY, '--no-cache', '--json']);
    const findings = (JSON.parse(result.stdout) as { findings: { code: string; message: string }[] })
      .findings;
    // An entitlement in a repository with plans is sold under one: until someone adds it, a warning.
    expect(findings.map((f) => [f.code, f.message.split(' ')[1]])).toEqual(
      unsold.map((key) => ['contracts/unsold-entitlement', key]),
    );
    expect(result.code).toBe(0);
  };
  return { repo, run, check, read: (file: string) => readFileSync(join(repo.dir, file), 'utf8') };
}

describe('flags new', () => {
  it('scaffolds a release flag that passes flags check, expiring after the maximum lifetime', async () => {
    const { run, check, read } = await example();
    const result = await run([
      'new',
      'checkout-banner',
      '--type',
      'release',
      '--description',
      'Shows the holiday banner on the checkout page.',
      '--ticket',
      'PAY-1500',
      '--today',
      TODAY,
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'created flags/checkout-banner.yaml (release, owner @acme/platform, expires 2027-02-22)',
        'next: turn it on where it should be on, then run flags check and open a pull request',
        '',
      ].join('\n'),
    );
    expect(read('flags/checkout-banner.yaml')).toBe(
      [
        '# yaml-language-server: $schema=../schemas/flag.schema.json',
        'key: checkout-banner',
        'description: Shows the holiday banner on the checkout page.',
        'owner: "@acme/platform"',
        'type: release',
        'ticket: PAY-1500',
        '# Temporary: remove the flag and its code paths by this date (at most 90 days for release flags).',
        'expires: 2027-02-22',
        'environments:',
        '  development:',
        '    enabled: true',
        '    default: false',
        '  staging:',
        '    enabled: true',
        '    default: false',
        '  production:',
        '    enabled: true',
        '    default: false',
        '    # Roll out to a share of organizations (same bucketing as flagd fractional):',
        '    # rollout:',
        '    #   percentage: 10',
        '',
      ].join('\n'),
    );
    await check();
    expect((await run(['codeowners', '--check'])).code).toBe(0);
  });

  it('takes the owner from CODEOWNERS for a subfolder, reviews a long-lived flag today, and says which plan should sell an entitlement', async () => {
    const { repo, run, check, read } = await example();
    const result = await run(
      [
        'new',
        'scim-provisioning',
        '--type',
        'entitlement',
        '--dir',
        'identity',
        '--contract',
        'PLAN-ENTERPRISE',
        '-d',
        'SCIM user provisioning: users and groups sync from the IdP.',
      ],
      { FLAGS_TODAY: TODAY },
    );
    expect(result.code).toBe(0);
    const text = read('flags/identity/scim-provisioning.yaml');
    expect(text.split('\n').slice(0, 8)).toEqual([
      '# yaml-language-server: $schema=../../schemas/flag.schema.json',
      'key: scim-provisioning',
      'description: "SCIM user provisioning: users and groups sync from the IdP."',
      'owner: "@acme/identity"',
      'type: entitlement',
      'contract: PLAN-ENTERPRISE',
      '# Long-lived: the owner confirms the flag every 180 days and updates this date.',
      'reviewed: 2026-11-24',
    ]);
    // The identity folder rule covers it; CODEOWNERS needs no line.
    expect(read('CODEOWNERS')).not.toContain('scim-provisioning');
    expect(result.stdout).toContain(
      'next: add it to the plan that sells it in flags/_policy.yaml (plans: PLAN-ENTERPRISE: flags: scim-provisioning: true); until then flags check warns contracts/unsold-entitlement\n',
    );
    await check(['scim-provisioning']);
    // Done as the output says, the check is clean.
    const policy = join(repo.dir, 'flags', '_policy.yaml');
    writeFileSync(
      policy,
      read('flags/_policy.yaml').replace(
        '      sso-saml: true\n',
        '      sso-saml: true\n      scim-provisioning: true\n',
      ),
    );
    await check();
    const other = await run(
      [
        'new',
        'sso-billing-sync',
        '-t',
        'entitlement',
        '--dir',
        'identity',
        '--owner',
        '@acme/billing',
        '--contract',
        'PLAN-ENTERPRISE',
        '-d',
        'Syncs seats to billing.',
      ],
      { FLAGS_TODAY: TODAY },
    );
    expect(other.stdout).toContain(
      'updated CODEOWNERS: /flags/identity/sso-billing-sync.yaml @acme/billing @acme/identity @acme/security\n',
    );
    await check(['sso-billing-sync']);
  });

  it('gives the file to the --owner, and records it in CODEOWNERS so the check still passes', async () => {
    const { run, check, read } = await example();
    const result = await run([
      'new',
      'kill-exports',
      '-t',
      'operational',
      '--owner',
      '@acme/sre',
      '-d',
      'Stops exports.',
      '--today',
      TODAY,
    ]);
    expect(result.code).toBe(0);
    expect(read('CODEOWNERS')).toContain('/flags/kill-exports.yaml @acme/sre\n');
    await check();
  });

  it('refuses to overwrite, or to reuse a key from another folder', async () => {
    const { run, read } = await example();
    const before = read('flags/identity/sso-saml.yaml');
    const same = await run(['new', 'sso-saml', '--type', 'release', '-d', 'x', '--dir', 'identity']);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('a flag "sso-saml" exists already (flags/identity/sso-saml.yaml)');
    const elsewhere = await run(['new', 'sso-saml', '--type', 'release', '-d', 'x']);
    expect(elsewhere.code).toBe(2);
    expect(read('flags/identity/sso-saml.yaml')).toBe(before);
  });

  it('is a usage error (exit 2) when a required option is missing and there is no terminal to ask', async () => {
    const { run, repo } = await example();
    const missing = await run(['new', 'some-flag']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'error: missing --type, --description\n  fix: flags new <key> --type <type> --description <text>, or run it in a terminal to be asked\n',
    );
    const contract = await run(['new', 'premium-widgets', '--type', 'entitlement', '-d', 'Widgets.']);
    expect(contract.code).toBe(2);
    expect(contract.stderr).toContain('missing --contract');
    const badKey = await run(['new', 'Bad_Key', '--type', 'release', '-d', 'x']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('key "Bad_Key": use lowercase letters');
    const badType = await run(['new', 'ok-key', '--type', 'temporary', '-d', 'x']);
    expect(badType.stderr).toContain(
      '--type "temporary": one of entitlement, release, experiment, operational',
    );
    const badContract = await run([
      'new',
      'ok-key',
      '--type',
      'entitlement',
      '-d',
      'x',
      '--contract',
      'enterprise',
    ]);
    expect(badContract.stderr).toContain('--contract "enterprise": must match ^(SKU|PLAN)-[A-Z0-9-]+$');
    expect(existsSync(join(repo.dir, 'flags', 'some-flag.yaml'))).toBe(false);
    expect(existsSync(join(repo.dir, 'flags', 'ok-key.yaml'))).toBe(false);
  });
});

describe('flags new on a terminal', () => {
  const ctx: NewContext = {
    policy: defaultPolicy(),
    defaultOwner: (file) => (file.startsWith('flags/identity/') ? '@acme/identity' : '@acme/platform'),
    taken: (key) => (key === 'sso-saml' ? 'flags/identity/sso-saml.yaml' : undefined),
  };

  it('asks for what the options left out, offers defaults, and asks again after a wrong answer', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let asked = '';
    output.on('data', (d: Buffer) => {
      asked += d.toString();
    });
    input.end(
      [
        'sso-saml',
        'scim-sync',
        'entitlement',
        'Syncs users over SCIM.',
        '',
        'enterprise',
        'PLAN-ENTERPRISE',
        '',
      ].join('\n'),
    );
    const answers = await promptMissing({}, { ...ctx, dir: 'identity' }, { input, output });
    expect(answers).toEqual({
      key: 'scim-sync',
      type: 'entitlement',
      description: 'Syncs users over SCIM.',
      owner: '@acme/identity',
      contract: 'PLAN-ENTERPRISE',
    });
    expect(asked).toContain('a flag "sso-saml" exists already');
    expect(asked).toContain('Owner [@acme/identity]: ');
    expect(asked).toContain('must match ^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$');
  });

  it('asks only for what is missing, and an empty answer skips an optional ticket', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    input.end('\n');
    const answers = await promptMissing(
      { key: 'x-ray', type: 'release', description: 'X.', owner: '@acme/platform' },
      ctx,
      { input, output },
    );
    expect(answers).toEqual({ key: 'x-ray', type: 'release', description: 'X.', owner: '@acme/platform' });
  });
});

describe('the flag file template', () => {
  it('quotes a description only when YAML would misread it', () => {
    expect(yamlString('Plain text, with commas.')).toBe('Plain text, with commas.');
    expect(yamlString('yes')).toBe('"yes"');
    expect(yamlString('a: b')).toBe('"a: b"');
    expect(yamlString('# not a comment')).toBe('"# not a comment"');
    expect(yamlString("it's")).toBe("it's");
  });

  it('lists every environment of the policy and the experiment lifetime', () => {
    const policy = { ...defaultPolicy(), environments: ['dev', 'prod'] };
    const text = scaffoldFlag({
      file: 'flags/a/b/test-x.yaml',
      key: 'test-x',
      type: 'experiment',
      owner: '@a/b',
      description: 'X.',
      policy,
      today: '2026-01-31',
    });
    expect(text).toContain('$schema=../../../schemas/flag.schema.json');
    expect(text).toContain('expires: 2026-04-01');
    expect(text.match(/^ {2}\w+:$/gm)).toEqual(['  dev:', '  prod:']);
  });
});
