import { type Finding, finding } from '../findings/finding.js';

/**
 * YAML 1.2 allows only printable characters in a stream (c-printable, spec 5.1): tab, line feed,
 * carriage return, x20-x7E, NEL, xA0-xD7FF, xE000-xFFFD and x10000-x10FFFF. A NUL or an escape
 * character written raw into a file is invisible in review (git even shows a file with a NUL byte as
 * binary), and the `yaml` package reads it into the value as it is. One regular expression over the
 * whole decoded text finds the first: a single pass, not a test per scalar.
 */
const UNPRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Offset (UTF-16) of the first character outside YAML's printable set, or -1. */
export function firstUnprintable(text: string): number {
  UNPRINTABLE.lastIndex = 0;
  const match = UNPRINTABLE.exec(text);
  return match === null ? -1 : match.index;
}

/** How many characters outside the printable set the text holds. */
function countUnprintable(text: string, from: number): number {
  UNPRINTABLE.lastIndex = from;
  let n = 0;
  while (UNPRINTABLE.exec(text) !== null) n++;
  return n;
}

const NAMES: Record<number, string> = { 0: 'NUL', 27: 'ESC', 127: 'DEL' };

/** U+0000 (NUL): the character's code point, and its name where it has a well-known one. */
export function describeCharacter(codePoint: number): string {
  const hex = codePoint.toString(16).toUpperCase().padStart(4, '0');
  const name = NAMES[codePoint];
  return name ? `U+${hex} (${name})` : `U+${hex}`;
}

/** Line and column (in UTF-16 units, as every other position) of an offset in a text. */
export function positionAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/** The finding for the first character outside the printable set, counting the others. */
export function unprintableFinding(file: string, text: string, offset: number): Finding {
  const codePoint = text.codePointAt(offset) ?? 0;
  const more = countUnprintable(text, offset + (codePoint > 0xffff ? 2 : 1));
  return finding(
    'file/control-character',
    file,
    positionAt(text, offset),
    `character ${describeCharacter(codePoint)} is not allowed here: only printable characters, tab and line breaks${more > 0 ? ` (${more} more in the file)` : ''}`,
    'delete the character: it cannot be seen in review',
  );
}
