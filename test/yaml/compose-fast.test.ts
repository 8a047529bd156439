import { isDeepStrictEqual } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Composer, type CST, type Document, LineCounter, Parser } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepository } from '../../bench/generate-repo.js';
import { composeDocument } from '../../scripts/core/yaml/compose-document.js';
import { COMPOSE_OPTIONS, composeFast } from '../../scripts/core/yaml/compose-fast.js';
import { isPlainScalarAt, type LoadedYaml, locate, type PathSegment } from '../../scripts/core/yaml/load.js';
import { documentIsPlainScalarAt, documentLocate } from './document-positions.js';
import { mutants } from './mutations.js';

/**
 * The fast composer is a second reading of yaml's parse, so it must never disagree with the first:
 * whenever it takes a file, the Composer path loads that file without a finding, to the same value
 * (key order, numbers, -0, NaN, null and __proto__ included), and both answer every position
 * question alike, as the Document answered them before there was a position tree.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Source {
  name: string;
  text: string;
}

function yamlFiles(dir: string, base = dir): Source[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((path) => ({ name: relative(base, path), text: readFileSync(path, 'utf8') }));
}

function parse(text: string): { lines: LineCounter; tokens: CST.Token[] } {
  const lines = new LineCounter();
  return { lines, tokens: Array.from(new Parser(lines.addNewLine).parse(text)) };
}

/** A value written out so that key order, -0, NaN, undefined and own-property details all show. */
function shape(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? 'number:-0' : `number:${value}`;
  if (typeof value === 'string') return `string:${JSON.stringify(value)}`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(shape).join(', ')}]`;
  const prototype = Object.getPrototypeOf(value) === Object.prototype ? '' : 'prototype! ';
  const entries = Reflect.ownKeys(value).map((key) => {
    const { enumerable, writable, value: v } = Object.getOwnPropertyDescriptor(value, key)!;
    return `${String(key)}${enumerable && writable ? '' : '(hidden)'}: ${shape(v)}`;
  });
  return `${prototype}{${entries.join(', ')}}`;
}

/** Every path that exists in a value, the empty one first. */
function pathsOf(value: unknown, path: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  out.push(path);
  if (Array.isArray(value)) for (const [i, item] of value.entries()) pathsOf(item, [...path, i], out);
  else if (typeof value === 'object' && value !== null)
    for (const key of Object.keys(value))
      pathsOf((value as Record<string, unknown>)[key], [...path, key], out);
  return out;
}

/** Paths that do not exist, or exist only by another spelling, next to the first few that do. */
function probesNear(paths: PathSegment[][]): PathSegment[][] {
  const probes: PathSegment[][] = [['__proto__'], ['toString'], ['constructor'], [''], [0], ['0']];
  for (const path of paths.slice(0, 12)) {
    for (const extra of ['missing', 0, '0', 1, '1', -1, 1.5, ' 0', '']) probes.push([...path, extra]);
    const last = path[path.length - 1];
    if (typeof last === 'string' && /^\d+$/.test(last)) probes.push([...path.slice(0, -1), Number(last)]);
    if (typeof last === 'number') probes.push([...path.slice(0, -1), String(last)]);
  }
  return probes;
}

/** Where `loaded` answers a position question differently from the Document `doc` of the same text. */
function positionDisagreements(
  loaded: Pick<LoadedYaml, 'tree' | 'lines' | 'value'>,
  doc: Document.Parsed,
  lines: LineCounter,
): string[] {
  const out: string[] = [];
  const paths = pathsOf(loaded.value);
  for (const path of [...paths, ...probesNear(paths)]) {
    for (const which of ['value', 'key'] as const) {
      const got = locate(loaded, path, which);
      const want = documentLocate(doc, lines, path, which);
      if (got.line !== want.line || got.col !== want.col)
        out.push(
          `locate ${JSON.stringify(path)} ${which}: ${got.line}:${got.col}, not ${want.line}:${want.col}`,
        );
    }
    if (isPlainScalarAt(loaded, path) !== documentIsPlainScalarAt(doc, path))
      out.push(`isPlainScalarAt ${JSON.stringify(path)}: ${isPlainScalarAt(loaded, path)}`);
  }
  return out;
}

interface Verdict {
  fast: boolean;
  disagreements: string[];
}

/** Both paths over one text, as loadYaml runs them (the Composer path on the very tokens the fast one saw). */
function differential({ name, text }: Source): Verdict {
  const { lines, tokens } = parse(text);
  const fast = composeFast(tokens);
  const slow = composeDocument(name, text, lines, tokens);
  const reference = parse(text);
  const doc = Array.from(new Composer(COMPOSE_OPTIONS).compose(reference.tokens))[0];
  const disagreements: string[] = [];
  const say = (what: string) => disagreements.push(`${name}: ${what}\n${JSON.stringify(text.slice(0, 400))}`);
  if (slow.loaded && doc)
    for (const d of positionDisagreements(slow.loaded, doc, reference.lines)) say(`Composer path ${d}`);
  if (!fast) return { fast: false, disagreements };
  if (!slow.loaded || slow.findings.length > 0 || slow.empty || !doc) {
    say(
      `taken fast, but the Composer path says ${slow.findings.map((f) => `${f.code} ${f.message}`).join('; ')}`,
    );
    return { fast: true, disagreements };
  }
  if (shape(fast.value) !== shape(slow.loaded.value) || !isDeepStrictEqual(fast.value, slow.loaded.value))
    say(`values differ: ${shape(fast.value)} / ${shape(slow.loaded.value)}`);
  for (const d of positionDisagreements({ ...fast, lines }, doc, reference.lines)) say(`fast path ${d}`);
  return { fast: true, disagreements };
}

function run(sources: readonly Source[]): { taken: number; missed: string[]; disagreements: string[] } {
  let taken = 0;
  const missed: string[] = [];
  const disagreements: string[] = [];
  for (const source of sources) {
    const verdict = differential(source);
    if (verdict.fast) taken++;
    else missed.push(source.name);
    disagreements.push(...verdict.disagreements);
  }
  return { taken, missed, disagreements };
}

const takesFast = (text: string): boolean => composeFast(parse(text).tokens) !== undefined;

describe('the fast composer', () => {
  let generatedDir: string;
  let generated: Source[];
  const repository = yamlFiles(join(ROOT, 'test/fixtures/example-repository/flags'));
  // The example repository is taken above; the mutations need each file once.
  const fixtures = yamlFiles(join(ROOT, 'test/fixtures')).filter(
    (f) => !f.name.startsWith('example-repository'),
  );

  beforeAll(() => {
    generatedDir = mkdtempSync(join(tmpdir(), 'flags-fast-compose-'));
    generateRepository(generatedDir, { flags: 300, dueShare: 0.1 });
    generated = yamlFiles(generatedDir);
  });
  afterAll(() => rmSync(generatedDir, { recursive: true, force: true }));

  it('takes every flag file and the policy of this repository and of a generated one', () => {
    const repo = run(repository);
    const made = run(generated);
    expect(repo.missed).toEqual([]);
    expect(made.missed).toEqual([]);
    expect(generated.length).toBeGreaterThan(300);
    expect([...repo.disagreements, ...made.disagreements]).toEqual([]);
  });

  it('agrees with the Composer path on every fixture it takes, and leaves the unusual ones', () => {
    const result = run(fixtures);
    expect(result.disagreements).toEqual([]);
    expect(result.taken).toBeGreaterThan(fixtures.length / 2);
    expect(result.missed.length).toBeGreaterThan(0);
  });

  it('agrees with the Composer path on thousands of seeded mutations of those files', {
    timeout: 180_000,
  }, () => {
    const bases = [...repository, ...fixtures, ...generated.slice(0, 120)];
    const sources = bases.flatMap((base, i) =>
      mutants(base.text, 1000 + i, 16).map((text, n) => ({ name: `${base.name}~${n}`, text })),
    );
    const result = run(sources);
    expect(sources.length).toBeGreaterThan(3000);
    expect(result.disagreements.slice(0, 5)).toEqual([]);
    // Both paths get real work: the damage leaves many files ordinary and makes many unusual.
    expect(result.taken).toBeGreaterThan(sources.length / 5);
    expect(result.missed.length).toBeGreaterThan(sources.length / 5);
  });

  const accepted: [string, string][] = [
    [
      'block mappings and sequences with comments and blank lines',
      'a: 1\n\n# c\nb:\n  - x # y\n  # z\n  - y\n',
    ],
    [
      'every core schema scalar, plain',
      'a: [yes, ~, null, true, False, 0x1F, 0o17, 1e3, .inf, -.Inf, .nan, -0, +1, 1.50, 2026-01-01]\n',
    ],
    ['quoted scalars as strings', `a: "true"\nb: '1'\nc: "\\u00e9\\t"\nd: 'it''s'\n`],
    ['empty values, in mappings and sequences', 'a:\nb: # none\nc:\n  -\n  - # none\n  - x\n'],
    [
      'flow collections of scalars on one line',
      'a: []\nb: {}\nc: [ ]\nd: [x, "y", 1, ]\ne: { k: v, n: 1 }\n',
    ],
    ['block scalars', 'a: |\n  one\n  two\nb: >-\n  folded\n  text\n'],
    ['multi-line plain and quoted scalars', 'a: one\n  two\nb: "three\n  four"\n'],
    ['a sequence at the indentation of its key', 'a:\n- x\n- y\n'],
    ['a # without a space before it, inside a scalar', 'a: b#c\n'],
    ['CRLF line ends and a byte-order mark', '\ufeffa: 1\r\nb:\r\n  - x\r\n'],
    ['a tab between a value and its comment', 'a: 1\t# c\n'],
    ['trailing comments after the mapping', 'a:\n  b: 1\n  # end of b\n# end\n'],
  ];
  it.each(accepted)('takes %s, reading them as the Composer does', (_, text) => {
    expect(differential({ name: 'x.yaml', text })).toEqual({ fast: true, disagreements: [] });
  });

  const refused: [string, string][] = [
    ['a document marker', '---\na: 1\n'],
    ['a document end marker', 'a: 1\n...\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a root that is not a block mapping', '- a\n- b\n'],
    ['a root scalar', 'just text\n'],
    ['an empty file', ''],
    ['comments only', '# nothing\n'],
    ['tabs in indentation', 'a:\n\tb: 1\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['a number as a key', '1: a\n'],
    ['a boolean as a key', 'true: a\n'],
    ['null as a key', '~: a\n'],
    ['an empty key', ': a\n'],
    ['a quoted key', '"a": 1\n'],
    ['a multi-line key', 'a\n b: 1\n'],
    ['__proto__ as a key', '__proto__: 1\n'],
    ['constructor as a key', 'a:\n  constructor: 1\n'],
    ['prototype as a key in a flow mapping', 'a: { prototype: 1 }\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a duplicate key in a flow mapping', 'a: { b: 1, b: 2 }\n'],
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a compact nested mapping', 'a: b: c\n'],
    ['a nested flow collection', 'a: [b, [c]]\n'],
    ['a flow collection over several lines', 'a: [b,\n  c]\n'],
    ['a comment inside a flow collection', 'a: [b, # c\n  c]\n'],
    ['a flow sequence of pairs', 'a: [b: c]\n'],
    ['a flow mapping entry without a value', 'a: { b }\n'],
    ['a missing comma', 'a: { b: 1 c: 2 }\n'],
    ['a comment without a space before it after a flow collection', 'a: [b]#c\n'],
    ['a key with no value indicator', 'a: 1\nb\n'],
    ['a mis-indented key', 'a:\n  b: 1\n c: 2\n'],
    ['an unterminated quoted scalar', 'a: "b\n'],
    ['a bad escape', 'a: "\\q"\n'],
    ['a plain scalar starting with a reserved character', 'a: @b\n'],
    ['a block scalar with a bad header', 'a: |x\n  b\n'],
    ['a key over 1024 characters', `${'k'.repeat(1030)}: 1\n`],
    [
      'nesting beyond a flag file',
      `${Array.from({ length: 20 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} 1\n`,
    ],
  ];
  it.each(refused)('leaves %s to the Composer path', (_, text) => {
    expect(takesFast(text)).toBe(false);
    expect(differential({ name: 'x.yaml', text }).disagreements).toEqual([]);
  });
});
