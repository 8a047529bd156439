import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { removeGrants } from '../../scripts/core/edit/grants.js';
import { setReviewed } from '../../scripts/core/edit/reviewed.js';
import { FIXTURES } from '../helpers/gitdir.js';

const fixture = (name: string) => {
  const dir = join(FIXTURES, 'retire', 'edit', name);
  return {
    before: readFileSync(join(dir, 'before.yaml'), 'utf8'),
    after: readFileSync(join(dir, 'after.yaml'), 'utf8'),
  };
};

describe('removing grants from a flag file', () => {
  it('removes one grant with its own comment and keeps every other byte', () => {
    const { before, after } = fixture('middle-grant');
    expect(removeGrants(before, [{ env: 'production', index: 1, org: 'org_hooli40921' }])).toBe(after);
  });

  it('keeps the comment above the first grant, which describes the list', () => {
    const { before, after } = fixture('first-grant');
    expect(removeGrants(before, [{ env: 'production', index: 0, org: 'org_initech2210' }])).toBe(after);
  });

  it('removes the grants entry with its comment when the last grant of an environment goes', () => {
    const { before, after } = fixture('all-grants');
    expect(removeGrants(before, [{ env: 'staging', index: 0, org: 'org_initech2210' }])).toBe(after);
  });

  it('takes the comments indented inside a grant with it, and leaves the next grant its own', () => {
    const { before, after } = fixture('inner-comments');
    expect(removeGrants(before, [{ env: 'production', index: 0, org: 'org_globex7731' }])).toBe(after);
  });

  it('keeps CRLF line ends', () => {
    const { before, after } = fixture('crlf');
    expect(removeGrants(before, [{ env: 'production', index: 0, org: 'org_globex7731' }])).toBe(after);
  });

  it('edits a flow list through the Document API, keeping the comments and the data of the rest', () => {
    const { before, after } = fixture('flow-list');
    const edited = removeGrants(before, [{ env: 'production', index: 1, org: 'org_umbrella5521' }]);
    expect(edited).toBe(after);
    const data = parse(edited) as { environments: { production: { grants: unknown[] } } };
    const original = parse(before) as typeof data;
    original.environments.production.grants.splice(1, 1);
    expect(data).toEqual(original);
  });

  it('removes several grants of several environments at once', () => {
    const { before } = fixture('all-grants');
    const edited = removeGrants(before, [
      { env: 'staging', index: 0, org: 'org_initech2210' },
      { env: 'production', index: 0, org: 'org_wayne880142' },
    ]);
    expect(edited).not.toContain('grants:');
    expect(edited).toContain("description: Streams the audit log to the customer's SIEM.\n");
  });

  it('refuses when the grant at that position is another organization', () => {
    const { before } = fixture('middle-grant');
    expect(() => removeGrants(before, [{ env: 'production', index: 1, org: 'org_globex7731' }])).toThrow(
      /grant 1 of production is not org_globex7731/,
    );
  });
});

describe('setting reviewed', () => {
  it('replaces a plain date in place', () => {
    const { before } = fixture('middle-grant');
    expect(setReviewed(before, '2027-03-01')).toBe(
      before.replace('reviewed: 2026-10-15', 'reviewed: 2027-03-01'),
    );
  });

  it('keeps the quotes and the comment on the line', () => {
    const { before, after } = fixture('reviewed-quoted');
    expect(setReviewed(before, '2027-03-01')).toBe(after);
  });

  it('inserts a missing reviewed after the contract', () => {
    const { before, after } = fixture('reviewed-missing');
    expect(setReviewed(before, '2027-03-01')).toBe(after);
  });

  it('changes nothing when the date is already set', () => {
    const { after } = fixture('reviewed-quoted');
    expect(setReviewed(after, '2027-03-01')).toBe(after);
  });
});
