// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ }} are GitHub expressions in workflow text
import { describe, expect, it } from 'vitest';
import {
  ADOPTER_WORKFLOWS,
  adopterWorkflows,
  flagsGateJob,
  INSTALLED_ACTION,
  publishWorkflow,
  reconcileWorkflow,
  retireWorkflow,
  TOOLKIT_PACKAGE,
} from '../../scripts/core/scaffold/workflows.js';
import { parse } from 'yaml';
import { type Job, parseWorkflow, readRepoFile, type Step, steps, type Workflow } from './support.js';

/**
 * This repository's workflows and the ones `flags init` writes are one text: the same jobs, with the
 * action at ./ here and in node_modules there. Every property below holds for both.
 */

const own = {
  pr: readRepoFile('.github/workflows/pr.yml'),
  publish: readRepoFile('.github/workflows/publish.yml'),
  retire: readRepoFile('.github/workflows/retire.yml'),
  reconcile: readRepoFile('.github/workflows/reconcile.yml'),
};
const adopter = Object.fromEntries(
  adopterWorkflows({ action: INSTALLED_ACTION }).map((w) => [w.path, w.text]),
);
const all: [string, string][] = [
  ['pr.yml', own.pr],
  ['publish.yml', own.publish],
  ['retire.yml', own.retire],
  ['reconcile.yml', own.reconcile],
  ...Object.entries(adopter),
];
const publishes: [string, Workflow][] = [
  ['publish.yml', parseWorkflow(own.publish)],
  ['flags-publish.yml', parseWorkflow(adopter[ADOPTER_WORKFLOWS.publish]!)],
];
const retires: [string, Workflow][] = [
  ['retire.yml', parseWorkflow(own.retire)],
  ['flags-retire.yml', parseWorkflow(adopter[ADOPTER_WORKFLOWS.retire]!)],
];

const isSecret = (value: unknown) =>
  typeof value === 'string' && /secrets\.|\.outputs\.token|github\.token/.test(value);
const stepIndex = (job: Job, match: (s: Step) => boolean) => job.steps.findIndex(match);

describe('this repository runs the workflows it gives adopters', () => {
  it('publish.yml, retire.yml and reconcile.yml are the adopter templates with the action at ./', () => {
    expect(own.publish).toBe(publishWorkflow({ action: './' }));
    expect(own.retire).toBe(retireWorkflow({ action: './' }));
    expect(own.reconcile).toBe(reconcileWorkflow({ action: './' }));
  });

  it("pr.yml's flags job is the adopter's gate, with the action installing the toolkit", () => {
    const job = parse(`jobs:\n${flagsGateJob({ action: './' }, false).join('\n')}\n`).jobs.flags;
    expect(parseWorkflow(own.pr).jobs.flags).toEqual(job);
    expect(parseWorkflow(own.pr).jobs['all-checks']!.needs).toEqual(['test', 'flags']);
  });

  it("the adopter's gate does not depend on this repository's test job", () => {
    const pr = parseWorkflow(adopter[ADOPTER_WORKFLOWS.pullRequest]!);
    expect(Object.keys(pr.jobs).sort()).toEqual(['all-checks', 'flags']);
    expect(pr.jobs['all-checks']!.needs).toEqual(['flags']);
  });
});

describe.each(all)('%s', (_name, text) => {
  const workflow = parseWorkflow(text);

  it('grants nothing at the workflow level; every job declares its own permissions', () => {
    expect(workflow.permissions).toEqual({});
    expect(workflow.env).toBeUndefined();
    for (const job of Object.values(workflow.jobs)) expect(job.permissions).toBeDefined();
  });

  it('pins every third-party action to a full commit SHA with its tag in a comment', () => {
    const uses = text.split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses)
      if (!/uses: \.\//.test(line))
        expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('checks out without keeping credentials in .git/config', () => {
    for (const step of steps(workflow).filter((s) => s.uses?.startsWith('actions/checkout@'))) {
      expect(step.with?.['persist-credentials']).toBe(false);
      expect(step.with?.token).toBeUndefined();
    }
  });

  it('never splices an expression into a shell script', () => {
    for (const step of steps(workflow)) expect(step.run ?? '').not.toContain('${{');
  });

  it('gives no secret or token to npm ci', () => {
    for (const step of steps(workflow).filter((s) => s.run?.includes('npm ci')))
      expect(Object.values(step.env ?? {}).some(isSecret)).toBe(false);
  });

  it('runs the toolkit only through the action, from the lockfile', () => {
    for (const step of steps(workflow))
      expect(step.run ?? '').not.toMatch(/\bnpx\b|\bflags (check|build|retire)/);
  });
});

describe.each(publishes)('%s signs the default branch only', (_name, workflow) => {
  const guard = (job: Job) => stepIndex(job, (s) => s.name === 'signs the default branch only');

  it('starts the check and every signing job with the default-branch guard, before any secret', () => {
    for (const name of ['check', 'build']) {
      const job = workflow.jobs[name]!;
      expect(guard(job)).toBe(0);
      const firstSecret = stepIndex(job, (s) => Object.values({ ...s.with, ...s.env }).some(isSecret));
      expect(firstSecret === -1 || firstSecret > guard(job)).toBe(true);
    }
    const step = workflow.jobs.build!.steps[0]!;
    expect(step.env).toEqual({
      EVENT: '${{ github.event_name }}',
      REF: '${{ github.ref }}',
      DEFAULT_BRANCH: '${{ github.event.repository.default_branch }}',
    });
  });

  it('runs on push to main, daily and on demand', () => {
    expect(workflow.on.push).toEqual({ branches: ['main'] });
    expect(Object.keys(workflow.on).sort()).toEqual(['push', 'schedule', 'workflow_dispatch']);
  });

  it('grants contents: read to check and build, contents: write only to publish', () => {
    expect(workflow.jobs.check!.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.publish!.permissions).toEqual({ contents: 'write' });
  });

  it("checks, then builds with the environment's key given to the build step alone, verifies, publishes", () => {
    const build = workflow.jobs.build!;
    expect(build.needs).toBe('check');
    expect(build.environment).toBe('${{ matrix.environment }}');
    expect(workflow.jobs.publish!.needs).toBe('build');
    const signing = build.steps.filter((s) => Object.values({ ...s.with, ...s.env }).some(isSecret));
    expect(signing).toHaveLength(1);
    expect(signing[0]!.with).toMatchObject({
      command: 'build',
      'signing-key': '${{ secrets.FLAGS_SIGNING_KEY }}',
    });
    expect(String(signing[0]!.with!.args)).toContain('--require-signing-key');
    expect(build.steps.some((s) => s.with?.command === 'verify')).toBe(true);
    expect(
      workflow.jobs.publish!.steps.some((s) =>
        Object.values(s.env ?? {}).some((v) => v.includes('secrets.')),
      ),
    ).toBe(false);
  });

  it('builds every environment of the policy, as flags environments lists them', () => {
    const check = workflow.jobs.check!;
    const step = check.steps.find((s) => s.with?.command === 'environments')!;
    expect(step.id).toBe('environments');
    expect(check.outputs?.environments).toBe('${{ steps.environments.outputs.environments }}');
    expect(workflow.jobs.build!.strategy?.matrix?.environment).toBe(
      '${{ fromJSON(needs.check.outputs.environments) }}',
    );
  });
});

describe.each(retires)('%s', (_name, workflow) => {
  const job = workflow.jobs.retire!;
  const install = stepIndex(job, (s) => s.run?.includes('npm ci') === true);
  const appToken = stepIndex(job, (s) => s.uses?.startsWith('actions/create-github-app-token@') === true);
  const retire = stepIndex(job, (s) => s.with?.command === 'retire');

  it('runs daily and on demand', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(workflow.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
  });

  it('asks, in its one job, for contents: write and pull-requests: write and nothing else', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['retire']);
    expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
  });

  it('installs the toolkit before any token exists, and gives the token to the bot step alone', () => {
    expect(install).toBeGreaterThan(-1);
    expect(appToken).toBeGreaterThan(install);
    expect(retire).toBeGreaterThan(appToken);
    const withToken = job.steps.flatMap((s, i) =>
      Object.entries({ ...s.with, ...s.env }).some(
        ([k, v]) => isSecret(v) && k !== 'private-key' && k !== 'TOKEN',
      )
        ? [i]
        : [],
    );
    // The identity step asks GitHub for the App's user with the App token; the bot step pushes.
    expect(withToken.map((i) => job.steps[i]!.id ?? job.steps[i]!.with?.command)).toEqual([
      'identity',
      'retire',
    ]);
    expect(job.steps[retire]!.with?.token).toBe(
      '${{ steps.app.outputs.token || secrets.FLAGS_BOT_TOKEN || github.token }}',
    );
  });

  it('applies on schedule and prints the plan only when asked for a dry run', () => {
    expect(job.steps[retire]!.with?.args).toBe("${{ inputs.dry-run && '--dry-run' || '--apply' }}");
    expect(job.steps[retire]!.env).toEqual({ FLAGS_BOT_AUTHOR: '${{ steps.identity.outputs.author }}' });
  });
});

const reconciles: [string, Workflow][] = [
  ['reconcile.yml', parseWorkflow(own.reconcile)],
  ['flags-reconcile.yml', parseWorkflow(adopter[ADOPTER_WORKFLOWS.reconcile]!)],
];

describe.each(reconciles)('%s', (_name, workflow) => {
  const job = workflow.jobs.reconcile!;
  const install = stepIndex(job, (s) => s.run?.includes('npm ci') === true);
  const appToken = stepIndex(job, (s) => s.uses?.startsWith('actions/create-github-app-token@') === true);
  const runs = job.steps.flatMap((s, i) => (s.with?.command === 'reconcile' ? [i] : []));

  it("runs on a relay's repository_dispatch, daily from the full export, and on demand", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['repository_dispatch', 'schedule', 'workflow_dispatch']);
    expect(workflow.on.repository_dispatch).toEqual({ types: ['agreements-changed', 'billing-event'] });
    expect(workflow.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
  });

  it('asks, in its one job, for contents: write and pull-requests: write and nothing else', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['reconcile']);
    expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
  });

  it('queues the runs of one organization, apart from other organizations and the full run', () => {
    expect(workflow.concurrency).toEqual({
      group: 'flags-reconcile-${{ github.event.client_payload.organization || github.event_name }}',
      'cancel-in-progress': false,
    });
  });

  it('installs the toolkit before any token exists, and gives the token to the bot steps alone', () => {
    expect(install).toBeGreaterThan(-1);
    expect(appToken).toBeGreaterThan(install);
    expect(runs).toHaveLength(2);
    const withToken = job.steps.flatMap((s, i) =>
      Object.entries({ ...s.with, ...s.env }).some(
        ([k, v]) => isSecret(v) && k !== 'private-key' && k !== 'TOKEN',
      )
        ? [i]
        : [],
    );
    expect(withToken).toEqual([stepIndex(job, (s) => s.id === 'identity'), ...runs]);
    for (const i of runs) {
      expect(i).toBeGreaterThan(appToken);
      expect(job.steps[i]!.with?.token).toBe(
        '${{ steps.app.outputs.token || secrets.FLAGS_BOT_TOKEN || github.token }}',
      );
      expect(job.steps[i]!.env).toEqual({ FLAGS_BOT_AUTHOR: '${{ steps.identity.outputs.author }}' });
    }
  });

  it("reconciles a dispatch's one organization from the event file, and the full export otherwise", () => {
    const [one, full] = runs.map((i) => job.steps[i]!);
    expect(one!.if).toBe("${{ github.event_name == 'repository_dispatch' }}");
    expect(one!.with?.args).toBe('--apply --dispatch ${{ github.event_path }}');
    expect(full!.if).toBe(
      "${{ github.event_name != 'repository_dispatch' && vars.FLAGS_AGREEMENTS_URL != '' }}",
    );
    expect(full!.with?.args).toBe("${{ inputs.dry-run && '--dry-run' || '--apply' }}");
  });
});

describe("the adopter's workflows", () => {
  it('use the action of the installed toolkit, after npm ci installed it', () => {
    expect(INSTALLED_ACTION).toBe(`./node_modules/${TOOLKIT_PACKAGE}`);
    expect(JSON.parse(readRepoFile('package.json')).name).toBe(TOOLKIT_PACKAGE);
    for (const text of Object.values(adopter)) {
      const workflow = parseWorkflow(text);
      for (const job of Object.values(workflow.jobs)) {
        const first = stepIndex(job, (s) => s.uses === INSTALLED_ACTION);
        if (first === -1) continue;
        expect(stepIndex(job, (s) => s.run === 'npm ci --no-audit --no-fund')).toBeLessThan(first);
      }
      expect(
        steps(workflow)
          .filter((s) => s.uses?.startsWith('./'))
          .every((s) => s.uses === INSTALLED_ACTION),
      ).toBe(true);
    }
  });
});
