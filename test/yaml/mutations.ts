import { rng } from '../../bench/generate-repo.js';

/**
 * Seeded, deterministic damage to YAML texts: the near misses of ordinary flag files, where a fast
 * composer that accepts too much would show. Each mutant applies one to three edits.
 */

/** Characters that mean something to YAML somewhere, and some that only look like they might. */
const CHARACTERS = [
  ':',
  '-',
  '#',
  '"',
  "'",
  '[',
  ']',
  '{',
  '}',
  ',',
  '&',
  '*',
  '!',
  '|',
  '>',
  '?',
  '%',
  '@',
  '`',
  '\\',
  '\t',
  '\n',
  '\r',
  ' ',
  ': ',
  ' #',
  '- ',
  'é',
  '日本',
  '\u00a0',
  '\u2028',
  '\u0085',
  '\ufeff',
  '\u0000',
  '😀',
];

/** Plain scalars that are not strings in YAML 1.2, or are in 1.2 but not in 1.1, and other oddities. */
const VALUES = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'True',
  'TRUE',
  'tRUE',
  'false',
  'null',
  'Null',
  'NULL',
  '~',
  '',
  '0x1F',
  '0X1F',
  '0o17',
  '0O17',
  '017',
  '08',
  '0b101',
  '1e3',
  '1E3',
  '1.5e-3',
  '.5',
  '5.',
  '1.0',
  '1.50',
  '-0',
  '+0',
  '-0.0',
  '+1',
  '-1',
  '1_000',
  '.inf',
  '-.Inf',
  '+.INF',
  '.nan',
  '.NaN',
  '.NAN',
  'nan',
  '2026-01-01',
  '2026-01-01T12:00:00Z',
  '12:30',
  '9007199254740993',
  '1e400',
  "'quoted'",
  "''",
  '""',
  "'it''s'",
  '"dq \\u00e9 \\x41 \\t"',
  '"bad \\q escape"',
  '"unterminated',
  "'unterminated",
  'a: b',
  'a #b',
  'a#b',
  'b#c: d',
  '- x',
  '[a, b]',
  '[a, "b", \'c\', 1, ~]',
  '{a: 1, b: [c]}',
  '[a, [b]]',
  '[a,, b]',
  '[, a]',
  '[a, b, ]',
  '{a: 1, a: 2}',
  '{a}',
  '{a: }',
  '[a: b]',
  '[]',
  '{}',
  '[ ]',
  '|\n  literal\n  text',
  '>-\n  folded\n  text\n',
  '|+\n\n',
  '|2\n    indented',
  '&a x',
  '*a',
  '!!str x',
  '!x y',
  '? x',
  '@x',
  '`x',
  '%x',
  ',x',
  'x\ty',
  'multi\n  line plain',
  '"multi\n  line quoted"',
];

const KEYS = [
  '1',
  '0x10',
  '-0',
  '1.5',
  '.inf',
  'true',
  'null',
  '~',
  'yes',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '"quoted"',
  "'single'",
  '"__proto__"',
  '? key',
  '[a]',
  '{a: 1}',
  'a b',
  'a:b',
  'é',
  '-',
  '',
  '&k key',
  '!!str key',
  'x'.repeat(1030),
];

type Edit = (lines: string[], pick: Picker) => string[];

interface Picker {
  int(max: number): number;
  of<T>(list: readonly T[]): T;
}

const ENTRY = /^(\s*(?:- )?)([^\s:#][^:#]*):(?: (.*))?$/;

const EDITS: Edit[] = [
  // delete, duplicate or swap lines
  (lines, pick) => lines.toSpliced(pick.int(lines.length), 1),
  (lines, pick) => {
    const i = pick.int(lines.length);
    return lines.toSpliced(i, 0, lines[i]!);
  },
  (lines, pick) => {
    const i = pick.int(lines.length - 1);
    return lines.length < 2 ? lines : lines.toSpliced(i, 2, lines[i + 1]!, lines[i]!);
  },
  // indentation off by one or two, either way
  (lines, pick) => {
    const i = pick.int(lines.length);
    const by = pick.of([-2, -1, 1, 2]);
    const line = lines[i]!;
    return lines.with(i, by > 0 ? ' '.repeat(by) + line : line.replace(new RegExp(`^ {1,${-by}}`), ''));
  },
  // a tab at the start of a line, inside its indentation or anywhere
  (lines, pick) => {
    const i = pick.int(lines.length);
    const line = lines[i]!;
    const at = pick.of([0, line.search(/\S|$/), pick.int(line.length + 1)]);
    return lines.with(i, `${line.slice(0, at)}\t${line.slice(at)}`);
  },
  // one meaningful character anywhere
  (lines, pick) => {
    const i = pick.int(lines.length);
    const line = lines[i]!;
    const at = pick.int(line.length + 1);
    return lines.with(i, line.slice(0, at) + pick.of(CHARACTERS) + line.slice(at));
  },
  // trailing white space, comments with and without a space before them
  (lines, pick) => {
    const i = pick.int(lines.length);
    return lines.with(i, lines[i]! + pick.of(['  ', ' \t', '\t', ' # note', '#note', ' #', '#']));
  },
  // a whole line of something: markers, directives, comments, blank lines
  (lines, pick) =>
    lines.toSpliced(
      pick.int(lines.length + 1),
      0,
      pick.of([
        '---',
        '...',
        '--- # doc',
        '%YAML 1.2',
        '%YAML 1.1',
        '%TAG ! tag:x,2000:',
        '',
        '   ',
        '# c',
        '  # c',
        '\t',
      ]),
    ),
  // a value that is not a plain string
  (lines, pick) => {
    const i = pick.int(lines.length);
    const m = ENTRY.exec(lines[i]!);
    return m ? lines.with(i, `${m[1]}${m[2]}: ${pick.of(VALUES)}`) : lines;
  },
  // a key that is not a plain string, or not an allowed one, or a duplicate
  (lines, pick) => {
    const i = pick.int(lines.length);
    const m = ENTRY.exec(lines[i]!);
    const others = lines.map((line) => ENTRY.exec(line)?.[2]).filter((key) => key !== undefined);
    const key = pick.int(3) === 0 && others.length > 0 ? pick.of(others) : pick.of(KEYS);
    return m ? lines.with(i, `${m[1]}${key}:${m[3] === undefined ? '' : ` ${m[3]}`}`) : lines;
  },
  // an empty value
  (lines, pick) => {
    const i = pick.int(lines.length);
    const m = ENTRY.exec(lines[i]!);
    return m ? lines.with(i, `${m[1]}${m[2]}:${pick.of(['', ' ', ' # none', '#none'])}`) : lines;
  },
];

/** Edits of the whole text rather than of one line. */
const WHOLE: ((text: string) => string)[] = [
  (text) => text.replace(/\n/g, '\r\n'),
  (text) => `\ufeff${text}`,
  (text) => text.replace(/\n$/, ''),
  (text) => `${text}\n\n# trailing comment\n`,
];

export function mutants(text: string, seed: number, count: number): string[] {
  const random = rng(seed);
  const pick: Picker = {
    int: (max) => Math.floor(random() * Math.max(1, max)),
    of: (list) => list[Math.floor(random() * list.length)]!,
  };
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let lines = text.split('\n');
    for (let edits = 1 + pick.int(3); edits > 0 && lines.length > 0; edits--)
      lines = pick.of(EDITS)(lines, pick);
    let mutant = lines.join('\n');
    if (pick.int(8) === 0) mutant = pick.of(WHOLE)(mutant);
    out.push(mutant);
  }
  return out;
}
