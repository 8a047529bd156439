import type { Codeowners } from '../codeowners/parse.js';
import type { PolicyPositions } from './analyze-policy.js';
import type { IsoDate } from '../dates.js';
import { compareFindings, finding, type Finding } from '../findings/finding.js';
import type { Policy } from '../model/policy.js';
import { claimBudgetFindings } from '../rules/claim-budget.js';
import { type FlagRule, ruleContext, runRules } from '../rules/context.js';
import { lifecycleRules } from '../rules/lifecycle.js';
import { ownershipRule } from '../rules/ownership.js';
import { type FileResult, tableLocator } from './file-result.js';

export interface RepositoryInput {
  policy: Policy;
  /** Where the policy file sets what repository-wide findings are about; else they are at its start. */
  policyAt?: PolicyPositions;
  files: readonly FileResult[];
  /** Findings made before analysis: the policy, unreadable files, symbolic links. */
  preliminary: readonly Finding[];
  codeowners: Codeowners | undefined;
  today: IsoDate;
  /** With --changed-since: lifecycle errors count only in these files; elsewhere they are warnings. */
  changedFiles?: ReadonlySet<string>;
}

/** Combines per-file results with the rules that need the whole repository, today or CODEOWNERS. */
export function checkRepository(input: RepositoryInput): Finding[] {
  return checkRepositoryInParts(input).findings;
}

/**
 * What checkRepository finds, kept apart by what each part depends on, so a later check can reuse
 * the parts whose inputs did not change (see incremental.ts):
 * - `byFile`: per flag file, everything that depends only on that file, the policy, CODEOWNERS and
 *   today (its own findings, lifecycle, ownership);
 * - `shared`: findings that depend on other files or on no file (duplicates, claim budget,
 *   CODEOWNERS syntax, a missing CODEOWNERS, the preliminary findings).
 */
export interface CheckParts {
  findings: Finding[];
  byFile: Finding[][];
  shared: Finding[];
}

export function checkRepositoryInParts(input: RepositoryInput): CheckParts {
  const rules = fileRules(input.today, input.codeowners);
  const byFile = input.files.map((result) => fileFindings(result, input.policy, rules));
  const shared = [
    ...input.preliminary,
    ...duplicateKeys(keyColumns(input.files)),
    ...claimBudgetFindings(input),
    ...codeownersFindings(input.codeowners, input.files.length),
  ];
  return { findings: finish([...shared, ...byFile.flat()], input.changedFiles), byFile, shared };
}

/** The rules judged per file after the cache: they need today or CODEOWNERS, never other files. */
export function fileRules(today: IsoDate, codeowners: Codeowners | undefined): FlagRule[] {
  const rules: FlagRule[] = [...lifecycleRules(today)];
  if (codeowners) rules.push(ownershipRule(codeowners));
  return rules;
}

/** One file's findings: those of its analysis, then those of the rules that run after the cache. */
export function fileFindings(result: FileResult, policy: Policy, rules: readonly FlagRule[]): Finding[] {
  const out = [...result.findings];
  if (!result.flag) return out;
  runRules(
    rules,
    ruleContext(
      result.file,
      result.flag,
      policy,
      tableLocator(result.positions),
      out,
      (code, at, message, hint, path) => finding(code, result.file, at, message, hint, path),
    ),
  );
  return out;
}

export function codeownersFindings(codeowners: Codeowners | undefined, files: number): Finding[] {
  if (codeowners) return codeowners.findings;
  if (files === 0) return [];
  return [
    finding(
      'ownership/no-codeowners',
      'CODEOWNERS',
      { line: 1, col: 1 },
      'no CODEOWNERS file: flag owners are not asked to review changes',
      'add CODEOWNERS, e.g. with flags codeowners --write',
    ),
  ];
}

/** What the duplicate-key rule needs of a file: its flag's key and where the key is written. */
export interface KeyedFile {
  file: string;
  key?: string;
  at: [number, number];
  archived?: boolean;
}

export const keyOf = (result: FileResult): KeyedFile => {
  // The key's own position when the table has it (every file that passed the schema), else the
  // nearest the table knows, as tableLocator would answer.
  const at = result.positions.key ?? toPair(tableLocator(result.positions)(['key']));
  if (!result.flag) return { file: result.file, at };
  return result.flag.archived === true
    ? { file: result.file, key: result.flag.key, at, archived: true }
    : { file: result.file, key: result.flag.key, at };
};

const toPair = (p: { line: number; col: number }): [number, number] => [p.line, p.col];

/**
 * The same for many files, column by column: the incremental check keeps its snapshot this way,
 * so that reading one costs no object per file.
 */
export interface KeyColumns {
  files: readonly string[];
  /** The flag's key, or null when the file did not pass the schema. */
  keys: readonly (string | null)[];
  /** Line and column of each file's key, two numbers per file. */
  at: readonly number[];
  /** The rows whose flag is archived, ascending (few or none). */
  archived: readonly number[];
}

export function keyColumns(results: readonly FileResult[]): KeyColumns {
  const files: string[] = [];
  const keys: (string | null)[] = [];
  const at: number[] = [];
  const archived: number[] = [];
  for (const result of results) {
    const keyed = keyOf(result);
    if (keyed.archived) archived.push(files.length);
    files.push(keyed.file);
    keys.push(keyed.key ?? null);
    at.push(keyed.at[0], keyed.at[1]);
  }
  return { files, keys, at, archived };
}

export function duplicateKeys({ files, keys, at, archived }: KeyColumns): Finding[] {
  const retired = new Set(archived);
  // Most keys are unique: remember the first file of each, and lists only for repeated keys.
  const first = new Map<string, number>();
  const repeated = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === null || key === undefined) continue;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, i);
    else {
      const list = repeated.get(key);
      if (list) list.push(i);
      else repeated.set(key, [seen, i]);
    }
  }
  const out: Finding[] = [];
  for (const [key, rows] of repeated) {
    // An archived flag holds its key for good: it comes first, and every other file is a reuse.
    const sorted = [...rows].sort(
      (a, b) => Number(retired.has(b)) - Number(retired.has(a)) || (files[a]! < files[b]! ? -1 : 1),
    );
    const holder = sorted[0]!;
    for (const dup of sorted.slice(1)) {
      if (retired.has(holder)) {
        out.push(
          finding(
            'model/archived-key-reused',
            files[dup]!,
            { line: at[2 * dup]!, col: at[2 * dup + 1]! },
            `key "${key}" belongs to the archived flag in ${files[holder]}; an archived key is never used again`,
            `give this flag a key of its own (e.g. "${key}-v2") and name its file after it; ${files[holder]} stays as the record of the old flag`,
            'key',
          ),
        );
        continue;
      }
      out.push(
        finding(
          'model/duplicate-key',
          files[dup]!,
          { line: at[2 * dup]!, col: at[2 * dup + 1]! },
          `key "${key}" is already declared in ${files[sorted[0]!]}`,
          'give each flag a unique key; keys are global across subfolders',
          'key',
        ),
      );
    }
  }
  return out;
}

/** Applies --changed-since and puts the findings in their reporting order. */
export function finish(findings: Finding[], changed: ReadonlySet<string> | undefined): Finding[] {
  const gated = changed
    ? findings.map((f) =>
        demote(f, changed)
          ? { ...f, severity: 'warning' as const, message: `${f.message} (not changed here)` }
          : f,
      )
    : findings;
  return gated.sort(compareFindings);
}

function demote(f: Finding, changed: ReadonlySet<string>): boolean {
  return f.severity === 'error' && f.code.startsWith('lifecycle/') && !changed.has(f.file);
}
