import { describe, expect, it } from 'vitest';
import { loadYaml, MAX_NESTING } from '../../scripts/core/yaml/load.js';
import { firstUnprintable } from '../../scripts/core/yaml/printable.js';
import { decodeUtf8, firstInvalidUtf8 } from '../../scripts/core/yaml/utf8.js';

const CAP = 262_144;
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const load = (text: string | Uint8Array, cap = CAP) =>
  loadYaml('flags/x.yaml', typeof text === 'string' ? bytes(text) : text, cap);
const where = (text: string | Uint8Array) =>
  load(text).findings.map((f) => `${f.code} ${f.line}:${f.col} ${f.message}`);

describe("characters outside YAML 1.2's printable set", () => {
  it('finds the first, by UTF-16 offset, in one pass over the text', () => {
    expect(firstUnprintable('key: a\n')).toBe(-1);
    expect(firstUnprintable('a: "\u0000"')).toBe(4);
    expect(firstUnprintable('\t\n\r \u007e\u0085\u00a0\ud7ff\ue000\ufffd\u{10000}\u{10ffff}')).toBe(-1);
    for (const bad of [
      '\u0001',
      '\u001f',
      '\u007f',
      '\u0080',
      '\u009f',
      '\ufffe',
      '\uffff',
      '\u000b',
      '\u000c',
    ])
      expect(firstUnprintable(`x${bad}`), bad).toBe(1);
  });

  it('refuses them before either composer runs, with the same finding on both paths', () => {
    // The first file is of the fast composer's shape; the flow mapping over two lines is not.
    const fast = 'key: a\ndescription: "x\u0000"\n';
    const composer = 'key: a\ndescription: {\n  text: "x\u0000"}\n';
    expect(where(fast)).toEqual([
      'file/control-character 2:16 character U+0000 (NUL) is not allowed here: only printable characters, tab and line breaks',
    ]);
    expect(where(composer)).toEqual([
      'file/control-character 3:11 character U+0000 (NUL) is not allowed here: only printable characters, tab and line breaks',
    ]);
    expect(load(fast).loaded).toBeUndefined();
    expect(load(composer).loaded).toBeUndefined();
    // Without the character, the two files go their two ways.
    expect(load(fast.replace('\u0000', '')).loaded?.value).toEqual({ key: 'a', description: 'x' });
    expect(load(composer.replace('\u0000', '')).loaded?.value).toEqual({
      key: 'a',
      description: { text: 'x' },
    });
  });

  it('allows an escape in a double-quoted string, which a reviewer can see', () => {
    expect(load('a: "tab\\there"\n').loaded?.value).toEqual({ a: 'tab\there' });
  });
});

describe('loadYaml', () => {
  it('turns a plain YAML 1.2 mapping into a value, dates staying strings', () => {
    const { loaded, findings } = load('key: a\nexpires: 2027-01-10\nenabled: true\n');
    expect(findings).toEqual([]);
    expect(loaded?.value).toEqual({ key: 'a', expires: '2027-01-10', enabled: true });
  });

  it('reads yes, no, on and off as strings, as YAML 1.2 does', () => {
    expect(load('a: yes\nb: no\nc: on\nd: off\n').loaded?.value).toEqual({
      a: 'yes',
      b: 'no',
      c: 'on',
      d: 'off',
    });
  });

  it('accepts a %YAML 1.2 directive and refuses any other version', () => {
    expect(where('%YAML 1.2\n---\nkey: a\n')).toEqual([]);
    expect(where('%YAML 1.1\n---\nenabled: yes\n')).toEqual([
      'yaml/syntax 1:1 the directive "%YAML 1.1" is not supported; flag files are YAML 1.2',
    ]);
  });

  it('refuses a file over the cap before decoding or parsing it', () => {
    const result = load(new Uint8Array(10 * 1024 * 1024).fill(0xff));
    expect(result.loaded).toBeUndefined();
    expect(where(new Uint8Array(10 * 1024 * 1024).fill(0xff))).toEqual([
      'file/too-large 1:1 file is 10485760 bytes, over the cap of 262144',
    ]);
  });

  it('reports the second document of a file where it starts', () => {
    expect(where('key: a\n...\n---\nkey: b\n')).toEqual([
      'yaml/multi-document 3:1 the file holds 2 YAML documents',
    ]);
  });

  it('reports a duplicate key at its second occurrence', () => {
    expect(where('key: a\nowner: "@a"\nkey: b\n')).toEqual(['yaml/duplicate-key 3:1 duplicate key "key"']);
  });

  it('reports anchors and aliases at the & and the *, and tags as written', () => {
    expect(where('a: &x !!str one\nb: *x\n')).toEqual([
      'yaml/alias 1:4 anchor &x',
      'yaml/tag 1:7 explicit tag !!str',
      'yaml/alias 2:4 alias *x',
    ]);
  });

  it('refuses an alias bomb without expanding it', () => {
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (const [name, prev] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf', 'hg', 'ih', 'ji']) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const result = load(lines.join('\n'));
    expect(result.loaded).toBeUndefined();
    expect(result.findings.every((f) => f.code === 'yaml/alias')).toBe(true);
    expect(result.findings).toHaveLength(91);
  });

  it('never lets __proto__ or constructor keys reach Object.prototype', () => {
    const result = load('__proto__:\n  polluted: true\nconstructor:\n  prototype:\n    polluted: true\n');
    expect(result.findings.map((f) => `${f.code} ${f.line}:${f.col}`)).toEqual([
      'yaml/forbidden-key 1:1',
      'yaml/forbidden-key 3:1',
      'yaml/forbidden-key 4:3',
    ]);
    expect(result.loaded).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`accepts ${MAX_NESTING} levels of nesting and refuses the level after them`, () => {
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(where(nest(MAX_NESTING))).toEqual([]);
    expect(where(nest(MAX_NESTING + 1))).toEqual([
      `yaml/syntax 1:${MAX_NESTING + 1} nesting is deeper than ${MAX_NESTING} levels`,
    ]);
  });

  it('survives 100,000 levels of nesting, again and again, without overflowing the stack', () => {
    const inputs: [string, number][] = [
      ['['.repeat(100_000), MAX_NESTING + 1],
      [`${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}`, 4 * MAX_NESTING + 1],
    ];
    for (const [text, col] of inputs) {
      for (let round = 0; round < 3; round++) {
        expect(where(text)).toEqual([`yaml/syntax 1:${col} nesting is deeper than ${MAX_NESTING} levels`]);
      }
    }
  });

  it('says that an empty file or one of comments only holds no document', () => {
    for (const text of ['', '# only a comment\n', '\n\n']) {
      const result = load(text);
      expect(result.empty).toBe(true);
      expect(where(text)).toEqual(['schema/wrong-type 1:1 the file holds no YAML document']);
    }
  });

  it('reports the first syntax error with the parser message at its position', () => {
    expect(where('key: a\ntags: [x, y\nowner: b\n')).toEqual([
      'yaml/syntax 3:1 Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });
});

describe('UTF-8 checks', () => {
  const cases: [string, Uint8Array, string][] = [
    [
      'a Latin-1 byte',
      bytes('key: caf', [0xe9], '\n'),
      'file/not-utf8 1:9 byte 0xe9 at offset 8 is not UTF-8',
    ],
    [
      'a bad byte after multi-byte characters, on a later line',
      bytes('key: a\nnote: 日本', [0xff], '\n'),
      'file/not-utf8 2:9 byte 0xff at offset 19 is not UTF-8',
    ],
    [
      'an overlong encoding of /',
      bytes('a: ', [0xc0, 0xaf]),
      'file/not-utf8 1:4 byte 0xc0 at offset 3 is not UTF-8',
    ],
    [
      'an encoded surrogate',
      bytes('a: ', [0xed, 0xa0, 0x80]),
      'file/not-utf8 1:4 byte 0xed at offset 3 is not UTF-8',
    ],
    [
      'a sequence cut off at the end of the file',
      bytes('a: ', [0xe2, 0x82]),
      'file/not-utf8 1:4 byte 0xe2 at offset 3 is not UTF-8',
    ],
    [
      'a lone continuation byte',
      bytes('a: b\r\nc: ', [0x80]),
      'file/not-utf8 2:4 byte 0x80 at offset 9 is not UTF-8',
    ],
  ];

  it.each(cases)('reports %s at its position', (_, input, expected) => {
    expect(where(input)).toEqual([expected]);
  });

  it('accepts a byte-order mark and valid four-byte characters', () => {
    const result = load(bytes([0xef, 0xbb, 0xbf], 'key: a\nnote: 🚩\n'));
    expect(result.findings).toEqual([]);
    expect(result.loaded?.value).toEqual({ key: 'a', note: '🚩' });
  });

  it('agrees with the platform decoder on where input stops being UTF-8', () => {
    expect(firstInvalidUtf8(bytes('plain ascii'))).toBe(-1);
    expect(firstInvalidUtf8(bytes('ok ', [0xf4, 0x90, 0x80, 0x80]))).toBe(3);
    expect(decodeUtf8(bytes('é', [0xf5]))).toEqual({ badOffset: 2 });
  });
});
