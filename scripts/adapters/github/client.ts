import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';

/**
 * The Octokit the bot uses: REST methods, with GitHub's recommended throttling (writes spaced out,
 * retry-after honoured for primary and secondary rate limits) and retries with backoff for 5xx
 * answers to reads. The client is made here and passed to everything that talks to GitHub, so tests
 * hand in one pointed at the emulator, exactly as GitHub Enterprise Server is reached through baseUrl.
 *
 * A write is never repeated by the transport: a 5xx (or no answer) to a write does not say whether
 * GitHub did it, and a blind retry posts a comment twice. Writes go through `ensureWrite`
 * (write.ts), which looks at GitHub's state again before it writes once more. A rate limit (403/429)
 * is a refusal, so the throttling plugin still waits it out and retries.
 */

// Annotated so the declaration build need not name the plugins' generated types.
const RetireOctokit: typeof Octokit = Octokit.plugin(retry, throttling);
export type GitHubClient = Octokit;
type ClientOptions = NonNullable<ConstructorParameters<typeof RetireOctokit>[0]>;
type Group = NonNullable<Extract<NonNullable<ClientOptions['throttle']>, { onRateLimit: unknown }>['write']>;

export interface GitHubClientOptions {
  token: string;
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl?: string;
  /** Unit of waiting, in ms: retry-after seconds and the 1, 4, 9 s backoff for 5xx are multiples. */
  retryBaseMs?: number;
  /** Retries of a request that failed with 5xx (default 3). */
  retries?: number;
  /** Retries after a rate limit (default 3). */
  rateLimitRetries?: number;
  /** Give up instead of waiting longer than this for a rate limit (default 900 s). */
  maxRetryAfterSeconds?: number;
  /**
   * Minimum time between two writes. Default: Octokit's, after GitHub's guidance (1 s between writes,
   * 3 s between writes that notify people). Only tests against the emulator lower it.
   */
  minWriteIntervalMs?: number;
  log?: (message: string) => void;
}

/** How often, and how far apart, a write whose answer was lost or failed is looked at and tried again. */
export interface WriteRetryPolicy {
  retries: number;
  baseMs: number;
}

const writePolicies = new WeakMap<GitHubClient, WriteRetryPolicy>();
const DEFAULT_WRITE_POLICY: WriteRetryPolicy = { retries: 3, baseMs: 1000 };

/** The write retry policy of a client made by createGitHubClient (GitHub's defaults otherwise). */
export function writeRetryPolicy(client: GitHubClient): WriteRetryPolicy {
  return writePolicies.get(client) ?? DEFAULT_WRITE_POLICY;
}

const READS = new Set(['GET', 'HEAD']);

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const log = options.log ?? (() => {});
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const maxWait = options.maxRetryAfterSeconds ?? 900;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const retrying = retryCount < rateLimitRetries && retryAfter <= maxWait;
      log(
        `GitHub ${kind} on ${request.method} ${request.url}: ${retrying ? `retrying in ${retryAfter} s` : 'giving up for this run'}`,
      );
      return retrying;
    };
  const pacing =
    options.minWriteIntervalMs === undefined
      ? {}
      : { write: pacer(options.minWriteIntervalMs), notifications: pacer(options.minWriteIntervalMs) };
  const client = new RetireOctokit({
    auth: options.token,
    baseUrl: (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'flags-as-code-retire',
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log(m), error: (m: string) => log(m) },
    retry: { retries: options.retries ?? 3, retryAfterBaseValue: options.retryBaseMs ?? 1000 },
    throttle: {
      ...pacing,
      retryAfterBaseValue: options.retryBaseMs ?? 1000,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
    },
  });
  // Registered last, so it runs before the retry plugin reads the request's own retry count.
  client.hook.before('request', (request) => {
    if (!READS.has(request.method.toUpperCase())) request.request = { ...request.request, retries: 0 };
  });
  writePolicies.set(client, { retries: options.retries ?? 3, baseMs: options.retryBaseMs ?? 1000 });
  return client;
}

/**
 * A limiter with the one method the throttling plugin calls on its write groups: jobs run one at a
 * time, at least `minTime` ms apart.
 */
function pacer(minTime: number): Group {
  let chain: Promise<unknown> = Promise.resolve();
  let last = 0;
  const schedule = (...args: unknown[]) => {
    const [first, ...rest] = args;
    const [job, ...jobArgs] = (typeof first === 'function' ? [first, ...rest] : rest) as [
      (...a: unknown[]) => unknown,
      ...unknown[],
    ];
    const run = chain.then(async () => {
      const wait = last + minTime - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      last = Date.now();
      return job(...jobArgs);
    });
    chain = run.catch(() => {});
    return run;
  };
  const limiter = { schedule };
  return { key: () => limiter } as unknown as Group;
}
