import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubOpenApi, type MatchedRoute } from './openapi.js';

/**
 * A GitHub REST API on 127.0.0.1 for tests, in the manner of GitHub Enterprise Server reached through
 * baseUrl. It keeps state (pull requests, labels, comments, review requests; branches are read from
 * the bare repository that is the tests' origin), answers as GitHub does (including 422 "A pull
 * request already exists"), validates every request against GitHub's OpenAPI description, and
 * injects failures on demand: 403/429 secondary rate limits with retry-after, 404 and 5xx, and the
 * lost answer (the write is done, then answered with a 5xx). It refuses what GitHub refuses beyond
 * the description: bodies over 65,536 characters, titles over 256. It records the issue events the
 * bot reads (closed, reopened, merged, head_ref_deleted), with who caused them.
 */

export interface EmulatorOptions {
  /** The bare repository the tests push to: branches and commits come from it. */
  origin: string;
  owner: string;
  repo: string;
  token?: string;
  /** Login of the token's user: pull requests opened through the API are authored by it. */
  botLogin?: string;
}

export interface Fault {
  method: string;
  /** An OpenAPI path template, e.g. /repos/{owner}/{repo}/pulls. */
  route: string;
  status: 403 | 404 | 429 | 500 | 502 | 503 | 504;
  /**
   * The answer is lost, not the request: the write is done as GitHub would do it, then answered
   * with `status` (a 5xx), as when a proxy or the connection fails after GitHub acted.
   */
  lost?: boolean;
  /** How many matching requests fail. */
  times?: number;
  /** Matching requests let through before the first failure ("mid-run"). */
  after?: number;
  /** Seconds, sent as retry-after (rate limits). */
  retryAfter?: number;
  /** 403 as a primary rate limit (x-ratelimit-remaining: 0) instead of a secondary one. */
  primary?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  route?: string;
  status: number;
  write: boolean;
  fault: boolean;
  /** A write done by the emulator whose answer was a fault (Fault.lost). */
  lost?: boolean;
}

interface Label {
  id: number;
  name: string;
}

export interface EmulatedPull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  mergedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
  author: string;
  labels: Label[];
  requestedUsers: string[];
  requestedTeams: string[];
  reviews: { id: number; user: string; state: string }[];
  comments: { id: number; body: string; user: string }[];
  /** Issue events, oldest first, as GET /repos/{owner}/{repo}/issues/{issue_number}/events lists them. */
  events: { id: number; event: string; actor: string; createdAt: string }[];
  /** How many times a closed pull request was reopened through the API. */
  reopened: number;
}

const SECONDARY =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';

export class GitHubEmulator {
  readonly pulls = new Map<number, EmulatedPull>();
  readonly labels = new Map<string, Label>();
  readonly log: LoggedRequest[] = [];
  /** Requests that did not match GitHub's OpenAPI description, or that the emulator cannot answer. */
  readonly violations: string[] = [];
  private readonly faults: (Fault & { seen: number; failed: number })[] = [];
  private nextNumber = 1;
  private nextId = 1000;
  private clock = Date.parse('2027-01-01T00:00:00Z');
  private server: Server | undefined;
  url = '';

  constructor(readonly options: EmulatorOptions) {}

  get token(): string {
    return this.options.token ?? 'test-token';
  }
  get botLogin(): string {
    return this.options.botLogin ?? 'flags-retire[bot]';
  }

  async start(): Promise<this> {
    githubOpenApi();
    this.server = createServer((req, res) => {
      this.receive(req, res).catch((error: unknown) => {
        this.violations.push(`emulator crashed: ${String(error)}`);
        send(res, 500, { message: 'emulator error' });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, seen: 0, failed: 0 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests logged since `from` (an index into the log), e.g. one run's. */
  since(from: number): LoggedRequest[] {
    return this.log.slice(from);
  }

  /** The writes GitHub did since `from`, including those whose answer was lost. */
  writes(from = 0): LoggedRequest[] {
    return this.since(from).filter((r) => (r.write && !r.fault && r.status < 400) || r.lost === true);
  }

  opened(from = 0): number {
    return this.since(from).filter(
      (r) => r.method === 'POST' && r.route === '/repos/{owner}/{repo}/pulls' && r.status === 201,
    ).length;
  }

  /** GitHub requests per pull request opened, over the requests since `from`. */
  requestsPerOpened(from = 0): number {
    const opened = this.opened(from);
    return opened === 0 ? 0 : this.since(from).length / opened;
  }

  openPulls(): EmulatedPull[] {
    return [...this.pulls.values()].filter((p) => p.state === 'open');
  }

  pullOf(branch: string, state: 'open' | 'closed' | 'all' = 'open'): EmulatedPull[] {
    return [...this.pulls.values()].filter(
      (p) => p.head === branch && (state === 'all' || p.state === state),
    );
  }

  /** A person closes a pull request in the browser (merged or not). */
  close(number: number, merged = false, actor = 'alice'): void {
    const pull = this.mustPull(number);
    pull.state = 'closed';
    pull.closedAt = this.now();
    if (merged) {
      pull.mergedAt = pull.closedAt;
      this.event(pull, 'merged', actor);
    }
    this.event(pull, 'closed', actor);
  }

  /**
   * A person deletes a branch on GitHub. As GitHub does, every pull request of that head records
   * head_ref_deleted, and an open one is closed by it (the close is the deleter's event).
   */
  deleteBranch(branch: string, actor = 'alice'): void {
    execFileSync('git', ['--git-dir', this.options.origin, 'update-ref', '-d', `refs/heads/${branch}`]);
    for (const pull of this.pulls.values()) {
      if (pull.head !== branch) continue;
      this.event(pull, 'head_ref_deleted', actor);
      if (pull.state === 'open') {
        pull.state = 'closed';
        pull.closedAt = this.now();
        this.event(pull, 'closed', actor);
      }
    }
  }

  private event(pull: EmulatedPull, event: string, actor: string): void {
    pull.events.push({ id: this.nextId++, event, actor, createdAt: this.now() });
  }

  /** A person reviews a pull request; GitHub then drops them from the requested reviewers. */
  review(number: number, user: string, state = 'APPROVED'): void {
    const pull = this.mustPull(number);
    pull.reviews.push({ id: this.nextId++, user, state });
    pull.requestedUsers = pull.requestedUsers.filter((u) => u !== user);
    pull.requestedTeams = [];
  }

  private mustPull(number: number): EmulatedPull {
    const pull = this.pulls.get(number);
    if (!pull) throw new Error(`no pull request #${number}`);
    return pull;
  }

  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  // --- git, read from the bare repository ---

  private sha(ref: string): string | undefined {
    try {
      return execFileSync(
        'git',
        ['--git-dir', this.options.origin, 'rev-parse', '--verify', '--quiet', `refs/heads/${ref}^{commit}`],
        {
          encoding: 'utf8',
        },
      ).trim();
    } catch {
      return undefined;
    }
  }

  private commitsBetween(base: string, head: string): number {
    return Number(
      execFileSync(
        'git',
        ['--git-dir', this.options.origin, 'rev-list', '--count', `refs/heads/${base}..refs/heads/${head}`],
        {
          encoding: 'utf8',
        },
      ).trim(),
    );
  }

  // --- HTTP ---

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // GitHub Enterprise Server serves the API under /api/v3.
    if (url.pathname.startsWith('/api/v3/')) url.pathname = url.pathname.slice('/api/v3'.length);
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: LoggedRequest = {
      method,
      path: req.url ?? '/',
      status: 0,
      write: method !== 'GET' && method !== 'HEAD',
      fault: false,
    };
    this.log.push(entry);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, body, headers);
    };
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push(`${method} ${url.pathname}: body is not JSON`);
        return reply(400, { message: 'Problems parsing JSON' });
      }
    }
    const auth = req.headers.authorization ?? '';
    if (
      auth !== `token ${this.token}` &&
      auth !== `Bearer ${this.token}` &&
      auth !== `bearer ${this.token}`
    ) {
      this.violations.push(`${method} ${url.pathname}: not authenticated`);
      return reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const validation = githubOpenApi().validate(method, url.pathname, url.searchParams, body);
    if (!validation.ok) {
      this.violations.push(validation.problem);
      entry.route = validation.route?.template;
      return reply(validation.status === 404 ? 404 : 400, { message: `emulator: ${validation.problem}` });
    }
    const route = validation.route;
    entry.route = route.template;
    const fault = this.faultFor(route);
    if (fault) entry.fault = true;
    if (fault && !fault.lost) return this.replyFault(fault, reply);
    if (route.params.owner !== this.options.owner || route.params.repo !== this.options.repo)
      return reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    const handler = this.handlers[`${route.method} ${route.template}`];
    if (!handler) {
      this.violations.push(`emulator does not implement ${route.method} ${route.template}`);
      return reply(501, { message: `emulator does not implement ${route.method} ${route.template}` });
    }
    const refused = tooLong(route, body);
    const [status, payload, headers] =
      refused ?? handler(route, url.searchParams, body as Record<string, unknown>);
    if (fault) {
      entry.lost = entry.write && status < 400;
      return this.replyFault(fault, reply);
    }
    return reply(status, payload, headers);
  }

  /** Every fault counts every request of its route; the first one due answers it. */
  private faultFor(route: MatchedRoute) {
    let chosen: Fault | undefined;
    for (const fault of this.faults) {
      if (fault.method.toUpperCase() !== route.method || fault.route !== route.template) continue;
      fault.seen++;
      if (chosen || fault.seen <= (fault.after ?? 0) || fault.failed >= (fault.times ?? 1)) continue;
      fault.failed++;
      chosen = fault;
    }
    return chosen;
  }

  private replyFault(
    fault: Fault,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ) {
    if (fault.status === 403 || fault.status === 429) {
      if (fault.primary) {
        const reset = Math.ceil(Date.now() / 1000) + (fault.retryAfter ?? 1);
        return reply(
          fault.status,
          {
            message: 'API rate limit exceeded for installation.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          },
          {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(reset),
          },
        );
      }
      return reply(
        fault.status,
        {
          message: SECONDARY,
          documentation_url:
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        },
        {
          'retry-after': String(fault.retryAfter ?? 1),
        },
      );
    }
    if (fault.status === 404)
      return reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    return reply(fault.status, { message: 'Server Error' });
  }

  // --- the routes the bot uses ---

  private readonly handlers: Record<
    string,
    (
      route: MatchedRoute,
      query: URLSearchParams,
      body: Record<string, unknown>,
    ) => [number, unknown, Record<string, string>?]
  > = {
    'GET /repos/{owner}/{repo}/pulls': (route, query) => {
      const state = query.get('state') ?? 'open';
      const head = query.get('head');
      const base = query.get('base');
      let list = [...this.pulls.values()].filter((p) => state === 'all' || p.state === state);
      if (head) list = list.filter((p) => `${this.options.owner}:${p.head}` === head);
      if (base) list = list.filter((p) => p.base === base);
      const direction = query.get('direction') ?? 'desc';
      list.sort((a, b) => (direction === 'asc' ? a.number - b.number : b.number - a.number));
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
      const page = Number(query.get('page') ?? 1);
      const slice = list.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      const last = Math.max(1, Math.ceil(list.length / perPage));
      if (page < last) {
        const next = new URL(`${this.url}/repos/${route.params.owner}/${route.params.repo}/pulls`);
        for (const [k, v] of query) next.searchParams.set(k, v);
        next.searchParams.set('page', String(page + 1));
        const lastUrl = new URL(next);
        lastUrl.searchParams.set('page', String(last));
        headers.link = `<${next}>; rel="next", <${lastUrl}>; rel="last"`;
      }
      return [200, slice.map((p) => this.render(p)), headers];
    },
    'POST /repos/{owner}/{repo}/pulls': (_route, _query, body) => {
      const head = String(body.head ?? '');
      const base = String(body.base ?? '');
      const invalid = (field: string) =>
        [
          422,
          {
            message: 'Validation Failed',
            errors: [{ resource: 'PullRequest', field, code: 'invalid' }],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
          },
        ] as [number, unknown];
      if (head.includes(':') || !this.sha(head)) return invalid('head');
      if (!this.sha(base)) return invalid('base');
      if (this.pullOf(head).some((p) => p.base === base))
        return [
          422,
          {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${this.options.owner}:${head}.`,
              },
            ],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
          },
        ];
      if (this.commitsBetween(base, head) === 0)
        return [
          422,
          {
            message: 'Validation Failed',
            errors: [
              { resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` },
            ],
          },
        ];
      const now = this.now();
      const pull: EmulatedPull = {
        number: this.nextNumber++,
        title: String(body.title ?? ''),
        body: String(body.body ?? ''),
        head,
        base,
        state: 'open',
        mergedAt: null,
        closedAt: null,
        createdAt: now,
        updatedAt: now,
        author: this.botLogin,
        labels: [],
        requestedUsers: [],
        requestedTeams: [],
        reviews: [],
        comments: [],
        events: [],
        reopened: 0,
      };
      this.pulls.set(pull.number, pull);
      return [201, this.render(pull)];
    },
    'GET /repos/{owner}/{repo}/pulls/{pull_number}': (route) => {
      const pull = this.pulls.get(Number(route.params.pull_number));
      return pull ? [200, this.render(pull)] : [404, { message: 'Not Found' }];
    },
    'PATCH /repos/{owner}/{repo}/pulls/{pull_number}': (route, _query, body) => {
      const pull = this.pulls.get(Number(route.params.pull_number));
      if (!pull) return [404, { message: 'Not Found' }];
      if (typeof body.title === 'string') pull.title = body.title;
      if (typeof body.body === 'string') pull.body = body.body;
      if (body.state === 'closed' && pull.state === 'open') {
        pull.state = 'closed';
        pull.closedAt = this.now();
        this.event(pull, 'closed', this.botLogin);
      } else if (body.state === 'open' && pull.state === 'closed') {
        if (pull.mergedAt)
          return [
            422,
            {
              message: 'Validation Failed',
              errors: [
                {
                  resource: 'PullRequest',
                  code: 'custom',
                  message: 'state cannot be changed. The pull request cannot be reopened.',
                },
              ],
            },
          ];
        pull.state = 'open';
        pull.closedAt = null;
        pull.reopened++;
        this.event(pull, 'reopened', this.botLogin);
      }
      pull.updatedAt = this.now();
      return [200, this.render(pull)];
    },
    'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers': (route, _query, body) => {
      const pull = this.pulls.get(Number(route.params.pull_number));
      if (!pull) return [404, { message: 'Not Found' }];
      const users = (body.reviewers as string[] | undefined) ?? [];
      const teams = (body.team_reviewers as string[] | undefined) ?? [];
      if (users.length === 0 && teams.length === 0)
        return [
          422,
          {
            message:
              'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the repository.',
          },
        ];
      if (users.some((u) => u.toLowerCase() === pull.author.toLowerCase()))
        return [422, { message: 'Review cannot be requested from pull request author.' }];
      for (const u of users) if (!pull.requestedUsers.includes(u)) pull.requestedUsers.push(u);
      for (const t of teams) if (!pull.requestedTeams.includes(t)) pull.requestedTeams.push(t);
      return [201, this.render(pull)];
    },
    'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews': (route, query) => {
      const pull = this.pulls.get(Number(route.params.pull_number));
      if (!pull) return [404, { message: 'Not Found' }];
      const perPage = Number(query.get('per_page') ?? 30);
      return [
        200,
        pull.reviews
          .slice(0, perPage)
          .map((r) => ({ id: r.id, user: { login: r.user }, state: r.state, body: '' })),
      ];
    },
    'POST /repos/{owner}/{repo}/issues/{issue_number}/labels': (route, _query, body) => {
      const pull = this.pulls.get(Number(route.params.issue_number));
      if (!pull) return [404, { message: 'Not Found' }];
      const names = ((body.labels as (string | { name: string })[] | undefined) ?? []).map((l) =>
        typeof l === 'string' ? l : l.name,
      );
      for (const name of names) {
        let label = this.labels.get(name);
        if (!label) {
          label = { id: this.nextId++, name };
          this.labels.set(name, label);
        }
        if (!pull.labels.some((l) => l.name === name)) pull.labels.push(label);
      }
      return [200, pull.labels.map((l) => ({ id: l.id, name: l.name, color: 'ededed', default: false }))];
    },
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': (route) => {
      const pull = this.pulls.get(Number(route.params.issue_number));
      if (!pull) return [404, { message: 'Not Found' }];
      return [200, pull.comments.map((c) => ({ id: c.id, body: c.body, user: { login: c.user } }))];
    },
    'GET /repos/{owner}/{repo}/issues/{issue_number}/events': (route, query) => {
      const pull = this.pulls.get(Number(route.params.issue_number));
      if (!pull) return [404, { message: 'Not Found' }];
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
      const page = Number(query.get('page') ?? 1);
      const events = pull.events.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < pull.events.length) {
        const next = new URL(
          `${this.url}/repos/${route.params.owner}/${route.params.repo}/issues/${pull.number}/events`,
        );
        for (const [k, v] of query) next.searchParams.set(k, v);
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next}>; rel="next"`;
      }
      const full = `${this.options.owner}/${this.options.repo}`;
      return [
        200,
        events.map((e) => ({
          id: e.id,
          node_id: `IE_${e.id}`,
          url: `https://api.github.test/repos/${full}/issues/events/${e.id}`,
          actor: { login: e.actor, id: e.actor.length, type: e.actor.endsWith('[bot]') ? 'Bot' : 'User' },
          event: e.event,
          commit_id: null,
          commit_url: null,
          created_at: e.createdAt,
          performed_via_github_app: null,
        })),
        headers,
      ];
    },
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': (route, _query, body) => {
      const pull = this.pulls.get(Number(route.params.issue_number));
      if (!pull) return [404, { message: 'Not Found' }];
      const comment = { id: this.nextId++, body: String(body.body), user: this.botLogin };
      pull.comments.push(comment);
      return [201, { id: comment.id, body: comment.body, user: { login: comment.user } }];
    },
  };

  private render(pull: EmulatedPull) {
    const full = `${this.options.owner}/${this.options.repo}`;
    const repo = { id: 1, name: this.options.repo, full_name: full, owner: { login: this.options.owner } };
    return {
      id: pull.number * 10,
      number: pull.number,
      state: pull.state,
      title: pull.title,
      body: pull.body,
      html_url: `https://github.test/${full}/pull/${pull.number}`,
      user: { login: pull.author, type: 'Bot' },
      head: {
        ref: pull.head,
        sha: this.sha(pull.head) ?? '0'.repeat(40),
        label: `${this.options.owner}:${pull.head}`,
        repo,
      },
      base: {
        ref: pull.base,
        sha: this.sha(pull.base) ?? '0'.repeat(40),
        label: `${this.options.owner}:${pull.base}`,
        repo,
      },
      labels: pull.labels.map((l) => ({ id: l.id, name: l.name })),
      requested_reviewers: pull.requestedUsers.map((login) => ({ login })),
      requested_teams: pull.requestedTeams.map((slug) => ({ slug, name: slug })),
      merged_at: pull.mergedAt,
      closed_at: pull.closedAt,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      draft: false,
    };
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-github-api-version-selected': '2022-11-28',
    ...headers,
  });
  res.end(text);
}

/** GitHub's limits on text that its OpenAPI description does not state: counted in characters. */
const MAX_BODY = 65_536;
const MAX_TITLE = 256;

function tooLong(route: MatchedRoute, body: unknown): [number, unknown] | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const fields = body as Record<string, unknown>;
  const resource = route.template.includes('/comments') ? 'IssueComment' : 'PullRequest';
  const over = (field: string, max: number) =>
    typeof fields[field] === 'string' && [...(fields[field] as string)].length > max
      ? {
          resource,
          code: 'custom',
          field,
          message: `${field} is too long (maximum is ${max} characters)`,
        }
      : undefined;
  const errors = [over('body', MAX_BODY), over('title', MAX_TITLE)].filter(Boolean);
  if (errors.length === 0) return undefined;
  return [
    422,
    {
      message: 'Validation Failed',
      errors,
      documentation_url: 'https://docs.github.com/rest',
    },
  ];
}

export async function startEmulator(options: EmulatorOptions): Promise<GitHubEmulator> {
  return new GitHubEmulator(options).start();
}
