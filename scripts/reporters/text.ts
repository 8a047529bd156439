import type { Finding } from '../core/findings/finding.js';
import { type Style, plain } from './style.js';
import { type CheckSummary, plural } from './summary.js';

/** Findings for people: location, code, message, a code frame and the fix. */
export function renderText(
  findings: readonly Finding[],
  summary: CheckSummary,
  readSource: (file: string) => string | undefined,
  style: Style = plain,
): string {
  const out: string[] = [];
  const sources = new Map<string, string[] | undefined>();
  for (const f of findings) {
    const colour = f.severity === 'error' ? style.red : f.severity === 'warning' ? style.yellow : style.cyan;
    out.push(
      `${style.bold(`${f.file}:${f.line}:${f.col}`)} ${colour(f.severity)} ${style.dim(f.code)}  ${f.message}`,
    );
    // Findings about a whole file (too large, not UTF-8 at 1:1, …) get no frame, and their file is not read.
    if (!(f.line === 1 && f.col === 1 && !f.path)) {
      if (!sources.has(f.file)) sources.set(f.file, sourceLines(readSource(f.file)));
      const lines = sources.get(f.file);
      if (lines && lines.length >= f.line) out.push(...codeFrame(lines, f.line, f.col, style));
    }
    if (f.hint) out.push(`   ${style.cyan('fix:')} ${f.hint}`);
    out.push('');
  }
  const verdict =
    summary.errors > 0
      ? style.red(
          `✖ ${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')} in ${plural(summary.filesWithFindings, 'file')}`,
        )
      : summary.warnings > 0
        ? style.yellow(
            `⚠ ${plural(summary.warnings, 'warning')} in ${plural(summary.filesWithFindings, 'file')}`,
          )
        : '✔ no problems';
  const notices = summary.notices > 0 ? `, ${plural(summary.notices, 'notice')}` : '';
  out.push(`${verdict} (${plural(summary.flags, 'flag')} checked, ${summary.cached} from cache${notices})`);
  return `${out.join('\n')}\n`;
}

/** The file's lines; the newline that ends the last line does not start another one. */
function sourceLines(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function codeFrame(lines: readonly string[], line: number, col: number, style: Style): string[] {
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const frame: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' ';
    frame.push(style.dim(` ${marker} ${String(n).padStart(width)} | `) + (lines[n - 1] ?? ''));
    if (n === line)
      frame.push(style.dim(`   ${' '.repeat(width)} | `) + ' '.repeat(Math.max(0, col - 1)) + style.red('^'));
  }
  return frame;
}
