/**
 * Instants in statements and keysets: RFC 3339 in UTC to the second, `2026-11-24T12:00:00Z`. One
 * spelling per instant, so signed documents never differ by the way a time was written.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Epoch milliseconds of a canonical instant, or undefined when the text is not one. */
export function parseInstant(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = INSTANT.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || formatInstant(ms) !== text) return undefined;
  return ms;
}

export function formatInstant(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}
