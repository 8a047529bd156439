import type { IsoDate } from '../dates.js';
import type { Policy } from '../model/policy.js';
import { flagPath, scaffoldFlag } from './flag-template.js';

/** The smaller files of a new flags repository: CODEOWNERS rules, .gitignore entries, example flags. */

/**
 * The hand-written part of a new CODEOWNERS: the owning team owns everything, and by name what
 * decides a verdict or a signature (the policy, the workflows, the toolkit's version in the lockfile,
 * CODEOWNERS itself), so those stay its to approve when the catch-all changes. The managed block
 * (flags codeowners) follows.
 */
export function codeownersRules(owner: string): string {
  const rule = (pattern: string) => `${pattern.padEnd(24)}${owner}`;
  return [
    '# Who must approve changes. GitHub applies the last matching pattern; make code-owner review',
    '# required in branch protection of the default branch.',
    rule('*'),
    '',
    '# What decides a verdict or a signature: the policy, the workflows, the toolkit version in the',
    '# lockfile, the schemas and this file.',
    rule('/flags/_policy.yaml'),
    rule('/.github/'),
    rule('/package.json'),
    rule('/package-lock.json'),
    rule('/schemas/'),
    rule('/CODEOWNERS'),
    '',
  ].join('\n');
}

/** What the toolkit writes that must stay out of git. */
export const IGNORED = ['node_modules/', '.cache/', 'dist/'] as const;

const normalize = (line: string) =>
  line
    .trim()
    .replace(/^\//, '')
    .replace(/\/$/, '')
    .replace(/\/\*\*$/, '');

/** The .gitignore with the entries it lacks appended; the person's lines are kept as they are. */
export function gitignoreText(current: string | undefined): { text: string; added: string[] } {
  const have = new Set((current ?? '').split(/\r?\n/).map(normalize));
  const missing = IGNORED.filter((entry) => !have.has(normalize(entry)));
  if (missing.length === 0) return { text: current ?? '', added: [] };
  const base =
    current === undefined || current === '' ? '' : current.endsWith('\n') ? `${current}\n` : `${current}\n\n`;
  // Comments on lines of their own: in .gitignore a # later in a line is part of the pattern.
  const block = [
    '# The installed toolkit, its caches with the development signing key (.cache/flags/dev-key),',
    '# and the bundles flags build writes: never committed.',
    ...missing,
  ];
  return { text: `${base}${block.join('\n')}\n`, added: [...missing] };
}

/**
 * Two example flags for `--example`, made like `flags new` makes them so they pass `flags check`
 * on the day they are made: a release flag (expires within its type's lifetime) and an
 * operational kill switch (reviewed today).
 */
export function exampleFlags(
  policy: Policy,
  owner: string,
  today: IsoDate,
): { path: string; text: string }[] {
  const release = flagPath('welcome-banner');
  const killSwitch = flagPath('read-only-mode');
  return [
    {
      path: release,
      text: scaffoldFlag({
        file: release,
        key: 'welcome-banner',
        type: 'release',
        owner,
        description: 'Shows the new welcome banner on the dashboard',
        policy,
        today,
      }),
    },
    {
      path: killSwitch,
      text: scaffoldFlag({
        file: killSwitch,
        key: 'read-only-mode',
        type: 'operational',
        owner,
        description: 'Puts the service in read-only mode during incidents and migrations',
        policy,
        today,
      }),
    },
  ];
}
