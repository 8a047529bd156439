import { LineCounter, Parser } from 'yaml';
import { type Finding, finding, type Position, START } from '../findings/finding.js';
import { composeDocument } from './compose-document.js';
import { composeFast } from './compose-fast.js';
import type { YamlNode } from './positions.js';
import { firstUnprintable, unprintableFinding } from './printable.js';
import { decodeUtf8 } from './utf8.js';

export { MAX_NESTING } from './compose-document.js';
export { isPlainScalarAt, locate, type PathSegment } from './positions.js';

/**
 * Turns the bytes of a YAML file into a plain value, refusing every hazard before it can matter:
 * oversized input, bad encoding, characters YAML does not allow (checked here, before either way of
 * composing, so the fast composer and the Composer path cannot differ on them), duplicate keys, anchors and aliases, explicit tags, and keys that
 * poison JavaScript objects. Only one YAML parser is used anywhere in the toolkit (the `yaml`
 * package, YAML 1.2 core schema), so no two parsers can disagree about a file.
 */

export interface LoadedYaml {
  text: string;
  lines: LineCounter;
  value: unknown;
  /** Where each node starts, for `locate` and `isPlainScalarAt`. */
  tree: YamlNode;
}

export interface LoadResult {
  loaded?: LoadedYaml;
  findings: Finding[];
  /** The file holds no document at all: nothing, or only comments. */
  empty?: true;
}

export function loadYaml(file: string, bytes: Uint8Array, maxBytes: number): LoadResult {
  if (bytes.length > maxBytes) {
    return fail(
      finding(
        'file/too-large',
        file,
        START,
        `file is ${bytes.length} bytes, over the cap of ${maxBytes}`,
        'split the flag or raise limits.maxFileBytes in the policy',
      ),
    );
  }
  const decoded = decodeUtf8(bytes);
  if ('badOffset' in decoded) {
    const before = new TextDecoder().decode(bytes.subarray(0, decoded.badOffset));
    return fail(
      finding(
        'file/not-utf8',
        file,
        positionInText(before, before.length),
        `byte 0x${bytes[decoded.badOffset]?.toString(16).padStart(2, '0')} at offset ${decoded.badOffset} is not UTF-8`,
        'save the file as UTF-8',
      ),
    );
  }
  const unprintable = firstUnprintable(decoded.text);
  if (unprintable !== -1) return fail(unprintableFinding(file, decoded.text, unprintable));
  try {
    return parseText(file, decoded.text);
  } catch (error) {
    // The parser recurses per nesting level; pathological nesting ends here rather than in a crash.
    const reason = error instanceof RangeError ? 'nesting is too deep' : String(error);
    return fail(
      finding('yaml/syntax', file, START, `cannot parse YAML: ${reason}`, 'simplify the file structure'),
    );
  }
}

/**
 * One parse, then one of two ways to compose it: ordinary flag files straight into the value
 * (compose-fast.ts), everything else through yaml's Composer and the hazard checks. The fast way
 * only takes files the Composer path would load without a finding, into the same value and positions.
 */
function parseText(file: string, text: string): LoadResult {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const fast = composeFast(tokens);
  if (fast) return { loaded: { text, lines, value: fast.value, tree: fast.tree }, findings: [] };
  return composeDocument(file, text, lines, tokens);
}

function fail(f: Finding): LoadResult {
  return { findings: [f] };
}

export function positionInText(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}
