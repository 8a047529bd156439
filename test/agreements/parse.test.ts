import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasEnded, isInForce } from '../../scripts/core/agreements/model.js';
import { parseAgreements } from '../../scripts/core/agreements/parse.js';
import { FIXTURES } from '../helpers/gitdir.js';

const parseFixture = (name: string, file: string) =>
  parseAgreements(
    `${name}/${file}`,
    readFileSync(join(FIXTURES, 'retire', 'agreements', name, file), 'utf8'),
  );

describe('parsing an agreements export', () => {
  it('reads CSV with a BOM, CRLF, quotes, any header spelling and timestamps', () => {
    const parsed = parseFixture('valid-csv', 'agreements.csv');
    expect(parsed.problems).toEqual([]);
    expect(parsed.agreements).toEqual([
      {
        org: 'org_globex7731',
        agreement: 'MSA-2024-0117',
        status: 'active',
        rawStatus: 'Active',
        contract: 'SKU-ANALYTICS-PRO',
        line: 2,
      },
      {
        org: 'org_umbrella5521',
        agreement: 'MSA-2025-0088',
        status: 'ended',
        rawStatus: 'Terminated',
        endDate: '2026-10-31',
        contract: 'SKU-ANALYTICS-PRO',
        line: 3,
      },
      {
        org: 'org_hooli40921',
        agreement: 'TRIAL-2026-0097',
        status: 'active',
        rawStatus: 'active',
        endDate: '2026-12-31',
        line: 4,
      },
    ]);
  });

  it('reads semicolon-separated CSV with the delimiter inside quotes', () => {
    const parsed = parseFixture('semicolon-csv', 'agreements.csv');
    expect(parsed.problems).toEqual([]);
    expect(parsed.agreements.map((a) => [a.agreement, a.status, a.endDate])).toEqual([
      ['MSA-2026-0012', 'active', '2027-12-31'],
      ['SUP-2026-1187; migration', 'ended', '2027-01-31'],
    ]);
  });

  it('reads JSON, as an array or under "agreements", with the lines of its objects', () => {
    const parsed = parseFixture('valid-json', 'agreements.json');
    expect(parsed.problems).toEqual([]);
    expect(parsed.agreements.map((a) => [a.org, a.status, a.endDate, a.contract, a.line])).toEqual([
      ['org_globex7731', 'active', undefined, undefined, 3],
      ['org_initech2210', 'ended', '2026-06-30', 'SKU-ANALYTICS-PRO', 4],
    ]);
  });

  it.each([
    ['bad-status', 'agreements.csv', 3, 32, 'unknown status "on hold"'],
    ['bad-date', 'agreements.csv', 2, 38, 'end date "31/10/2026" is not a date'],
    ['missing-column', 'agreements.csv', 1, 1, 'the header has no agreement column'],
    ['field-count', 'agreements.csv', 2, 1, 'row has 5 fields; the header has 4'],
    [
      'duplicate',
      'agreements.csv',
      4,
      1,
      'agreement MSA-2025-0088 of org_umbrella5521 is listed twice (also on line 2)',
    ],
    ['bad-json', 'agreements.json', 3, 40, "not valid JSON: Expected ',' or '}' after property value"],
    ['not-array', 'agreements.json', 1, 1, 'expected an array of agreements'],
  ])('reports %s at file:line:col', (name, file, line, col, message) => {
    const parsed = parseFixture(name, file);
    expect(parsed.problems[0]).toMatchObject({ file: `${name}/${file}`, line, col });
    expect(parsed.problems[0]!.message).toContain(message);
    expect(parsed.problems[0]!.hint ?? 'hint').not.toBe('');
  });
});

describe('whether an agreement has ended', () => {
  it('ends by status, or after its end date (inclusive)', () => {
    expect(hasEnded({ status: 'ended' }, '2026-01-01')).toBe(true);
    expect(hasEnded({ status: 'active', endDate: '2026-12-31' }, '2026-12-31')).toBe(false);
    expect(hasEnded({ status: 'active', endDate: '2026-12-31' }, '2027-01-01')).toBe(true);
    expect(isInForce({ status: 'pending' }, '2027-01-01')).toBe(false);
    expect(isInForce({ status: 'active' }, '2027-01-01')).toBe(true);
  });
});
