import { CODES, type FindingCode, type Severity } from './codes.js';

export interface Position {
  line: number;
  col: number;
}

/** What every check reports: data, never printed by the code that finds it. */
export interface Finding {
  code: FindingCode;
  severity: Severity;
  file: string;
  line: number;
  col: number;
  /** Dotted path to the value inside the file, e.g. environments.production.grants.0.org */
  path?: string;
  message: string;
  hint?: string;
}

export function finding(
  code: FindingCode,
  file: string,
  at: Position,
  message: string,
  hint?: string,
  path?: string,
): Finding {
  const result: Finding = { code, severity: CODES[code].severity, file, line: at.line, col: at.col, message };
  if (path !== undefined && path !== '') result.path = path;
  if (hint !== undefined) result.hint = hint;
  return result;
}

export const START: Position = { line: 1, col: 1 };

/**
 * The reporting order. Total, so that the order never depends on which rule ran first: a check
 * answered partly from the cache lists its findings exactly as a cold one does.
 */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.col !== b.col) return a.col - b.col;
  return order(a.code, b.code) || order(a.message, b.message) || order(a.path ?? '', b.path ?? '');
}

const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const countBySeverity = (findings: readonly Finding[]) => ({
  errors: findings.filter((f) => f.severity === 'error').length,
  warnings: findings.filter((f) => f.severity === 'warning').length,
});
