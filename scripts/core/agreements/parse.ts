import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { dayOf } from './instant.js';
import {
  type Agreement,
  type AgreementProblem,
  type AgreementStatus,
  type AgreementsExport,
  STATUS_WORDS,
} from './model.js';
import { mergeLineItem, splitContracts } from './line-items.js';

/**
 * Parses an agreements export, CSV or JSON, into rows. Every problem carries file:line:col and a
 * hint; a row with a problem is left out, and the caller decides whether any problem is fatal (the
 * `retire` command refuses the whole export, since acting on half of it would revoke or keep the
 * wrong grants).
 *
 * CSV: a header row naming the columns (any order, any case): organization, agreement, status and
 * optionally start_date, end_date and contract. Dates are days or timestamps with an offset; a
 * timestamp counts by the UTC date of its instant (instant.ts). JSON: an array of objects with the same fields, or
 * `{ "agreements": [...] }`.
 */

export interface ParsedAgreements extends AgreementsExport {
  problems: AgreementProblem[];
}

type Field = 'org' | 'agreement' | 'status' | 'startDate' | 'endDate' | 'contract';

const FIELD_NAMES: Readonly<Record<string, Field>> = {
  organization: 'org',
  org: 'org',
  organizationid: 'org',
  orgid: 'org',
  agreement: 'agreement',
  agreementreference: 'agreement',
  agreementref: 'agreement',
  agreementid: 'agreement',
  reference: 'agreement',
  status: 'status',
  state: 'status',
  startdate: 'startDate',
  start: 'startDate',
  starts: 'startDate',
  startson: 'startDate',
  effective: 'startDate',
  effectivedate: 'startDate',
  effectivefrom: 'startDate',
  begins: 'startDate',
  enddate: 'endDate',
  end: 'endDate',
  ends: 'endDate',
  endson: 'endDate',
  expires: 'endDate',
  expiry: 'endDate',
  contract: 'contract',
  contracts: 'contract',
  sku: 'contract',
  skus: 'contract',
  plan: 'contract',
  plans: 'contract',
  product: 'contract',
  products: 'contract',
};

const REQUIRED: readonly Field[] = ['org', 'agreement', 'status'];
const normalizeName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

export function parseAgreements(file: string, text: string): ParsedAgreements {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const json = /\.json$/i.test(file) || (!/\.csv$/i.test(file) && /^\s*[[{]/.test(body));
  return json ? parseJson(file, body) : parseCsv(file, body);
}

interface RawRow {
  line: number;
  values: Partial<Record<Field, { value: string; line: number; col: number }>>;
}

function finish(file: string, rows: RawRow[], problems: AgreementProblem[]): ParsedAgreements {
  const agreements: Agreement[] = [];
  const seen = new Map<string, Agreement>();
  for (const row of rows) {
    const problem = (at: { line: number; col: number }, message: string, hint?: string) =>
      problems.push({ file, line: at.line, col: at.col, message, ...(hint ? { hint } : {}) });
    const rowStart = { line: row.line, col: 1 };
    const missing = REQUIRED.filter((f) => !row.values[f] || row.values[f]!.value.trim() === '');
    if (missing.length > 0) {
      problem(
        rowStart,
        `row has no ${missing.join(', ')}`,
        'every row needs organization, agreement and status',
      );
      continue;
    }
    const org = row.values.org!.value.trim();
    const reference = row.values.agreement!.value.trim();
    const statusCell = row.values.status!;
    const rawStatus = statusCell.value.trim();
    const status: AgreementStatus | undefined = STATUS_WORDS[rawStatus.toLowerCase()];
    if (!status) {
      problem(
        statusCell,
        `unknown status "${rawStatus}"`,
        `use one of ${Object.keys(STATUS_WORDS).join(', ')}`,
      );
      continue;
    }
    const agreement: Agreement = { org, agreement: reference, status, rawStatus, line: row.line };
    let readable = true;
    for (const [field, name] of [
      ['startDate', 'start date'],
      ['endDate', 'end date'],
    ] as const) {
      const cell = row.values[field];
      const text = cell?.value.trim() ?? '';
      if (text === '') continue;
      const day = dayOf(text);
      if (!day.ok) {
        problem(cell!, `${name} "${text}" ${day.problem}`, day.hint);
        readable = false;
        break;
      }
      agreement[field] = day.day;
    }
    if (!readable) continue;
    if (agreement.startDate && agreement.endDate && agreement.startDate > agreement.endDate) {
      problem(
        row.values.startDate!,
        `agreement ${reference} of ${org} starts on ${agreement.startDate}, after it ends on ${agreement.endDate}`,
        'fix the start or the end date in the export',
      );
      continue;
    }
    const contracts = splitContracts(row.values.contract?.value ?? '');
    if (contracts.length > 0) agreement.contract = contracts[0];
    if (contracts.length > 1) agreement.contracts = contracts;
    const id = `${org}\0${reference}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      // A line item: the same agreement once per product.
      const why = mergeLineItem(earlier, agreement);
      if (why !== undefined)
        problem(
          rowStart,
          `agreement ${reference} of ${org} is listed twice (also on line ${earlier.line}) and ${why}`,
          'export each agreement once, or once per product with the same status and end date',
        );
      continue;
    }
    seen.set(id, agreement);
    agreements.push(agreement);
  }
  return { file, agreements, problems };
}

// --- CSV (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes) ---

interface CsvCell {
  value: string;
  line: number;
  col: number;
}

/**
 * The records under a CSV header as rows of named cells (the first cell of a field wins); a record
 * with another number of fields than the header is a problem at its line, and left out.
 */
export function csvRows<F extends string>(
  file: string,
  header: { cells: CsvCell[] },
  records: readonly { cells: CsvCell[]; line: number }[],
  columns: readonly (F | undefined)[],
  problems: AgreementProblem[],
): { line: number; values: Partial<Record<F, CsvCell>> }[] {
  const rows: { line: number; values: Partial<Record<F, CsvCell>> }[] = [];
  for (const record of records) {
    if (record.cells.length !== header.cells.length) {
      problems.push({
        file,
        line: record.line,
        col: 1,
        message: `row has ${record.cells.length} fields; the header has ${header.cells.length}`,
        hint: 'quote fields that contain the delimiter',
      });
      continue;
    }
    const values: Partial<Record<F, CsvCell>> = {};
    record.cells.forEach((cell, i) => {
      const field = columns[i];
      if (field && !values[field]) values[field] = cell;
    });
    rows.push({ line: record.line, values });
  }
  return rows;
}

export function splitCsv(
  text: string,
  delimiter: string,
): { cells: CsvCell[]; line: number }[] | AgreementProblem {
  const records: { cells: CsvCell[]; line: number }[] = [];
  let cells: CsvCell[] = [];
  let line = 1;
  let col = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  let atRecordStart = true;
  while (i <= n) {
    if (atRecordStart) {
      recordLine = line;
      atRecordStart = false;
    }
    const cellLine = line;
    const cellCol = col;
    let value = '';
    if (text[i] === '"') {
      i++;
      col++;
      for (;;) {
        if (i >= n)
          return { file: '', line: cellLine, col: cellCol, message: 'quoted field is never closed' };
        const ch = text[i]!;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            col += 2;
            continue;
          }
          i++;
          col++;
          break;
        }
        value += ch;
        if (ch === '\n') {
          line++;
          col = 1;
        } else col++;
        i++;
      }
      if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r')
        return { file: '', line, col, message: 'unexpected text after a closing quote' };
    } else {
      while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        value += text[i];
        i++;
        col++;
      }
    }
    cells.push({ value, line: cellLine, col: cellCol });
    if (i < n && text[i] === delimiter) {
      i++;
      col++;
      continue;
    }
    // End of record.
    if (!(cells.length === 1 && cells[0]!.value === '')) records.push({ cells, line: recordLine });
    cells = [];
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    else if (i >= n) break;
    line++;
    col = 1;
    atRecordStart = true;
    if (i >= n) break;
  }
  return records;
}

function parseCsv(file: string, text: string): ParsedAgreements {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = [',', ';', '\t'].reduce((best, d) =>
    firstLine.split(d).length > firstLine.split(best).length ? d : best,
  );
  const split = splitCsv(text, delimiter);
  if (!Array.isArray(split)) return { file, agreements: [], problems: [{ ...split, file }] };
  const [header, ...records] = split;
  if (!header) {
    return {
      file,
      agreements: [],
      problems: [
        { file, line: 1, col: 1, message: 'the export is empty', hint: 'export at least a header row' },
      ],
    };
  }
  const columns: (Field | undefined)[] = header.cells.map((c) => FIELD_NAMES[normalizeName(c.value)]);
  const problems: AgreementProblem[] = [];
  const missing = REQUIRED.filter((f) => !columns.includes(f));
  if (missing.length > 0) {
    problems.push({
      file,
      line: header.line,
      col: 1,
      message: `the header has no ${missing.join(', ')} column`,
      hint: 'name the columns organization, agreement, status and optionally end_date, contract',
    });
    return { file, agreements: [], problems };
  }
  return finish(file, csvRows(file, header, records, columns, problems), problems);
}

// --- JSON, with positions from the yaml parser (JSON is YAML 1.2) ---

function parseJson(file: string, text: string): ParsedAgreements {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
    const at = positionOf(text, offset);
    return {
      file,
      agreements: [],
      problems: [
        { file, ...at, message: `not valid JSON: ${message.replace(/ in JSON at position.*$/, '')}` },
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
  if (isMap(list)) list = list.get('agreements', true);
  if (!isSeq(list)) {
    return {
      file,
      agreements: [],
      problems: [
        {
          file,
          ...at(doc.contents),
          message: 'expected an array of agreements',
          hint: 'write [{"organization": …, "agreement": …, "status": …, "end_date": …}] or {"agreements": [...]}',
        },
      ],
    };
  }
  const rows: RawRow[] = [];
  const problems: AgreementProblem[] = [];
  for (const item of list.items) {
    const node = item as YamlNode;
    if (!isMap(node)) {
      problems.push({
        file,
        ...at(node),
        message: 'expected an object',
        hint: 'each agreement is an object',
      });
      continue;
    }
    const values: RawRow['values'] = {};
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const field = FIELD_NAMES[normalizeName(String(pair.key.value))];
      if (!field || values[field]) continue;
      const value = pair.value;
      if (isScalar(value) && (value.value === null || typeof value.value !== 'object')) {
        values[field] = { value: value.value === null ? '' : String(value.value), ...at(value) };
      } else {
        problems.push({
          file,
          ...at(value as YamlNode),
          message: `${String(pair.key.value)} must be a string`,
        });
      }
    }
    rows.push({ line: at(node).line, values });
  }
  return finish(file, rows, problems);
}

export function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}
