import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { addDays } from '../scripts/core/dates.js';

/**
 * Writes a large, realistic and valid flags repository for benchmarks and the retirement bot:
 * a policy, CODEOWNERS and `flags` flag files with a realistic mix of types, about five grants each
 * spread over the environments, some in team subfolders. Deterministic for a seed. Valid when
 * checked with `--today 2026-11-24`, except for the `dueShare` of flags made due on purpose
 * (expired, review overdue or an expired grant).
 *
 * CLI: node --import tsx bench/generate-repo.ts <dir> [--flags N] [--due-share X] [--seed S]
 */

export const GENERATED_TODAY = '2026-11-24';

export interface GenerateOptions {
  flags: number;
  /** Average grants per flag over all environments (default 5). */
  grantsPerFlag?: number;
  seed?: number;
  environments?: string[];
  /** Share of flags (0..1) made due: expired, review overdue or with an expired grant (default 0). */
  dueShare?: number;
  /** The date the repository is valid on (default 2026-11-24). */
  today?: string;
}

/** Teams with their own subfolder and CODEOWNERS rule; the rest live at the top of flags/. */
const FOLDER_TEAMS = ['billing', 'growth', 'identity', 'payments', 'search', 'sre'];
const TOP_TEAMS = ['platform', 'analytics', 'data', 'mobile'];
const WORDS = [
  'audit',
  'billing',
  'bulk',
  'cache',
  'checkout',
  'dashboard',
  'export',
  'invoice',
  'ledger',
  'mobile',
  'notify',
  'onboarding',
  'pricing',
  'quota',
  'report',
  'search',
  'session',
  'sync',
  'upload',
  'webhook',
  'workflow',
  'sso',
  'scim',
  'graph',
];
const NOUNS = ['flow', 'panel', 'limits', 'beta', 'v2', 'engine', 'mode', 'api', 'view', 'batch', 'gate'];

/** mulberry32: small, fast and deterministic; the benchmarks and property tests share it. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'entitlement' | 'release' | 'experiment' | 'operational';
type Due = 'expired' | 'overdue' | 'grant-expired';

export function generateRepository(dir: string, options: GenerateOptions): { files: number; bytes: number } {
  const random = rng(options.seed ?? 42);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const today = options.today ?? GENERATED_TODAY;
  const environments = options.environments ?? ['development', 'staging', 'production'];
  const grantsPerFlag = options.grantsPerFlag ?? 5;
  const dueCount = Math.round(options.flags * Math.min(1, Math.max(0, options.dueShare ?? 0)));
  // Spread the due flags evenly through the repository, not all at its start.
  const dueEvery = dueCount > 0 ? options.flags / dueCount : Number.POSITIVE_INFINITY;
  let files = 0;
  let bytes = 0;
  const write = (rel: string, text: string) => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    files++;
    bytes += Buffer.byteLength(text);
  };

  write(
    'flags/_policy.yaml',
    `# yaml-language-server: $schema=../schemas/policy.schema.json
# Generated benchmark repository.
project: bench-platform
environments: [${environments.join(', ')}]
organizations:
  idPattern: "^org_[a-z0-9]{8,24}$"
agreements:
  referencePattern: "^(MSA|ORD|TRIAL|SUP)-[0-9]{4}-[0-9]{4}$"
  contractPattern: "^(SKU|PLAN)-[A-Z0-9-]+$"
types:
  entitlement: { reviewEveryDays: 180, requiresAgreement: true }
  operational: { reviewEveryDays: 365 }
  release: { maxLifetimeDays: 90 }
  experiment: { maxLifetimeDays: 60 }
limits:
  maxFileBytes: 262144
  maxClaimBytes: 262144
`,
  );
  const codeowners = [
    '# Generated benchmark repository. GitHub applies the last matching pattern.',
    '*                       @acme/platform',
    '/flags/_policy.yaml     @acme/platform @acme/security',
    ...FOLDER_TEAMS.map((team) => `/flags/${team}/ @acme/${team}`),
  ];
  const here = dirname(fileURLToPath(import.meta.url));
  for (const schema of ['flag.schema.json', 'policy.schema.json']) {
    for (const from of [join(here, '..', 'schemas', schema), join(here, '..', '..', 'schemas', schema)]) {
      if (!existsSync(from)) continue;
      mkdirSync(join(dir, 'schemas'), { recursive: true });
      copyFileSync(from, join(dir, 'schemas', schema));
      files++;
      break;
    }
  }

  // Organizations come from a shared pool, as real customers hold several entitlements.
  const orgs = Array.from(
    { length: 2000 },
    (_, i) => `org_${(i * 7919 + 104729).toString(36).padStart(8, '0')}`,
  );
  const agreement = () =>
    `${pick(['MSA', 'ORD', 'ORD', 'TRIAL', 'SUP'])}-${int(2021, 2026)}-${String(int(1, 9999)).padStart(4, '0')}`;

  let nextDue = dueEvery / 2;
  for (let i = 0; i < options.flags; i++) {
    const roll = random();
    const kind: Kind =
      roll < 0.4 ? 'entitlement' : roll < 0.65 ? 'release' : roll < 0.8 ? 'experiment' : 'operational';
    let due: Due | undefined;
    if (i + 0.5 >= nextDue) {
      nextDue += dueEvery;
      const temporary = kind === 'release' || kind === 'experiment';
      due = random() < 0.3 ? 'grant-expired' : temporary ? 'expired' : 'overdue';
    }
    const key = `${pick(WORDS)}-${pick(NOUNS)}-${i.toString(36)}`;
    const inFolder = random() < 0.55;
    const team = inFolder ? pick(FOLDER_TEAMS) : 'platform';
    const rel = inFolder ? `flags/${team}/${key}.yaml` : `flags/${key}.yaml`;
    if (!inFolder && random() < 0.01) {
      // A few top-level flags owned by other teams, as `flags codeowners --write` records them.
      const owner = pick(TOP_TEAMS);
      codeowners.push(`/${rel} @acme/${owner}`);
      write(rel, flagText(key, `@acme/${owner}`));
    } else {
      write(rel, flagText(key, `@acme/${team}`));
    }

    function flagText(key: string, owner: string): string {
      const depth = rel.split('/').length - 1;
      const out: string[] = [
        `# yaml-language-server: $schema=${'../'.repeat(depth)}schemas/flag.schema.json`,
      ];
      out.push(`key: ${key}`);
      out.push(`description: ${describe(kind, key)}`);
      out.push(`owner: "${owner}"`);
      out.push(`type: ${kind}`);
      const variants =
        kind === 'experiment'
          ? random() < 0.8
            ? ['control', 'treatment-a', 'treatment-b'].slice(0, int(2, 3))
            : undefined
          : kind === 'operational' && random() < 0.3
            ? ['low', 'standard', 'high']
            : undefined;
      if (kind === 'entitlement') {
        out.push(
          `contract: ${pick(['PLAN', 'SKU'])}-${pick(['ENTERPRISE', 'BUSINESS', 'PRO', 'ADDON'])}-${int(1, 40)}`,
        );
        out.push(`reviewed: ${addDays(today, due === 'overdue' ? -int(200, 400) : -int(0, 170))}`);
      } else if (kind === 'operational') {
        out.push(`reviewed: ${addDays(today, due === 'overdue' ? -int(380, 700) : -int(0, 350))}`);
        if (random() < 0.5) out.push(`tags: [${pick(['maintenance', 'kill-switch', 'capacity', 'ops'])}]`);
      } else {
        out.push(`ticket: ${pick(['PAY', 'GROW', 'SRCH', 'PLAT', 'ID'])}-${int(100, 9999)}`);
        const max = kind === 'release' ? 90 : 60;
        out.push(`expires: ${addDays(today, due === 'expired' ? -int(1, 60) : int(1, max - 1))}`);
      }
      if (variants) {
        out.push('variants:');
        variants.forEach((name, n) => {
          out.push(kind === 'operational' ? `  ${name}: ${(n + 1) * 100}` : `  ${name}: ${name}-copy`);
        });
        out.push(`defaultVariant: ${variants[0]}`);
      }
      out.push('environments:');
      // About `grantsPerFlag` grants in all, spread over the environments, more towards production.
      const total = Math.max(0, Math.round(grantsPerFlag + (random() - 0.5) * grantsPerFlag * 0.8));
      const perEnv = environments.map(() => 0);
      for (let g = 0; g < total; g++) {
        const r = random();
        const e = r < 0.2 ? 0 : r < 0.45 ? 1 : 2;
        perEnv[Math.min(e, environments.length - 1)]!++;
      }
      let expiredGrantPlaced = due !== 'grant-expired';
      environments.forEach((env, e) => {
        const production = e === environments.length - 1;
        const enabled = !(kind === 'release' && production && random() < 0.1);
        out.push(`  ${env}:`);
        out.push(`    enabled: ${enabled}`);
        // Boolean flags are mostly off by default, on through grants and rollouts: a flag on for
        // everyone lands in every organization's claim (policy limits.maxClaimBytes).
        const onShare = production ? 0.02 : e === 0 ? 0.15 : 0.08;
        out.push(
          `    default: ${variants ? (production ? variants[0] : pick(variants)) : random() < onShare}`,
        );
        let count = perEnv[e]!;
        if (!expiredGrantPlaced && production && count === 0) count = 1;
        if (count > 0) {
          out.push('    grants:');
          const start = int(0, orgs.length - 1);
          const step = int(1, 97);
          for (let g = 0; g < count; g++) {
            out.push(`      - org: ${orgs[(start + g * step) % orgs.length]}`);
            const trial = random() < 0.15;
            if (kind === 'entitlement') out.push(`        agreement: ${agreement()}`);
            else if (random() < 0.3) out.push(`        ticket: SUP-${int(1000, 99999)}`);
            if (!expiredGrantPlaced && production) {
              out.push(`        expires: ${addDays(today, -int(1, 90))}`);
              expiredGrantPlaced = true;
            } else if (trial) out.push(`        expires: ${addDays(today, int(1, 300))}`);
            if (variants) out.push(`        variant: ${variants[variants.length - 1]}`);
            if (random() < 0.1)
              out.push(`        note: ${pick(['pilot customer', 'renewal', 'beta cohort'])}`);
          }
        }
        if (enabled && (kind === 'release' || kind === 'experiment') && random() < 0.6) {
          out.push('    rollout:');
          out.push(`      percentage: ${int(1, 100)}`);
          if (variants) out.push(`      variant: ${variants[1] ?? variants[0]}`);
        }
      });
      return `${out.join('\n')}\n`;
    }
  }
  write('CODEOWNERS', `${codeowners.join('\n')}\n`);
  return { files, bytes };
}

function describe(kind: Kind, key: string): string {
  const subject = key.replace(/-[a-z0-9]+$/, '').replace(/-/g, ' ');
  switch (kind) {
    case 'entitlement':
      return `Grants ${subject} to organizations whose agreement includes it.`;
    case 'release':
      return `Rolls out the rewritten ${subject} behind a flag until it is the default.`;
    case 'experiment':
      return `Tests a new ${subject} against the current one.`;
    default:
      return `Turns ${subject} off quickly during incidents or maintenance.`;
  }
}

function main(argv: string[]): void {
  const dir = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  if (!dir) {
    process.stderr.write(
      'usage: node --import tsx bench/generate-repo.ts <dir> [--flags N] [--due-share X] [--seed S]\n',
    );
    process.exitCode = 2;
    return;
  }
  const flags = Number(value('--flags') ?? 10_000);
  const dueShare = Number(value('--due-share') ?? 0);
  const seed = Number(value('--seed') ?? 42);
  if (!Number.isInteger(flags) || flags < 0 || !(dueShare >= 0 && dueShare <= 1) || !Number.isFinite(seed)) {
    process.stderr.write('--flags takes a whole number, --due-share a number from 0 to 1\n');
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const written = generateRepository(resolve(dir), { flags, dueShare, seed });
  process.stdout.write(
    `wrote ${written.files} files (${(written.bytes / 1e6).toFixed(1)} MB) to ${dir} in ${Math.round(performance.now() - started)} ms\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  main(process.argv.slice(2));
