import { describe, expect, it } from 'vitest';
import { referenceMatcher, scanText } from '../../scripts/core/refs/find.js';
import { tokens } from '../../scripts/core/refs/tokens.js';
import { classifyUnknown, nearestKey } from '../../scripts/core/refs/unknown.js';

const literals = (text: string, file = 'a.ts') =>
  tokens(text, file.endsWith('.py') ? 'hash' : 'slash')
    .filter((t) => t.kind === 'literal')
    .map((t) => (t.kind === 'literal' && t.callee ? `${t.value} <- ${t.callee}` : t.value));

describe('the tokenizer', () => {
  it('skips keys in line and block comments', () => {
    expect(literals("// 'in-comment'\n/* \"also-in-comment\"\n 'still' */ f('real');")).toEqual([
      'real <- f',
    ]);
  });

  it('skips keys inside regular expressions but not after a division', () => {
    expect(literals("const re = /'not-a-key'/g; const x = a / 2; g('after');")).toEqual(['after <- g']);
    expect(literals("const y = (a) / b; h('k', 1) / 2;")).toEqual(['k <- h']);
  });

  it('reads a template without substitutions as a literal, and the code of a substitution as code', () => {
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text under test holds a template
      literals("f(`plain-key`); `x ${isEnabled('inner-key')} y ${ {a: 'obj'}.a }`; g('after');"),
    ).toEqual(['plain-key <- f', 'inner-key <- isEnabled', 'obj', 'after <- g']);
  });

  it('names the method only when the literal is its first argument', () => {
    expect(
      literals("isEnabled('a', ctx); isEnabled(x, 'b'); isEnabled('c' + d); isEnabled(\n  'e'\n);"),
    ).toEqual(['a <- isEnabled', 'b', 'c', 'e <- isEnabled']);
  });

  it('takes # as a comment in Python, and // as code there', () => {
    expect(literals("# flags.is_enabled('gone')\nclient.get_boolean_value('kept', False)", 'app.py')).toEqual(
      ['kept <- get_boolean_value'],
    );
  });

  it('survives an unclosed quote and reads on at the next line', () => {
    expect(literals("<p>Don't do it</p>\nisEnabled('next-line');")).toEqual(['next-line <- isEnabled']);
  });
});

describe('matching keys in code', () => {
  const matcher = referenceMatcher(['new-checkout-flow', 'dark-mode'], ['camelCase'], {
    sdkMethods: ['variation'],
    deadKeys: ['old-banner'],
    unknown: true,
  });
  const scan = (text: string, file = 'a.ts') => {
    const found = scanText(file, text, matcher);
    return [
      ...found.references.map(
        (r) => `${r.line}:${r.col} ${r.key} ${r.match}${r.method ? ` ${r.method}` : ''}`,
      ),
      ...found.unknown.map(
        (u) => `${u.line}:${u.col} unknown ${u.key} ${u.match}${u.method ? ` ${u.method}` : ''}`,
      ),
    ];
  };

  it('says whether a key matched as an SDK call, a literal or an alias', () => {
    expect(
      scan(
        [
          "client.getBooleanValue('new-checkout-flow', false);",
          "ld.variation('dark-mode', user, false);",
          "const KEYS = ['dark-mode'];",
          'const newCheckoutFlow = true;',
        ].join('\n'),
      ),
    ).toEqual([
      '1:25 new-checkout-flow sdk-call getBooleanValue',
      '2:15 dark-mode sdk-call variation',
      '3:16 dark-mode string-literal',
      '4:7 new-checkout-flow alias-identifier',
    ]);
  });

  it('counts the runtime and OpenFeature evaluation methods by default, other methods only when configured', () => {
    expect(
      scan(
        [
          "flags.isEnabled('a-key');",
          "flags.resolveBoolean('b-key', false);",
          "provider.resolveStringEvaluation('c-key', '', ctx);",
          "client.getNumberDetails('d-key', 0);",
          "cache.get('e-key');",
          "track('f-key');",
        ].join('\n'),
      ),
    ).toEqual([
      '1:18 unknown a-key sdk-call isEnabled',
      '2:23 unknown b-key sdk-call resolveBoolean',
      '3:35 unknown c-key sdk-call resolveStringEvaluation',
      '4:26 unknown d-key sdk-call getNumberDetails',
    ]);
  });

  it("finds a removed flag's key as any literal, and never in a comment or an identifier", () => {
    expect(scan("// 'old-banner' was removed\nconst oldBanner = 1;\nshow('old-banner');")).toEqual([
      '3:7 unknown old-banner string-literal',
    ]);
  });

  it('ignores SDK-method arguments that are not shaped like a flag key', () => {
    expect(scan("client.getStringValue('Some Label', '');\nclient.getStringValue(KEY, '');")).toEqual([]);
  });
});

describe('why a key is unknown', () => {
  const use = (key: string) => ({ file: 'a.ts', line: 1, col: 1, key, match: 'sdk-call' as const });
  const removal = { commit: 'a'.repeat(40), date: '2026-11-02T10:00:00Z', subject: 'Remove old-banner' };

  it('says removed (with the commit), archived, a typo with the nearest live key, or never existed', () => {
    const found = classifyUnknown(
      [use('old-banner'), use('legacy-export'), use('new-chekout-flow'), use('zzz')],
      {
        live: ['dark-mode', 'new-checkout-flow'],
        archived: new Set(['legacy-export']),
        removed: new Map([['old-banner', removal]]),
      },
    );
    expect(
      found.map((u) => [u.key, u.reason, u.suggestion ?? u.removedIn?.commit.slice(0, 4) ?? '']),
    ).toEqual([
      ['old-banner', 'removed', 'aaaa'],
      ['legacy-export', 'archived', ''],
      ['new-chekout-flow', 'typo', 'new-checkout-flow'],
      ['zzz', 'never-existed', ''],
    ]);
  });

  it('suggests only keys near enough to be a slip', () => {
    expect(nearestKey('dark-mdoe', ['dark-mode', 'light-mode'])).toBe('dark-mode');
    expect(nearestKey('billing', ['dark-mode'])).toBeUndefined();
  });
});
