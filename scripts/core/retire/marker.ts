import type { IsoDate } from '../dates.js';
import type { ReasonKind } from './model.js';

/**
 * The hidden marker at the end of every bot pull request body: an HTML comment GitHub does not
 * render, holding what the bot needs to recognise its own pull requests on later runs.
 */

export interface Marker {
  v: 1;
  key: string;
  /** What closing the pull request without merge snoozes (see DueItem.snooze). */
  snooze: string;
  kinds: ReasonKind[];
  /** The `reviewed` date the pull request sets, kept across runs so the branch does not churn daily. */
  reviewed?: IsoDate;
  /** Set when the bot closed the pull request itself: such a close is not a snooze. */
  closed?: 'revived' | 'gone';
}

const PREFIX = '<!-- flags-retire ';
const SUFFIX = ' -->';
const MARKER = /<!-- flags-retire (\{.*?\}) -->/;

export function renderMarker(marker: Marker): string {
  // "<" and ">" escaped so no value can end the comment early.
  const json = JSON.stringify(marker).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  return `${PREFIX}${json}${SUFFIX}`;
}

export function parseMarker(body: string | null | undefined): Marker | undefined {
  const match = body ? MARKER.exec(body) : null;
  if (!match) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(match[1]!);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const m = value as Record<string, unknown>;
  if (m.v !== 1 || typeof m.key !== 'string' || typeof m.snooze !== 'string' || !Array.isArray(m.kinds))
    return undefined;
  const marker: Marker = {
    v: 1,
    key: m.key,
    snooze: m.snooze,
    kinds: m.kinds.filter((k): k is ReasonKind => typeof k === 'string') as ReasonKind[],
  };
  if (typeof m.reviewed === 'string') marker.reviewed = m.reviewed;
  if (m.closed === 'revived' || m.closed === 'gone') marker.closed = m.closed;
  return marker;
}

/** The body with its marker replaced (or appended). */
export function withMarker(body: string, marker: Marker): string {
  const rendered = renderMarker(marker);
  return MARKER.test(body)
    ? body.replace(MARKER, () => rendered)
    : `${body.replace(/\n*$/, '')}\n\n${rendered}\n`;
}
