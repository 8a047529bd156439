/**
 * Polling a bundle's URL the way HTTP caches expect, so hundreds of application instances can poll
 * one origin, object store or CDN cheaply: a conditional request (If-None-Match with the ETag of
 * the bundle being served, else If-Modified-Since with its Last-Modified), no poll before the
 * answer's `Cache-Control: max-age` has run out, waits spread by jitter so a fleet started together
 * does not poll together, and after failures a wait that doubles up to a cap. A 304 answer has no
 * body: it costs no parse and no verification.
 */

/** What identifies the bundle served, as its URL's server named it. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface PollTiming {
  intervalMs: number;
  /** Share of the wait added at random (0 to 1). */
  jitter: number;
  /** Longest wait: caps the backoff and a long max-age. */
  maxIntervalMs: number;
}

export interface PollOutcome {
  failed: boolean;
  /** How long the answer stays fresh (Cache-Control max-age less Age), in ms; 0 when unsaid. */
  freshForMs: number;
}

export const DEFAULT_JITTER = 0.2;
/** A poll not answered in full by then is abandoned (a failure): one hung request never stops a watch. */
export const DEFAULT_POLL_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_INTERVAL_MS = 300_000;

export function validatorsOf(headers: Headers): Validators | undefined {
  const etag = headers.get('etag') ?? undefined;
  const lastModified = headers.get('last-modified') ?? undefined;
  if (etag) return { etag };
  return lastModified ? { lastModified } : undefined;
}

/** The request init with the validators of the bundle served (the ETag wins, as HTTP says). */
export function conditionalInit(
  init: RequestInit | undefined,
  validators: Validators | undefined,
): RequestInit {
  if (!validators) return { ...init };
  const headers = new Headers(init?.headers);
  if (validators.etag) headers.set('if-none-match', validators.etag);
  else if (validators.lastModified) headers.set('if-modified-since', validators.lastModified);
  return { ...init, headers };
}

/** The request init, abandoned after `timeoutMs` (and still when the caller's own signal aborts). */
export function withTimeout(init: RequestInit, timeoutMs: number): RequestInit {
  const timeout = AbortSignal.timeout(timeoutMs);
  return { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout };
}

/** Freshness from `Cache-Control: max-age` less `Age`; 0 for no-store, no-cache or none given. */
export function freshnessMs(headers: Headers): number {
  const directives = (headers.get('cache-control') ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  const maxAge = directives.map((d) => /^max-age="?(\d+)"?$/.exec(d)).find((m) => m)?.[1];
  if (maxAge === undefined) return 0;
  const age = Number(/^\d+$/.test(headers.get('age') ?? '') ? headers.get('age') : 0);
  return Math.max(0, Number(maxAge) - age) * 1000;
}

/**
 * The wait before the next poll: the interval, or longer while the last answer is fresh; after
 * consecutive failures the interval doubled per failure; never over the cap; plus jitter.
 */
export function nextPollDelay(
  timing: PollTiming,
  last: PollOutcome | undefined,
  failures: number,
  random: number,
): number {
  const cap = Math.max(timing.intervalMs, timing.maxIntervalMs);
  const base =
    failures > 0
      ? timing.intervalMs * 2 ** Math.min(failures, 30)
      : Math.max(timing.intervalMs, last?.freshForMs ?? 0);
  return Math.min(cap, base) * (1 + Math.min(1, Math.max(0, timing.jitter)) * random);
}

/** Calls `poll` after each wait until stopped; one poll at a time (timers unref'd where they can be). */
export function startPolling(
  poll: () => Promise<PollOutcome>,
  timing: PollTiming,
  random: () => number = Math.random,
): { stop(): void } {
  let stopped = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (last: PollOutcome | undefined) => {
    if (stopped) return;
    timer = setTimeout(run, nextPollDelay(timing, last, failures, random()));
    (timer as { unref?: () => void }).unref?.();
  };
  const run = () => {
    poll().then(
      (outcome) => {
        failures = outcome.failed ? failures + 1 : 0;
        schedule(outcome);
      },
      () => {
        failures++;
        schedule(undefined);
      },
    );
  };
  schedule(undefined);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
