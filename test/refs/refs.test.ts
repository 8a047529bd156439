import { describe, expect, it } from 'vitest';
import { aliasOf, spellingsOf } from '../../scripts/core/refs/aliases.js';
import { EVIDENCE, findReferences, isEvidence, referenceMatcher } from '../../scripts/core/refs/find.js';
import { flagYaml } from '../check/check-cli.js';
import { runCli } from '../helpers/run-cli.js';
import { FIXTURES, gitdir, tempDir } from '../helpers/gitdir.js';

describe('aliases of a flag key', () => {
  it('spells a kebab key in the forms code uses', () => {
    expect(aliasOf('new-checkout-flow', 'camelCase')).toBe('newCheckoutFlow');
    expect(aliasOf('new-checkout-flow', 'PascalCase')).toBe('NewCheckoutFlow');
    expect(aliasOf('new-checkout-flow', 'snake_case')).toBe('new_checkout_flow');
    expect(aliasOf('new-checkout-flow', 'SCREAMING_SNAKE_CASE')).toBe('NEW_CHECKOUT_FLOW');
    expect(aliasOf('invoice-pdf-v2', 'camelCase')).toBe('invoicePdfV2');
  });

  it('leaves out an alias equal to the key itself', () => {
    expect(spellingsOf('audit', ['camelCase', 'SCREAMING_SNAKE_CASE']).map((s) => s.text)).toEqual([
      'audit',
      'AUDIT',
    ]);
  });
});

describe('finding references in source text', () => {
  const matcher = referenceMatcher(['new-checkout-flow', 'audit'], ['camelCase', 'SCREAMING_SNAKE_CASE']);

  it('finds whole string literals of the key and aliases as whole words, with line and column', () => {
    const text = [
      "if (flags.on('new-checkout-flow')) {}",
      'const x = flags.newCheckoutFlow; // newCheckoutFlowV2 is another word',
      'env.NEW_CHECKOUT_FLOW && `new-checkout-flow`',
      '\'new-checkout-flow-v2\' and "new-checkout" do not count',
    ].join('\n');
    expect(
      findReferences('a.ts', text, matcher).map((r) => `${r.line}:${r.col} ${r.text} ${r.spelling}`),
    ).toEqual([
      '1:15 new-checkout-flow key',
      '2:17 newCheckoutFlow camelCase',
      '3:5 NEW_CHECKOUT_FLOW SCREAMING_SNAKE_CASE',
      '3:27 new-checkout-flow key',
    ]);
  });

  it('counts a one-word key only as a literal, never every variable of that name', () => {
    const text = "const audit = 1;\nflags.on('audit');\nAUDIT;";
    expect(findReferences('b.ts', text, matcher).map((r) => `${r.line}:${r.col} ${r.text}`)).toEqual([
      '2:11 audit',
      '3:1 AUDIT',
    ]);
  });
});

describe('how a reference matched', () => {
  const matcher = referenceMatcher(
    ['bulk-import', 'new-checkout-flow'],
    ['camelCase', 'SCREAMING_SNAKE_CASE'],
  );
  const found = (text: string) =>
    findReferences('c.ts', text, matcher).map(
      (r) => `${r.line}:${r.col} ${r.text} ${r.match} ${isEvidence(r)}`,
    );

  it('counts only the key as a whole string literal as evidence that code reads the flag', () => {
    const text = [
      "if (flags.on('bulk-import')) {}",
      'export function bulkImport(rows) { return rows; }',
      'await service.bulkImport(rows);',
      "const label = t('bulkImport');",
      'process.env.BULK_IMPORT',
    ].join('\n');
    expect(found(text)).toEqual([
      '1:15 bulk-import string-literal true',
      '2:17 bulkImport alias-identifier false',
      '3:15 bulkImport alias-identifier false',
      '4:18 bulkImport alias-literal false',
      '5:13 BULK_IMPORT alias-identifier false',
    ]);
  });

  it('keeps no flag alive with a function that merely shares its name', () => {
    const refs = findReferences('d.ts', 'export const bulkImport = () => load(BULK_IMPORT_ROWS);', matcher);
    expect(refs.map((r) => r.match)).toEqual(['alias-identifier']);
    expect(refs.filter(isEvidence)).toEqual([]);
  });

  it('lists the kinds that are evidence in one place', () => {
    expect([...EVIDENCE]).toEqual(['sdk-call', 'string-literal']);
  });
});

describe('flags refs', () => {
  it('does not take a bulkImport() function for the flag bulk-import', async () => {
    const repo = await gitdir();
    repo.write('CODEOWNERS', '/flags/ @acme/platform\n');
    repo.write('flags/bulk-import.yaml', flagYaml('bulk-import'));
    repo.write('src/import.ts', 'export function bulkImport(rows: string[]) {\n  return rows;\n}\n');
    const result = await runCli(['refs', '--json', '-C', repo.dir], { env: { FLAGS_CACHE_DIR: tempDir() } });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { references: { match: string }[]; unreferenced: string[] };
    expect(json.references).toEqual([
      {
        file: 'src/import.ts',
        line: 1,
        col: 17,
        key: 'bulk-import',
        match: 'alias-identifier',
        text: 'bulkImport',
        spelling: 'camelCase',
      },
    ]);
    expect(json.unreferenced).toEqual(['bulk-import']);
    const text = await runCli(['refs', '-C', repo.dir], { env: { FLAGS_CACHE_DIR: tempDir() } });
    expect(text.stdout).toBe(
      [
        'src/import.ts:1:17  bulk-import  alias-identifier bulkImport (camelCase; looks alike, not counted)',
        '0 references to 0 of 1 flag in 2 files (and 1 name that only looks like a key, not counted); no references left to: bulk-import',
        '',
      ].join('\n'),
    );
  });

  it('lists file:line usages, skipping node_modules, binary files and the flag files', async () => {
    const result = await runCli(['refs', '-C', `${FIXTURES}/retire/refs`], {
      env: { FLAGS_CACHE_DIR: tempDir() },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'src/app.py:1:22  sso-saml  string-literal',
        'src/checkout/flow.ts:5:37  new-checkout-flow  sdk-call getBooleanValue',
        'src/checkout/flow.ts:8:9  new-checkout-flow  alias-identifier newCheckoutFlow (camelCase; looks alike, not counted)',
        'src/checkout/flow.ts:8:33  new-checkout-flow  alias-identifier newCheckoutFlow (camelCase; looks alike, not counted)',
        'src/checkout/flow.ts:9:22  new-checkout-flow  alias-identifier NEW_CHECKOUT_FLOW (SCREAMING_SNAKE_CASE; looks alike, not counted)',
        'src/checkout/flow.ts:9:51  new-checkout-flow  alias-identifier newCheckoutFlow (camelCase; looks alike, not counted)',
        '2 references to 2 of 3 flags in 2 files (and 4 names that only look like a key, not counted); no references left to: audit',
        '',
      ].join('\n'),
    );
  });

  it('searches the given paths only, and answers JSON', async () => {
    const result = await runCli(['refs', 'src/app.py', '--json', '-C', `${FIXTURES}/retire/refs`], {
      env: { FLAGS_CACHE_DIR: tempDir() },
    });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      references: { file: string; key: string }[];
      unreferenced: string[];
    };
    expect(json.references.map((r) => `${r.file} ${r.key}`)).toEqual(['src/app.py sso-saml']);
    expect(json.unreferenced).toEqual(['audit', 'new-checkout-flow']);
  });
});
