import { describe, expect, it } from 'vitest';
import { availableDecoders, decodeBase64Strict, strictBase64 } from '../../scripts/runtime/base64.js';
import { canonicalJson } from '../../scripts/runtime/canonical-json.js';
import { pae } from '../../scripts/runtime/dsse.js';
import { formatInstant, parseInstant } from '../../scripts/runtime/instant.js';
import { parseStrictJson, StrictJsonError } from '../../scripts/runtime/strict-json.js';

const problem = (text: string, options = {}): string => {
  try {
    parseStrictJson(text, options);
  } catch (error) {
    if (error instanceof StrictJsonError) return error.problem;
    throw error;
  }
  return 'accepted';
};

describe('the strict JSON parser', () => {
  it('parses what JSON.parse parses, the same way', () => {
    for (const text of [
      '{"a":[1,-2.5e3,true,false,null,"x\\u0041\\n"],"b":{}}',
      '[]',
      '"s"',
      '0',
      '{"__proto__":1}',
      `"${'QUJD'.repeat(100_000)}"`,
      '"é ☃ \ud800 "',
    ])
      expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it('keeps a member named __proto__ an ordinary member', () => {
    const value = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses duplicate keys, also when one is escaped', () => {
    expect(problem('{"a":1,"a":2}')).toBe('duplicate-key');
    expect(problem('{"a":1,"\\u0061":2}')).toBe('duplicate-key');
    expect(problem('{"x":{"a":1,"b":{"a":2}},"y":[{"k":1,"k":1}]}')).toBe('duplicate-key');
  });

  it('refuses trailing bytes, and whitespace around the value unless allowed', () => {
    expect(problem('{} ')).toBe('trailing-bytes');
    expect(problem('{}{}')).toBe('trailing-bytes');
    expect(problem(' {}')).toBe('syntax');
    expect(problem('\n{}\n', { allowOuterWhitespace: true })).toBe('accepted');
  });

  it('refuses what JSON forbids', () => {
    for (const text of [
      '{a:1}',
      "{'a':1}",
      '[1,]',
      '{"a":1,}',
      '01',
      '1.',
      '"\u0001"',
      `"${'QUJD'.repeat(100_000)}\u001f"`,
      '"\\n\t"',
      '"\\x"',
      '"abc',
      '\uFEFF{}',
      'NaN',
      '',
    ])
      expect(problem(text), text).not.toBe('accepted');
  });

  it('refuses deep nesting', () => {
    expect(problem('['.repeat(100) + ']'.repeat(100))).toBe('too-deep');
  });
});

describe('strict base64', () => {
  it("decodes with the runtime's fastest decoder: on Node, Buffer's; the portable one is always there", () => {
    const names = availableDecoders.map((d) => d.name);
    expect(names.at(-1)).toBe('portable');
    expect(names).toContain('buffer');
    const fastest = strictBase64(availableDecoders[0]!.decode);
    expect(decodeBase64Strict('+//+AQ==')).toEqual(fastest('+//+AQ=='));
  });
});

// The same cases for every decoder this runtime has (Deno, Bun and browsers run fromBase64's in test/edge).
describe.each(availableDecoders)('strict base64 with the $name decoder', ({ decode }) => {
  const decodeBase64Strict = strictBase64(decode);

  it('decodes the standard and URL-safe alphabets, padded or (URL-safe) not', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    for (const text of ['+//+AQ==', '-__-AQ', '-__-AQ=='])
      expect(Buffer.from(decodeBase64Strict(text)!).equals(bytes), text).toBe(true);
  });

  it('refuses anything that is not exactly an encoding', () => {
    for (const text of ['+//+AQ=', '+//+AQ', '+//+ AQ==', '+//+AQ==\n', '-//+AQ==', '+//+AR==', 'A', '*AAA'])
      expect(decodeBase64Strict(text), text).toBeUndefined();
  });

  it('agrees with re-encoding the bytes and comparing, on encodings and thousands of near misses', () => {
    // The reference: decode, encode again in each accepted form, and compare.
    const reference = (text: string): Uint8Array | undefined => {
      const bytes = Buffer.from(text, 'base64');
      if (bytes.toString('base64') === text) return bytes;
      const url = bytes.toString('base64url');
      if (url === text) return bytes;
      let padding = 0;
      while (padding < 3 && text.charCodeAt(text.length - 1 - padding) === 0x3d) padding++;
      if (padding > 0 && padding === (4 - (url.length % 4)) % 4 && text.slice(0, -padding) === url)
        return bytes;
      return undefined;
    };
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const noise = [
      '=',
      '+',
      '/',
      '-',
      '_',
      ' ',
      '\n',
      '\t',
      '\r',
      '!',
      '*',
      '.',
      '\0',
      'é',
      '☃',
      'A',
      'Q',
      'z',
      '9',
    ];
    let accepted = 0;
    for (let n = 0; n < 6000; n++) {
      const bytes = Buffer.from(Array.from({ length: random(40) }, () => random(256)));
      const forms = [bytes.toString('base64'), bytes.toString('base64url')];
      forms.push(forms[1]! + '='.repeat((4 - (forms[1]!.length % 4)) % 4));
      let text = forms[random(3)]!;
      for (let edits = random(3); edits > 0; edits--) {
        const at = random(text.length + 1);
        const what = random(3);
        if (what === 0) text = text.slice(0, at) + noise[random(noise.length)] + text.slice(at);
        else if (what === 1) text = text.slice(0, at) + text.slice(at + 1);
        else text = text.slice(0, at) + noise[random(noise.length)] + text.slice(at + 1);
      }
      const expected = reference(text);
      const actual = decodeBase64Strict(text);
      expect(
        actual === undefined ? undefined : Buffer.from(actual).toString('hex'),
        JSON.stringify(text),
      ).toEqual(expected === undefined ? undefined : Buffer.from(expected).toString('hex'));
      if (expected) accepted++;
    }
    expect(accepted).toBeGreaterThan(2000);
  });
});

describe('canonical JSON (RFC 8785)', () => {
  it('sorts members by UTF-16 code units and spells numbers as ECMAScript does', () => {
    // From RFC 8785 section 3.2.3 (sorting) and appendix B (numbers).
    const sorted = canonicalJson({
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    });
    const order = [...sorted.matchAll(/"([^"]*)":"[^"]*"/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(order).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    expect(canonicalJson([1e21, 1e-7, -0, 0.000001, 333333333.3333333, 4.5, 2e-3])).toBe(
      '[1e+21,1e-7,0,0.000001,333333333.3333333,4.5,0.002]',
    );
    expect(canonicalJson({ b: [true, null, 'a\u2028"'], a: { d: 1, c: undefined } })).toBe(
      '{"a":{"d":1},"b":[true,null,"a\u2028\\""]}',
    );
  });

  it('orders integer-like member names as strings too, and keeps __proto__ an ordinary member', () => {
    expect(canonicalJson({ b: 1, '10': { z: 1, '2': 2 }, '2': 3, a: [{ '1': 1, '0': 0 }] })).toBe(
      '{"10":{"2":2,"z":1},"2":3,"a":[{"0":0,"1":1}],"b":1}',
    );
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1},"b":1}');
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson([undefined])).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
  });
});

describe('DSSE PAE', () => {
  it('matches the test vector of the DSSE protocol', () => {
    expect(new TextDecoder().decode(pae('http://example.com/HelloWorld', Buffer.from('hello world')))).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters', () => {
    expect(new TextDecoder().decode(pae('t', Buffer.from('é')))).toBe('DSSEv1 1 t 2 é');
  });
});

describe('instants', () => {
  it('have one spelling: UTC to the second', () => {
    expect(parseInstant('2026-11-24T12:00:00Z')).toBe(Date.parse('2026-11-24T12:00:00Z'));
    for (const text of [
      '2026-11-24T12:00:00.000Z',
      '2026-11-24T13:00:00+01:00',
      '2026-02-30T00:00:00Z',
      '2026-11-24',
    ])
      expect(parseInstant(text), text).toBeUndefined();
    expect(formatInstant(Date.parse('2026-11-24T12:00:00.999Z'))).toBe('2026-11-24T12:00:00Z');
  });
});
