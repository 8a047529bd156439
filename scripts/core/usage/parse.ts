import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { dayOf } from '../agreements/instant.js';
import { csvRows, positionOf, splitCsv } from '../agreements/parse.js';
import type { UsageExport, UsageProblem, UsageRow } from './model.js';

/**
 * Parses a usage export, CSV or JSON, as a metrics backend gives it: one row per flag and
 * environment with the last evaluation and a count. Column names are matched loosely (any case,
 * punctuation ignored), so `feature_flag.key`, `flagKey` and `key` all name the key. Every problem
 * names file, line and column; the caller refuses the export when there is any, since a row left
 * out would make a used flag look unused.
 *
 * CSV: a header row, then rows. JSON: an array of row objects, or `{"since": day, "rows": [...]}`
 * (also `usage`, `flags` or `data` for the array), where `since` is the first day the export covers.
 */

type Field = 'key' | 'environment' | 'lastEvaluated' | 'count';

const FIELD_NAMES: Readonly<Record<string, Field>> = {
  key: 'key',
  flag: 'key',
  flagkey: 'key',
  featureflagkey: 'key',
  environment: 'environment',
  env: 'environment',
  deploymentenvironment: 'environment',
  deploymentenvironmentname: 'environment',
  lastevaluated: 'lastEvaluated',
  lastevaluatedat: 'lastEvaluated',
  lastseen: 'lastEvaluated',
  lastseenat: 'lastEvaluated',
  lastevaluation: 'lastEvaluated',
  count: 'count',
  evaluations: 'count',
  evaluationcount: 'count',
  featureflagevaluations: 'count',
  total: 'count',
};

const REQUIRED: readonly Field[] = ['key', 'environment', 'lastEvaluated', 'count'];
const COLUMNS_HINT = 'name the columns key, environment, last_evaluated and count';
const normalizeName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface ParsedUsage {
  usage: UsageExport;
  problems: UsageProblem[];
}

interface Cell {
  value: string;
  line: number;
  col: number;
}

interface RawRow {
  line: number;
  values: Partial<Record<Field, Cell>>;
}

export function parseUsage(file: string, text: string): ParsedUsage {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const json = /\.json$/i.test(file) || (!/\.csv$/i.test(file) && /^\s*[[{]/.test(body));
  return json ? parseJson(file, body) : parseCsv(file, body);
}

function finish(file: string, rows: RawRow[], problems: UsageProblem[], since?: Cell): ParsedUsage {
  const out: UsageRow[] = [];
  const problem = (at: { line: number; col: number }, message: string, hint?: string) =>
    problems.push({ file, line: at.line, col: at.col, message, ...(hint ? { hint } : {}) });
  const seen = new Map<string, number>();
  let earliest: string | undefined;
  for (const row of rows) {
    const missing = (['key', 'environment', 'count'] as const).filter(
      (f) => !row.values[f] || row.values[f]!.value.trim() === '',
    );
    if (missing.length > 0) {
      problem({ line: row.line, col: 1 }, `row has no ${missing.join(', ')}`, COLUMNS_HINT);
      continue;
    }
    const key = row.values.key!.value.trim();
    const environment = row.values.environment!.value.trim();
    const countCell = row.values.count!;
    const count = Number(countCell.value.trim());
    if (!/^\d+$/.test(countCell.value.trim()) || !Number.isSafeInteger(count)) {
      problem(
        countCell,
        `count "${countCell.value}" is not a whole number`,
        'write the evaluation count, e.g. 1520',
      );
      continue;
    }
    const lastCell = row.values.lastEvaluated;
    const lastText = lastCell?.value.trim() ?? '';
    const parsed: UsageRow = { key, environment, count, line: row.line };
    if (lastText === '') {
      if (count > 0) {
        problem(
          lastCell ?? { line: row.line, col: 1 },
          `flag ${key} was evaluated ${count} times in ${environment} but has no last evaluation`,
          'export the time of the last evaluation, or leave the count at 0',
        );
        continue;
      }
    } else {
      const day = dayOf(lastText);
      if (!day.ok) {
        problem(lastCell!, `last evaluation "${lastText}" ${day.problem}`, day.hint);
        continue;
      }
      parsed.lastEvaluated = day.day;
      if (earliest === undefined || day.day < earliest) earliest = day.day;
    }
    const id = `${key}\0${environment}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      problem(
        { line: row.line, col: 1 },
        `flag ${key} in ${environment} is listed twice (also on line ${earlier})`,
        'export one row per flag and environment (sum the counts, keep the latest evaluation)',
      );
      continue;
    }
    seen.set(id, row.line);
    out.push(parsed);
  }
  let start = earliest;
  if (since) {
    const day = dayOf(since.value.trim());
    if (!day.ok) problem(since, `since "${since.value}" ${day.problem}`, day.hint);
    else start = day.day;
  }
  return { usage: { file, rows: out, ...(start ? { since: start } : {}) }, problems };
}

function parseCsv(file: string, text: string): ParsedUsage {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = [',', ';', '\t'].reduce((best, d) =>
    firstLine.split(d).length > firstLine.split(best).length ? d : best,
  );
  const split = splitCsv(text, delimiter);
  if (!Array.isArray(split)) return { usage: { file, rows: [] }, problems: [{ ...split, file }] };
  const [header, ...records] = split;
  if (!header)
    return {
      usage: { file, rows: [] },
      problems: [{ file, line: 1, col: 1, message: 'the usage export is empty', hint: COLUMNS_HINT }],
    };
  const columns = header.cells.map((c) => FIELD_NAMES[normalizeName(c.value)]);
  const missing = REQUIRED.filter((f) => !columns.includes(f));
  if (missing.length > 0)
    return {
      usage: { file, rows: [] },
      problems: [
        {
          file,
          line: header.line,
          col: 1,
          message: `the header has no ${missing.join(', ')} column`,
          hint: COLUMNS_HINT,
        },
      ],
    };
  const problems: UsageProblem[] = [];
  return finish(file, csvRows(file, header, records, columns, problems), problems);
}

const JSON_HINT =
  'write [{"key": …, "environment": …, "last_evaluated": …, "count": …}] or {"since": …, "rows": [...]}';

function parseJson(file: string, text: string): ParsedUsage {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Newer Node versions leave the position out of the message; the yaml parser (JSON is YAML
    // 1.2) then says where the text breaks.
    const position = /position (\d+)/.exec(message)?.[1];
    const yamlError = parseDocument(text, { version: '1.2' }).errors[0];
    const at =
      position !== undefined
        ? positionOf(text, Number(position))
        : yamlError?.linePos
          ? { line: yamlError.linePos[0].line, col: yamlError.linePos[0].col }
          : { line: 1, col: 1 };
    return {
      usage: { file, rows: [] },
      problems: [
        {
          file,
          ...at,
          message: `not valid JSON: ${message.replace(/ in JSON at position.*$/, '')}`,
          hint: JSON_HINT,
        },
      ],
    };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, version: '1.2', uniqueKeys: false });
  const at = (node: YamlNode | null | undefined) => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    return { line: pos.line, col: pos.col };
  };
  let list: unknown = doc.contents;
  let since: Cell | undefined;
  if (isMap(list)) {
    const top = list;
    const sinceNode = top.get('since', true);
    if (isScalar(sinceNode) && typeof sinceNode.value === 'string')
      since = { value: sinceNode.value, ...at(sinceNode) };
    list = ['rows', 'usage', 'flags', 'data'].map((name) => top.get(name, true)).find((v) => isSeq(v));
  }
  if (!isSeq(list))
    return {
      usage: { file, rows: [] },
      problems: [{ file, ...at(doc.contents), message: 'expected an array of usage rows', hint: JSON_HINT }],
    };
  const rows: RawRow[] = [];
  const problems: UsageProblem[] = [];
  for (const item of list.items) {
    const node = item as YamlNode;
    if (!isMap(node)) {
      problems.push({ file, ...at(node), message: 'expected an object', hint: JSON_HINT });
      continue;
    }
    const values: RawRow['values'] = {};
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const field = FIELD_NAMES[normalizeName(String(pair.key.value))];
      if (!field || values[field]) continue;
      const value = pair.value;
      if (isScalar(value) && (value.value === null || typeof value.value !== 'object'))
        values[field] = { value: value.value === null ? '' : String(value.value), ...at(value) };
      else
        problems.push({
          file,
          ...at(value as YamlNode),
          message: `${String(pair.key.value)} must be a string or a number`,
        });
    }
    rows.push({ line: at(node).line, values });
  }
  return finish(file, rows, problems, since);
}
