import type { Finding } from '../core/findings/finding.js';

/**
 * GitHub Actions workflow commands: each finding becomes an annotation on the pull request's
 * diff, at its file, line and column.
 */
export function renderGithub(findings: readonly Finding[]): string {
  return findings.map(annotation).join('');
}

export function annotation(
  f: Pick<Finding, 'severity' | 'file' | 'line' | 'col' | 'message' | 'hint'> & { code: string },
): string {
  const level = f.severity;
  const props = `file=${escapeProperty(f.file)},line=${f.line},col=${f.col},title=${escapeProperty(f.code)}`;
  const body = f.hint ? `${f.message}\nfix: ${f.hint}` : f.message;
  return `::${level} ${props}::${escapeData(body)}\n`;
}

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
