import { type GitHubClient, writeRetryPolicy } from './client.js';
import { GitHubAPIError } from './errors.js';

/**
 * Every write to GitHub is check-then-act: look at what is there, write only when the wanted state
 * is missing, and after a failure that may have hidden a success (a 5xx, or no answer at all) look
 * again before writing once more. So a write whose answer was lost is never done twice, whether the
 * same run retries it or the next run does. Callers say what "done" looks like (a comment carrying a
 * marker, a label present, a pull request closed); nothing here knows about retirement.
 */

export interface Write<T> {
  /** What the write is, for messages. */
  what: string;
  /** The state when the write is already done (its result), else undefined. Reads only. */
  done: () => Promise<T | undefined>;
  /** The write. */
  act: () => Promise<T>;
}

export interface Written<T> {
  value: T;
  /** Whether this call wrote (false: the state was already there). */
  wrote: boolean;
}

/** An answer that does not tell whether GitHub did the write. */
const unknownOutcome = (error: unknown): error is GitHubAPIError =>
  error instanceof GitHubAPIError && (error.status === 0 || error.status >= 500);

/**
 * Makes the write's state hold. `known` is what the caller already read (e.g. from the list of pull
 * requests): when given, the first look is skipped and `known === undefined` means "not done".
 */
export async function ensureWrite<T>(
  client: GitHubClient,
  write: Write<T>,
  known?: { value: T | undefined },
): Promise<Written<T>> {
  const before = known ? known.value : await write.done();
  if (before !== undefined) return { value: before, wrote: false };
  const { retries, baseMs } = writeRetryPolicy(client);
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await write.act(), wrote: true };
    } catch (error) {
      if (!unknownOutcome(error)) throw error;
      const after = await write.done();
      if (after !== undefined) return { value: after, wrote: true };
      if (attempt >= retries) throw error;
      await new Promise((resolve) => setTimeout(resolve, (attempt + 1) ** 2 * baseMs));
    }
  }
}
