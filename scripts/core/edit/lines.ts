/**
 * Line arithmetic over YAML source text, so that edits remove or replace whole lines and leave every
 * other byte as it was.
 */

export const lineStartOf = (text: string, offset: number): number => text.lastIndexOf('\n', offset - 1) + 1;

/** Offset just past the newline that ends the line containing `offset` (or the end of the text). */
export function lineEndOf(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

/** The line before the one starting at `lineStart`, as [start, end), or undefined at the top. */
export function previousLine(text: string, lineStart: number): [number, number] | undefined {
  if (lineStart === 0) return undefined;
  return [lineStartOf(text, lineStart - 1), lineStart];
}

/** The line starting at `lineStart`, as [start, end), or undefined past the end. */
export function lineAt(text: string, lineStart: number): [number, number] | undefined {
  if (lineStart >= text.length) return undefined;
  return [lineStart, lineEndOf(text, lineStart)];
}

/** The indentation of a line holding only a comment, or undefined for any other line. */
export function commentIndent(text: string, [start, end]: [number, number]): number | undefined {
  const line = text.slice(start, end).replace(/\r?\n$/, '');
  const match = /^( *)#/.exec(line);
  return match ? match[1]!.length : undefined;
}

/** Whether only spaces stand between the start of the line and `offset`. */
export const onlySpacesBefore = (text: string, offset: number): boolean =>
  /^ *$/.test(text.slice(lineStartOf(text, offset), offset));

export interface Span {
  start: number;
  end: number;
}

/** Removes spans (which must not overlap) from the text. */
export function removeSpans(text: string, spans: readonly Span[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const span of sorted) {
    if (span.start < at) throw new Error('overlapping edits');
    out += text.slice(at, span.start);
    at = span.end;
  }
  return out + text.slice(at);
}
