import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRepository, validFlags } from '../../scripts/adapters/repository.js';
import type { Flag } from '../../scripts/core/model/flag.js';
import { findDue } from '../../scripts/core/retire/due.js';
import { parseMarker } from '../../scripts/core/retire/marker.js';
import type { DueItem, PlanInput } from '../../scripts/core/retire/model.js';
import {
  boundText,
  closeComment,
  GITHUB_LIMITS,
  pullRequestBody,
  pullRequestTitle,
} from '../../scripts/core/retire/render.js';
import { FIXTURES } from '../helpers/gitdir.js';

/** What the bot sends stays within GitHub's limits: 65,536 characters of body, 256 of title. */

let policy: PlanInput['policy'];
let gateway: Flag;

beforeAll(async () => {
  const repo = await loadRepository(join(FIXTURES, 'retire', 'repo'), { cacheDir: false, threads: 1 });
  policy = repo.policy;
  gateway = validFlags(repo).find((f) => f.flag.key === 'graphql-gateway')!.flag;
});

/** The expired gateway flag with `count` beta grants in production; `pad` lengthens the first org. */
function expiredWithGrants(count: number, pad = 0, key = gateway.key): DueItem {
  const grants = Array.from({ length: count }, (_, i) => ({
    org: `org_beta${String(i).padStart(6, '0')}${i === 0 ? 'x'.repeat(pad) : ''}`,
    expires: '2027-06-30',
  }));
  const flag: Flag = {
    ...gateway,
    key,
    environments: { ...gateway.environments, production: { enabled: true, default: false, grants } },
  };
  const [item] = findDue({ flags: [{ file: `flags/${key}.yaml`, flag }], policy, today: '2027-03-01' });
  return item!;
}

const body = (item: DueItem) => pullRequestBody(item, { searched: ['.'] });

describe('bounded pull requests', () => {
  it('keeps the body of an expired flag with 1,200 grants under the limit, with a summary and a note', () => {
    const item = expiredWithGrants(1200);
    const text = body(item);
    expect(text.length).toBeLessThanOrEqual(GITHUB_LIMITS.body);
    expect(text).toContain('The release flag `graphql-gateway` expired on **2027-01-15**.');
    expect(text).toContain('#### Grants affected (1200)');
    expect(text).toMatch(/<details>\n<summary>The first (\d+) of 1200<\/summary>/);
    const shown = Number(/The first (\d+) of 1200/.exec(text)![1]);
    expect(shown).toBeGreaterThan(500);
    expect(text.match(/^\| production \|/gm)).toHaveLength(shown);
    expect(text).toContain(
      `> ${1200 - shown} more are not listed: a pull request body holds at most 65,536 characters. The diff of \`flags/graphql-gateway.yaml\` shows every one.`,
    );
    expect(text).toContain('#### Checklist');
    expect(parseMarker(text)).toMatchObject({ key: 'graphql-gateway', snooze: 'expires=2027-01-15' });
  });

  it('lists every grant when the body is exactly at the limit, and cuts at one character more', () => {
    // The most grants whose whole list fits (bodies are always bounded: a cut one has <details>).
    const whole = (n: number) => !body(expiredWithGrants(n)).includes('<details>');
    let count = 1;
    let over = 4096;
    while (over - count > 1) {
      const mid = Math.floor((count + over) / 2);
      if (whole(mid)) count = mid;
      else over = mid;
    }
    const fits = body(expiredWithGrants(count));
    const pad = GITHUB_LIMITS.body - fits.length;
    const exact = body(expiredWithGrants(count, pad));
    expect(exact.length).toBe(GITHUB_LIMITS.body);
    expect(exact).not.toContain('<details>');
    expect(exact.match(/^\| production \|/gm)).toHaveLength(count);

    const cut = body(expiredWithGrants(count, pad + 1));
    expect(cut.length).toBeLessThanOrEqual(GITHUB_LIMITS.body);
    expect(cut).toContain(`<summary>The first`);
    expect(cut).toMatch(/> \d+ more are not listed/);
    expect(parseMarker(cut)?.key).toBe('graphql-gateway');
  });

  it('bounds titles and close comments of very long keys', () => {
    const key = `k${'-long'.repeat(60)}`;
    const item = expiredWithGrants(1, 0, key);
    expect(pullRequestTitle(item).length).toBeLessThanOrEqual(GITHUB_LIMITS.title);
    expect(pullRequestTitle(item)).toMatch(/^chore\(flags\): retire expired flag k-long.*…$/);
    expect(closeComment(key.repeat(300), 'gone').length).toBeLessThanOrEqual(GITHUB_LIMITS.comment - 200);
  });

  it('cuts text with a note, keeps a trailing marker and never splits a surrogate pair', () => {
    const marker = '<!-- flags-retire {"v":1,"key":"k","snooze":"s","kinds":[]} -->\n';
    const cut = boundText(`${'a'.repeat(100)}\n\n${marker}`, 90, ' [cut]');
    expect(cut.length).toBeLessThanOrEqual(90);
    expect(cut.endsWith(` [cut]\n\n${marker}`)).toBe(true);
    expect(boundText('short', 10)).toBe('short');
    const emoji = boundText('ab😀cd', 4);
    expect(emoji).toBe('ab…');
  });
});
