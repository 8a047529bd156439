import { describe, expect, it } from 'vitest';
import { usageByKey, usageEvidence } from '../../scripts/core/usage/model.js';
import { parseUsage } from '../../scripts/core/usage/parse.js';

/** The usage export as metrics backends give it: CSV or JSON, loose column names, exact errors. */

describe('parseUsage', () => {
  it('reads CSV with OpenTelemetry attribute names, a day per timestamp (UTC) and counts', () => {
    const { usage, problems } = parseUsage(
      'usage.csv',
      'feature_flag.key;deployment.environment;last_seen;evaluations\nnew-search;production;2027-03-01T00:30:00+02:00;12\nnew-search;staging;;0\n',
    );
    expect(problems).toEqual([]);
    expect(usage).toEqual({
      file: 'usage.csv',
      since: '2027-02-28',
      rows: [
        { key: 'new-search', environment: 'production', lastEvaluated: '2027-02-28', count: 12, line: 2 },
        { key: 'new-search', environment: 'staging', count: 0, line: 3 },
      ],
    });
  });

  it('reads JSON with since, and keeps an environment named __proto__ as data', () => {
    const { usage, problems } = parseUsage(
      'usage.json',
      JSON.stringify({
        since: '2026-11-01',
        rows: [{ key: 'a', environment: '__proto__', last_evaluated: '2027-01-02', count: 3 }],
      }),
    );
    expect(problems).toEqual([]);
    expect(usage.since).toBe('2026-11-01');
    const a = usageByKey(usage).get('a')!;
    expect(a.lastSeen).toBe('2027-01-02');
    expect([...a.environments.keys()]).toEqual(['__proto__']);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('names file, line and column of each problem', () => {
    const csv = parseUsage(
      'usage.csv',
      'key,environment,last_evaluated,count\na,production,2027-01-02,many\na,staging,2027-01-02T10:00:00,1\nb,production,,5\nc,production,2027-01-02,1\nc,production,2027-01-03,2\n',
    );
    expect(csv.problems.map((p) => [p.line, p.col, p.message])).toEqual([
      [2, 25, 'count "many" is not a whole number'],
      [
        3,
        11,
        'last evaluation "2027-01-02T10:00:00" is a timestamp without a time zone, so its day is unknown',
      ],
      [4, 14, 'flag b was evaluated 5 times in production but has no last evaluation'],
      [6, 1, 'flag c in production is listed twice (also on line 5)'],
    ]);
    expect(parseUsage('usage.csv', 'flag,count\n').problems[0]).toMatchObject({
      line: 1,
      col: 1,
      message: 'the header has no environment, lastEvaluated column',
    });
    expect(parseUsage('usage.json', '[{"key": "a",\n "count": 1]').problems[0]).toMatchObject({
      file: 'usage.json',
      line: 2,
    });
    expect(parseUsage('usage.json', '{"rows": 3}').problems[0]?.message).toBe(
      'expected an array of usage rows',
    );
  });
});

describe('usageEvidence', () => {
  const since = '2026-11-01';
  it('says last seen, with days, and unused only past the policy days', () => {
    const flag = { key: 'a', lastSeen: '2027-01-01', count: 4, environments: new Map() };
    expect(usageEvidence(flag, since, '2027-01-31', 30)).toMatchObject({
      text: 'last seen 2027-01-01 (30 days ago)',
      unused: false,
    });
    expect(usageEvidence(flag, since, '2027-02-01', 30)).toMatchObject({ daysSinceSeen: 31, unused: true });
  });

  it('says never evaluated in the days the export covers', () => {
    expect(usageEvidence(undefined, since, '2026-11-20', 30)).toMatchObject({
      text: 'never evaluated in 19 days (since 2026-11-01)',
      unused: false,
    });
    expect(usageEvidence(undefined, since, '2026-12-01', 30)).toMatchObject({
      neverInDays: 30,
      unused: true,
    });
    expect(usageEvidence(undefined, undefined, '2026-12-01', 30).unused).toBe(false);
  });
});
