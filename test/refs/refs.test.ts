import { describe, expect, it } from 'vitest';
import { aliasOf, spellingsOf } from '../../scripts/core/refs/aliases.js';
import { findReferences, referenceMatcher } from '../../scripts/core/refs/find.js';
import { runCli } from '../helpers/run-cli.js';
import { FIXTURES, tempDir } from '../helpers/gitdir.js';

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

describe('flags refs', () => {
  it('lists file:line usages, skipping node_modules, binary files and the flag files', async () => {
    const result = await runCli(['refs', '-C', `${FIXTURES}/retire/refs`], {
      env: { FLAGS_CACHE_DIR: tempDir() },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'src/app.py:1:22  sso-saml',
        'src/checkout/flow.ts:5:37  new-checkout-flow',
        'src/checkout/flow.ts:8:9  new-checkout-flow  (camelCase: newCheckoutFlow)',
        'src/checkout/flow.ts:8:33  new-checkout-flow  (camelCase: newCheckoutFlow)',
        'src/checkout/flow.ts:9:22  new-checkout-flow  (SCREAMING_SNAKE_CASE: NEW_CHECKOUT_FLOW)',
        'src/checkout/flow.ts:9:51  new-checkout-flow  (camelCase: newCheckoutFlow)',
        '6 references to 2 of 3 flags in 2 files; no references left to: audit',
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
