import { FlagsError } from '../../errors.js';

/**
 * Every failure of a GitHub request becomes a GitHubAPIError here, at the edge: the status, the
 * response body and the route, with a message and a hint a person can act on. Nothing past this
 * file sees an Octokit error.
 */
export class GitHubAPIError extends FlagsError {
  readonly status: number;
  readonly body: unknown;
  readonly route: string;
  constructor(route: string, status: number, body: unknown, message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
    this.name = 'GitHubAPIError';
    this.status = status;
    this.body = body;
    this.route = route;
  }

  /** GitHub asked to slow down, or failed on its side: the next run completes the plan. */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500 || this.status === 0 || this.isRateLimit;
  }

  get isRateLimit(): boolean {
    return (this.status === 403 || this.status === 429) && /rate limit/i.test(messageOf(this.body));
  }

  /** 422 "A pull request already exists for owner:branch." */
  get isPullRequestExists(): boolean {
    return this.status === 422 && /pull request already exists/i.test(JSON.stringify(this.body ?? ''));
  }
}

function messageOf(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return String(body.message);
  return typeof body === 'string' ? body : '';
}

function details(body: unknown): string {
  if (!body || typeof body !== 'object' || !('errors' in body) || !Array.isArray(body.errors)) return '';
  const parts = body.errors.map((e: unknown) =>
    e && typeof e === 'object'
      ? 'message' in e && e.message
        ? String(e.message)
        : 'field' in e
          ? `${String(e.field)} ${'code' in e ? String(e.code) : 'invalid'}`
          : ''
      : String(e),
  );
  return parts.filter(Boolean).join('; ');
}

function hintFor(status: number, body: unknown): string {
  const message = messageOf(body);
  if (status === 401) return 'the token is missing, invalid or expired: set GITHUB_TOKEN or pass --token';
  if ((status === 403 || status === 429) && /rate limit/i.test(message))
    return 'GitHub rate limit: the next run continues where this one stopped';
  if (status === 403 && /not accessible by integration|permission/i.test(message))
    return 'the token lacks permissions: the bot needs contents: write and pull-requests: write';
  if (status === 403) return 'the token may not do this; check its permissions and the repository settings';
  if (status === 404) return 'check --repository (owner/name) and that the token can see the repository';
  if (status === 422) return 'GitHub refused the request as invalid; see the details above';
  if (status >= 500 || status === 0)
    return 'GitHub failed or could not be reached: the next run continues where this one stopped';
  return 'see the GitHub response above';
}

/** Wraps any error of a request to `route` (e.g. "POST /repos/{owner}/{repo}/pulls"). */
export function toGitHubAPIError(route: string, error: unknown): GitHubAPIError {
  if (error instanceof GitHubAPIError) return error;
  const e = error as { status?: unknown; message?: unknown; response?: { data?: unknown } } | undefined;
  const status = typeof e?.status === 'number' ? e.status : 0;
  const body = e?.response?.data;
  const base = messageOf(body) || (typeof e?.message === 'string' ? e.message : String(error));
  const extra = details(body);
  const message = `GitHub answered ${status || 'nothing'} to ${route}: ${base}${extra ? ` (${extra})` : ''}`;
  return new GitHubAPIError(route, status, body, message, hintFor(status, body));
}

/** Runs one GitHub call; its failure leaves as a GitHubAPIError. */
export async function github<T>(route: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toGitHubAPIError(route, error);
  }
}
