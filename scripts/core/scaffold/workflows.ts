// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ }} is a GitHub expression in the workflow text, not a template literal
/**
 * The GitHub workflows of a flags repository: the pull-request gate, the publication of signed
 * bundles and the retirement bot. Each step that runs the toolkit goes through the action
 * (action.yml at the toolkit's root), which runs the `flags` the repository installed from its
 * lockfile. This repository's own workflows are the same texts with the action at `./`; an
 * adopter's use the copy npm installed, so the action and the CLI are always the same version.
 */

/** The toolkit's npm package; an adopter's workflows use the action in its installed copy. */
export const TOOLKIT_PACKAGE = 'flags-as-code';
export const INSTALLED_ACTION = `./node_modules/${TOOLKIT_PACKAGE}`;

export interface WorkflowContext {
  /** The action's path: `./` here, `./node_modules/<toolkit package>` in an adopting repository. */
  action: string;
}

export interface WorkflowFile {
  path: string;
  text: string;
}

// Third-party actions, pinned by commit; the tag is in the comment.
export const CHECKOUT = 'actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0';
export const SETUP_NODE = 'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0';
export const UPLOAD_ARTIFACT = 'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2';
export const DOWNLOAD_ARTIFACT =
  'actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0';
export const CREATE_APP_TOKEN =
  'actions/create-github-app-token@29824e69f54612133e76f7eaac726eef6c875baf # v2.2.1';

export const ADOPTER_WORKFLOWS = {
  pullRequest: '.github/workflows/flags-pr.yml',
  publish: '.github/workflows/flags-publish.yml',
  retire: '.github/workflows/flags-retire.yml',
  reconcile: '.github/workflows/flags-reconcile.yml',
} as const;

/** Checkout without stored credentials, Node, and (unless the action installs) the toolkit from the lockfile. */
const setup = (checkout: readonly string[], install = true): string[] => [
  `      - uses: ${CHECKOUT}`,
  '        with:',
  ...checkout.map((line) => `          ${line}`),
  '          persist-credentials: false',
  `      - uses: ${SETUP_NODE}`,
  '        with:',
  '          node-version: 22',
  '          cache: npm',
  ...(install
    ? [
        '      # The toolkit from the lockfile. No secret or token is in reach of install scripts here.',
        '      - run: npm ci --no-audit --no-fund',
      ]
    : []),
];

/**
 * Refuses to go on unless the run is on the default branch: workflow_dispatch can start the
 * workflow on any branch, and that branch's flags, lockfile and toolkit code must not be signed.
 * Scheduled runs are always on the default branch (their payload does not name it).
 */
const defaultBranchOnly = [
  '      - name: signs the default branch only',
  '        env:',
  '          EVENT: ${{ github.event_name }}',
  '          REF: ${{ github.ref }}',
  '          DEFAULT_BRANCH: ${{ github.event.repository.default_branch }}',
  '        run: |',
  '          if [ "$EVENT" = schedule ]; then exit 0; fi',
  '          if [ -z "$DEFAULT_BRANCH" ] || [ "$REF" != "refs/heads/$DEFAULT_BRANCH" ]; then',
  '            echo "::error title=not the default branch::bundles are signed from the default branch only, not $REF"',
  '            exit 1',
  '          fi',
];

export function pullRequestWorkflow(ctx: WorkflowContext): string {
  return `${[
    '# The pull-request gate of the flags. Make the job "all checks" the required status check in',
    '# branch protection: it passes only when every other job passed, so adding a job never needs a',
    '# settings change.',
    'name: flags pull request',
    '',
    'on:',
    '  pull_request:',
    '',
    '# Nothing by default; each job asks for what it needs.',
    'permissions: {}',
    '',
    'concurrency:',
    '  group: flags-pr-${{ github.event.pull_request.number }}',
    '  cancel-in-progress: true',
    '',
    'jobs:',
    ...flagsGateJob(ctx, true),
    '',
    ...allChecksJob(['flags']),
  ].join('\n')}\n`;
}

/**
 * The job that checks the flags of a pull request; `install` says whether it runs npm ci itself
 * (an adopter's workflow, which uses the action from node_modules) or lets the action do it.
 */
export function flagsGateJob(ctx: WorkflowContext, install: boolean): string[] {
  return [
    '  flags:',
    '    name: flags check and diff',
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 10',
    '    permissions:',
    '      contents: read',
    '    steps:',
    '      # Full history: --changed-since and diff compare with the base branch (origin/<base>), and',
    '      # diff starts from its merge base with the pull request.',
    ...setup(['fetch-depth: 0'], install),
    ...(install
      ? []
      : ['      # No npm ci here: the action installs from the lockfile when node_modules is missing.']),
    '      # Annotations on the changed lines and a summary of findings. Lifecycle errors count only in',
    '      # files this pull request touches; elsewhere they are warnings.',
    '      - name: flags check',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: check',
    '          args: --changed-since origin/${{ github.base_ref }}',
    '      # What the pull request changes, customer access first, in the job summary.',
    '      - name: flags diff',
    '        if: ${{ success() || failure() }}',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: diff',
    '          args: origin/${{ github.base_ref }} HEAD --format markdown',
    '      - name: schemas match the flag model',
    '        if: ${{ success() || failure() }}',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: schemas',
    '          args: --check',
    '      - name: CODEOWNERS makes every flag owner a code owner',
    '        if: ${{ success() || failure() }}',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: codeowners',
    '          args: --check',
  ];
}

export function allChecksJob(needs: readonly string[]): string[] {
  return [
    '  all-checks:',
    '    name: all checks',
    '    if: ${{ always() }}',
    `    needs: [${needs.join(', ')}]`,
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 5',
    '    permissions: {}',
    '    steps:',
    '      - name: every job passed',
    '        env:',
    "          RESULTS: ${{ join(needs.*.result, ' ') }}",
    '        run: |',
    '          echo "job results: $RESULTS"',
    '          for result in $RESULTS; do',
    '            if [ "$result" != success ]; then exit 1; fi',
    '          done',
  ];
}

export function publishWorkflow(ctx: WorkflowContext): string {
  return `${[
    '# Publishes signed flag bundles. On every push to main (and daily, to keep bundles fresh within',
    '# policy.bundles.validForHours): check the flags, build and sign one bundle per environment with',
    "# that environment's key, verify it against the committed keyset, and publish all of them as the",
    '# assets of one GitHub release, marked latest only once every asset is uploaded. Applications fetch',
    '#   https://github.com/<owner>/<repo>/releases/latest/download/<environment>.bundle.json',
    '# and verify it with the runtime package (docs/adopting.md and docs/bundles.md of the toolkit).',
    '#',
    '# Environments: those of the policy (flags environments), so adding one to flags/_policy.yaml adds',
    '# its job. Keys: each GitHub environment of that name holds a secret FLAGS_SIGNING_KEY with that',
    "# environment's private key (a PKCS#8 PEM from `flags keygen`). Restrict each environment's",
    '# deployment branches to the default branch: the first step of each job refuses other branches,',
    "# but a workflow changed on another branch could drop that step; the environment's rule it cannot.",
    'name: publish bundles',
    '',
    'on:',
    '  push:',
    '    branches: [main]',
    '  schedule:',
    '    # Re-signs the same commit: same serial, same content, a fresh issuedAt and expiresAt.',
    '    - cron: "17 4 * * *"',
    '  workflow_dispatch:',
    '',
    '# Nothing by default; each job asks for what it needs.',
    'permissions: {}',
    '',
    '# One publication at a time, in order; never cancel one halfway.',
    'concurrency:',
    '  group: publish-bundles',
    '  cancel-in-progress: false',
    '',
    'jobs:',
    '  check:',
    '    name: flags check',
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 10',
    '    permissions:',
    '      contents: read',
    '    outputs:',
    '      environments: ${{ steps.environments.outputs.environments }}',
    '    steps:',
    ...defaultBranchOnly,
    ...setup([]),
    '      - name: flags check',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: check',
    '      - name: environments of the policy',
    '        id: environments',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: environments',
    '',
    '  build:',
    '    name: build and sign (${{ matrix.environment }})',
    '    needs: check',
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 15',
    "    # Signing jobs read the repository and nothing else; the key is the environment's secret, so",
    '    # a job only ever sees the key of the environment it signs for (and production can require a',
    "    # reviewer in the environment's protection rules).",
    '    permissions:',
    '      contents: read',
    '    environment: ${{ matrix.environment }}',
    '    strategy:',
    '      fail-fast: true',
    '      matrix:',
    '        environment: ${{ fromJSON(needs.check.outputs.environments) }}',
    '    steps:',
    '      # Before anything reads the key.',
    ...defaultBranchOnly,
    '      # Full history: the serial is the first-parent commit count of HEAD.',
    ...setup(['fetch-depth: 0']),
    '      # The key reaches this step only, never install scripts.',
    '      - name: flags build',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: build',
    '          args: --env ${{ matrix.environment }} --require-signing-key --out dist',
    '          signing-key: ${{ secrets.FLAGS_SIGNING_KEY }}',
    '      - name: flags verify (against the committed keyset)',
    `        uses: ${ctx.action}`,
    '        with:',
    '          command: verify',
    '          args: dist/${{ matrix.environment }}.bundle.json --env ${{ matrix.environment }}',
    `      - uses: ${UPLOAD_ARTIFACT}`,
    '        with:',
    '          name: bundle-${{ matrix.environment }}',
    '          path: dist/${{ matrix.environment }}.bundle.json',
    '          if-no-files-found: error',
    '          retention-days: 1',
    '',
    '  publish:',
    '    name: publish the release',
    '    needs: build',
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 10',
    '    # The only job that may write: it creates the release. It holds no signing key.',
    '    permissions:',
    '      contents: write',
    '    steps:',
    `      - uses: ${DOWNLOAD_ARTIFACT}`,
    '        with:',
    '          pattern: bundle-*',
    '          merge-multiple: true',
    '          path: dist',
    '      - name: gh release',
    '        env:',
    '          GH_TOKEN: ${{ github.token }}',
    '        run: |',
    '          set -euo pipefail',
    '          # Every bundle of a run carries the same serial.',
    "          first=$(find dist -name '*.bundle.json' | sort | head -n 1)",
    '          serial=$(jq -r .envelope.payload "$first" | base64 -d | jq -r .serial)',
    '          tag="bundles-${serial}-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}"',
    '          # A draft first: readers of releases/latest keep the previous bundles until every asset is up.',
    '          gh release create "$tag" dist/*.bundle.json --repo "$GITHUB_REPOSITORY" --target "$GITHUB_SHA" \\',
    '            --draft --title "Flag bundles, serial ${serial}" \\',
    '            --notes "Signed flag bundles built from ${GITHUB_SHA} (serial ${serial}). Verify them with flags verify or the runtime package."',
    '          gh release edit "$tag" --repo "$GITHUB_REPOSITORY" --draft=false --latest',
  ].join('\n')}\n`;
}

/** The bot's own token (a GitHub App's, when configured) and the identity its commits carry. */
const botIdentitySteps: string[] = [
  '      - name: GitHub App token',
  '        id: app',
  "        if: ${{ vars.FLAGS_BOT_APP_ID != '' }}",
  `        uses: ${CREATE_APP_TOKEN}`,
  '        with:',
  '          app-id: ${{ vars.FLAGS_BOT_APP_ID }}',
  '          private-key: ${{ secrets.FLAGS_BOT_PRIVATE_KEY }}',
  '',
  '      # Commits are authored and committed by the identity of the token, so GitHub shows the bot',
  '      # and the bot recognises its own commits on later runs.',
  '      - name: bot identity',
  '        id: identity',
  '        env:',
  '          GH_TOKEN: ${{ steps.app.outputs.token }}',
  '          APP_SLUG: ${{ steps.app.outputs.app-slug }}',
  '          AUTHOR: ${{ vars.FLAGS_BOT_AUTHOR }}',
  '        run: |',
  '          if [ -n "$AUTHOR" ]; then',
  '            echo "author=$AUTHOR" >> "$GITHUB_OUTPUT"',
  '          elif [ -n "$APP_SLUG" ]; then',
  '            id=$(gh api "/users/${APP_SLUG}%5Bbot%5D" --jq .id)',
  '            echo "author=${APP_SLUG}[bot] <${id}+${APP_SLUG}[bot]@users.noreply.github.com>" >> "$GITHUB_OUTPUT"',
  '          else',
  '            echo "author=github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>" >> "$GITHUB_OUTPUT"',
  '          fi',
  '',
];

export function retireWorkflow(ctx: WorkflowContext): string {
  return `${[
    '# The retirement bot: once a day, open, update and close the pull requests that retire expired flags',
    '# and expired grants, and that ask owners to confirm overdue reviews (grants of ended agreements are',
    "# flags reconcile's: flags-reconcile.yml).",
    "# How it behaves and how to set up its token: the toolkit's docs/retire.md and docs/adopting.md.",
    '#',
    '# Token. Pull requests opened with the default workflow token (github.token) do NOT trigger',
    '# pull_request workflows, so the pull-request checks never run on them and branch protection',
    '# keeps them unmergeable. Give the bot its own identity, in order of preference:',
    '#   1. a GitHub App (variable FLAGS_BOT_APP_ID, secret FLAGS_BOT_PRIVATE_KEY) with repository',
    '#      permissions Contents: read and write, Pull requests: read and write (and Members: read to',
    '#      ask teams for review);',
    '#   2. a fine-grained personal access token of a machine user (secret FLAGS_BOT_TOKEN) with the',
    '#      same permissions on this repository only.',
    '# Without either, the bot still works with github.token, but someone must close and reopen each',
    '# pull request (or push to it) to start the checks.',
    '#',
    '# No token is on disk or in reach while npm ci runs install scripts: the checkout keeps no',
    '# credentials, the App token is made after the install, and the action gives the token to',
    "# `flags retire` alone (its git pushes authenticate through that step's environment).",
    'name: retire flags',
    '',
    'on:',
    '  schedule:',
    '    # Daily, off the hour (on-the-hour schedules are the ones GitHub delays most).',
    "    - cron: '17 6 * * *'",
    '  workflow_dispatch:',
    '    inputs:',
    '      dry-run:',
    '        description: Print the plan only; push and change nothing',
    '        type: boolean',
    '        default: false',
    '',
    '# Nothing by default; the job asks for what it needs.',
    'permissions: {}',
    '',
    '# One run at a time. The bot is safe against overlapping runs anyway (no duplicate pull requests,',
    '# leased pushes), but there is no point in racing.',
    'concurrency:',
    '  group: flags-retire',
    '  cancel-in-progress: false',
    '',
    'jobs:',
    '  retire:',
    '    name: flags retire',
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 30',
    '    # What the bot needs when github.token is its token: push its branches, open, update and close',
    '    # its pull requests. With an App or FLAGS_BOT_TOKEN configured, contents: read would do.',
    '    permissions:',
    '      contents: write',
    '      pull-requests: write',
    '    steps:',
    '      # Full history: the bot tells its own commits on its branches from commits people added.',
    ...setup(['fetch-depth: 0']),
    '',
    ...botIdentitySteps,
    '      # Optional: the agreements export from the CRM or billing system, for the drift report.',
    '      # Set the variable FLAGS_AGREEMENTS_URL (and the secret FLAGS_AGREEMENTS_TOKEN).',
    '      - name: agreements export',
    "        if: ${{ vars.FLAGS_AGREEMENTS_URL != '' }}",
    '        env:',
    '          URL: ${{ vars.FLAGS_AGREEMENTS_URL }}',
    '          TOKEN: ${{ secrets.FLAGS_AGREEMENTS_TOKEN }}',
    '        run: |',
    '          curl --fail --silent --show-error --location --max-time 60 \\',
    '            --header "Authorization: Bearer $TOKEN" --output "$RUNNER_TEMP/agreements.export" "$URL"',
    '          echo "FLAGS_AGREEMENTS=$RUNNER_TEMP/agreements.export" >> "$GITHUB_ENV"',
    '',
    '      # --apply makes `flags retire` act; --dry-run only prints the plan. GITHUB_REPOSITORY and',
    '      # GITHUB_API_URL (GitHub Enterprise Server too) come from the runner.',
    '      - name: flags retire',
    `        uses: ${ctx.action}`,
    '        env:',
    '          FLAGS_BOT_AUTHOR: ${{ steps.identity.outputs.author }}',
    '        with:',
    '          command: retire',
    "          args: ${{ inputs.dry-run && '--dry-run' || '--apply' }}",
    '          token: ${{ steps.app.outputs.token || secrets.FLAGS_BOT_TOKEN || github.token }}',
  ].join('\n')}\n`;
}

/** The workflows of an adopting repository, with the action from the installed toolkit. */
export function adopterWorkflows(ctx: WorkflowContext): WorkflowFile[] {
  return [
    { path: ADOPTER_WORKFLOWS.pullRequest, text: pullRequestWorkflow(ctx) },
    { path: ADOPTER_WORKFLOWS.publish, text: publishWorkflow(ctx) },
    { path: ADOPTER_WORKFLOWS.retire, text: retireWorkflow(ctx) },
    { path: ADOPTER_WORKFLOWS.reconcile, text: reconcileWorkflow(ctx) },
  ];
}

export function reconcileWorkflow(ctx: WorkflowContext): string {
  const bot = (name: string, condition: string, args: string) => [
    `      - name: ${name}`,
    `        if: ${condition}`,
    `        uses: ${ctx.action}`,
    '        env:',
    '          FLAGS_BOT_AUTHOR: ${{ steps.identity.outputs.author }}',
    '        with:',
    '          command: reconcile',
    `          args: ${args}`,
    '          token: ${{ steps.app.outputs.token || secrets.FLAGS_BOT_TOKEN || github.token }}',
  ];
  return `${[
    "# Customers' agreements drive their access, as reviewed pull requests (one per organization event).",
    '# A CRM or billing relay sends repository_dispatch (types agreements-changed or billing-event) with',
    '# one organization and its agreements, or a Stripe customer.subscription.* event: that organization',
    "# alone is reconciled, within minutes, and no other organization's pull request is touched. The",
    '# daily run from the full agreements export (variable FLAGS_AGREEMENTS_URL, secret',
    "# FLAGS_AGREEMENTS_TOKEN) is the safety net. The relay and its token: the toolkit's docs/contracts.md;",
    '# the bot token: as for the retirement bot (flags-retire.yml, docs/adopting.md).',
    'name: reconcile agreements',
    '',
    'on:',
    '  repository_dispatch:',
    '    types: [agreements-changed, billing-event]',
    '  schedule:',
    "    - cron: '47 5 * * *'",
    '  workflow_dispatch:',
    '    inputs:',
    '      dry-run:',
    '        description: Print the plan only; push and change nothing',
    '        type: boolean',
    '        default: false',
    '',
    '# Nothing by default; the job asks for what it needs.',
    'permissions: {}',
    '',
    "# An organization's events queue in order; different organizations and the full run do not wait",
    '# for each other (the bot is safe against overlapping runs: leased pushes, no duplicate pull requests).',
    'concurrency:',
    '  group: flags-reconcile-${{ github.event.client_payload.organization || github.event_name }}',
    '  cancel-in-progress: false',
    '',
    'jobs:',
    '  reconcile:',
    '    name: flags reconcile',
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 30',
    '    permissions:',
    '      contents: write',
    '      pull-requests: write',
    '    steps:',
    '      # Full history: the bot tells its own commits on its branches from commits people added.',
    ...setup(['fetch-depth: 0']),
    '',
    ...botIdentitySteps,
    '      # The full export, for the scheduled and manual runs.',
    '      - name: agreements export',
    "        if: ${{ github.event_name != 'repository_dispatch' && vars.FLAGS_AGREEMENTS_URL != '' }}",
    '        env:',
    '          URL: ${{ vars.FLAGS_AGREEMENTS_URL }}',
    '          TOKEN: ${{ secrets.FLAGS_AGREEMENTS_TOKEN }}',
    '        run: |',
    '          curl --fail --silent --show-error --location --max-time 60 \\',
    '            --header "Authorization: Bearer $TOKEN" --output "$RUNNER_TEMP/agreements.export" "$URL"',
    '          echo "FLAGS_AGREEMENTS=$RUNNER_TEMP/agreements.export" >> "$GITHUB_ENV"',
    '',
    "      # The relay's event, as GitHub wrote it to the runner (the payload is read as data, never run).",
    ...bot(
      'flags reconcile (one organization)',
      "${{ github.event_name == 'repository_dispatch' }}",
      '--apply --dispatch ${{ github.event_path }}',
    ),
    '',
    ...bot(
      'flags reconcile (the full export)',
      "${{ github.event_name != 'repository_dispatch' && vars.FLAGS_AGREEMENTS_URL != '' }}",
      "${{ inputs.dry-run && '--dry-run' || '--apply' }}",
    ),
  ].join('\n')}\n`;
}
