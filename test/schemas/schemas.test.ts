import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  flagJsonSchema,
  organizationJsonSchema,
  policyJsonSchema,
  renderSchema,
} from '../../scripts/core/model/json-schema.js';
import { EXAMPLE_ROOT, TOOLKIT_ROOT, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

// ajv is CommonJS; under NodeNext its default export arrives one level down.
const Ajv2020 = ajv2020.default;

const SCHEMAS = join(TOOLKIT_ROOT, 'schemas');
const FLAGS = join(EXAMPLE_ROOT, 'flags');

const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

function exampleFlagFiles(dir = FLAGS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    // flags/_organizations/ holds subscription files, checked against their own schema below.
    if (entry.isDirectory()) return entry.name === '_organizations' ? [] : exampleFlagFiles(path);
    return entry.name.endsWith('.yaml') && !entry.name.startsWith('_') ? [path] : [];
  });
}

const ORGANIZATIONS = join(FLAGS, '_organizations');
const exampleOrganizationFiles = (): string[] =>
  readdirSync(ORGANIZATIONS)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => join(ORGANIZATIONS, file));

const name = (path: string) => relative(EXAMPLE_ROOT, path).split('\\').join('/');

describe('the published JSON Schemas', () => {
  it.each([
    ['flag.schema.json', flagJsonSchema],
    ['policy.schema.json', policyJsonSchema],
    ['organization.schema.json', organizationJsonSchema],
  ])('schemas/%s equals what the zod model generates', (file, generate) => {
    const checkedIn = readFileSync(join(SCHEMAS, file), 'utf8');
    expect(checkedIn, `schemas/${file} drifted from the flag model: run npx flags schemas --write`).toBe(
      renderSchema(generate()),
    );
  });

  it('lets flags schemas tell a drifted copy apart, with the fix to run', async () => {
    const dir = tempDir();
    cpSync(SCHEMAS, join(dir, 'schemas'), { recursive: true });
    const fresh = await runCli(['schemas', '--repo', dir]);
    expect(fresh.code).toBe(0);
    const drifted = readJson(join(dir, 'schemas', 'flag.schema.json'));
    writeFileSync(join(dir, 'schemas', 'flag.schema.json'), JSON.stringify({ ...drifted, title: 'old' }));
    const stale = await runCli(['schemas', '--repo', dir]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(
      'schemas/flag.schema.json: differs from the flag model\n  fix: run npx flags schemas --write\n',
    );
  });
});

describe('the example repository against the checked-in schemas', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validateFlag = ajv.compile(readJson(join(SCHEMAS, 'flag.schema.json')));
  const validatePolicy = ajv.compile(readJson(join(SCHEMAS, 'policy.schema.json')));
  const files = exampleFlagFiles();

  it('has at least twelve example flags', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files.map((f) => [name(f), f]))('%s is valid against schemas/flag.schema.json', (_, file) => {
    const valid = validateFlag(parse(readFileSync(file, 'utf8'), { version: '1.2' }));
    expect(validateFlag.errors ?? [], name(file)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('flags/_policy.yaml is valid against schemas/policy.schema.json', () => {
    const valid = validatePolicy(
      parse(readFileSync(join(FLAGS, '_policy.yaml'), 'utf8'), { version: '1.2' }),
    );
    expect(validatePolicy.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it.each(files.map((f) => [name(f), f]))(
    '%s starts with a yaml-language-server modeline that reaches the flag schema',
    (_, file) => {
      const first = readFileSync(file, 'utf8').split('\n')[0]!;
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(match, `${name(file)} must start with # yaml-language-server: $schema=…`).not.toBeNull();
      // Where schemas/ is in a repository laid out like the example (the toolkit's own schemas/ here).
      expect(resolve(dirname(file), match![1]!)).toBe(join(EXAMPLE_ROOT, 'schemas', 'flag.schema.json'));
      expect(existsSync(join(SCHEMAS, 'flag.schema.json'))).toBe(true);
    },
  );

  const validateOrganization = ajv.compile(readJson(join(SCHEMAS, 'organization.schema.json')));
  const organizations = exampleOrganizationFiles();

  it('has subscription files', () => {
    expect(organizations.length).toBeGreaterThanOrEqual(1);
  });

  it.each(organizations.map((f) => [name(f), f]))(
    '%s is valid against schemas/organization.schema.json and its modeline reaches it',
    (_, file) => {
      const text = readFileSync(file, 'utf8');
      const valid = validateOrganization(parse(text, { version: '1.2' }));
      expect(validateOrganization.errors ?? [], name(file)).toEqual([]);
      expect(valid).toBe(true);
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(text.split('\n')[0]!);
      expect(match, `${name(file)} must start with # yaml-language-server: $schema=…`).not.toBeNull();
      // Where schemas/ is in a repository laid out like the example (the toolkit's own schemas/ here).
      expect(resolve(dirname(file), match![1]!)).toBe(
        join(EXAMPLE_ROOT, 'schemas', 'organization.schema.json'),
      );
    },
  );

  it('refuses a subscription file that is a flag file', () => {
    const flag = parse(readFileSync(join(FLAGS, 'new-checkout-flow.yaml'), 'utf8'), { version: '1.2' });
    expect(validateOrganization(flag)).toBe(false);
  });

  it('flags/_policy.yaml starts with a modeline that reaches the policy schema', () => {
    const first = readFileSync(join(FLAGS, '_policy.yaml'), 'utf8').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=../schemas/policy.schema.json');
  });
});
