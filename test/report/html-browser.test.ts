import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { exampleWithHistory } from './example-history.js';

/**
 * The HTML report in a real headless Chromium (Debian's, driven by playwright-core): it renders the
 * example's flags, search and filters work, flag text cannot run script, the page makes no request,
 * and the run leaves a screenshot in test-results/report.png.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../test-results/report.png', import.meta.url));
/** A day when some reviews and grants are overdue and several flags are due, so every colour shows. */
const TODAY = '2027-01-05';

const HOSTILE = `# yaml-language-server: $schema=../schemas/flag.schema.json
key: hostile-description
description: 'Ends here <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> and "quotes"'
owner: "@acme/platform"
type: operational
reviewed: 2026-11-01
environments:
  production:
    enabled: true
    default: false
`;

let context: BrowserContext;
let page: Page;
let profile: string;
let work: string;
const requests: string[] = [];
const problems: string[] = [];

async function reportFile(repoDir: string, name: string, extra: readonly string[] = []): Promise<string> {
  const out = join(work, name);
  const result = await runCli([
    'report',
    '--repo',
    repoDir,
    '--today',
    TODAY,
    '--format',
    'html',
    '--out',
    out,
    ...extra,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return pathToFileURL(out).href;
}

async function visibleKeysOf(address: string): Promise<string[]> {
  await page.goto(address);
  return (await visibleKeys(page)).filter((k): k is string => k !== undefined);
}

const visibleKeys = (p: Page) =>
  p.$$eval('#inventory tbody tr', (rows) =>
    rows.filter((r) => !(r as HTMLElement).hidden).map((r) => (r as HTMLElement).dataset.key),
  );

describe('the HTML report in headless Chromium', () => {
  let example: Awaited<ReturnType<typeof exampleWithHistory>>;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}; run .ci/setup-browser (it installs Debian's chromium package) and try again`,
      );
    work = mkdtempSync(join(tmpdir(), 'flags-html-'));
    profile = mkdtempSync(join(tmpdir(), 'flags-chromium-'));
    example = await exampleWithHistory({ shared: true });
    url = await reportFile(example.dir, 'report.html');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await context?.close();
    example?.dispose();
    for (const dir of [work, profile]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders every flag of the example, its timeline chart, breakdowns and matrix', async () => {
    await page.goto(url);
    expect(await visibleKeys(page)).toEqual([
      'advanced-analytics',
      'api-rate-limits',
      'audit-log-export',
      'custom-data-retention',
      'graphql-gateway',
      'invoice-pdf-v2',
      'new-checkout-flow',
      'onboarding-checklist',
      'pricing-page-layout',
      'priority-support',
      'read-only-mode',
      'search-reindex-batch',
      'sso-saml',
      'webhook-delivery',
      'workspace-analytics',
      'writing-assistant',
    ]);
    expect(await page.textContent('#shown')).toBe('16 of 16 flags');
    expect(await page.locator('.card b').allTextContents()).toEqual(['2', '6', '11']);
    expect(await page.locator('#timeline-chart rect.b-overdue').count()).toBeGreaterThan(0);
    expect(await page.locator('#timeline-chart rect.b-due-soon').count()).toBeGreaterThan(0);
    expect(await page.locator('#matrix tbody tr').count()).toBe(8);
    // The page's own style applied (allowed by its hash), so the layout is not the browser default.
    expect(await page.$eval('.badge', (e) => getComputedStyle(e).borderRadius)).toBe('10px');
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('filters by search text, type, owner, due date and environment, and resets', async () => {
    await page.goto(url);
    await page.fill('#q', 'saml');
    expect(await visibleKeys(page)).toEqual(['sso-saml']);
    expect(await page.textContent('#shown')).toBe('1 of 16 flags');

    await page.fill('#q', '');
    await page.selectOption('#f-type', 'release');
    expect(await visibleKeys(page)).toEqual([
      'graphql-gateway',
      'invoice-pdf-v2',
      'new-checkout-flow',
      'writing-assistant',
    ]);
    await page.selectOption('#f-owner', '@acme/payments');
    expect(await visibleKeys(page)).toEqual(['new-checkout-flow']);

    await page.click('#reset');
    expect(await page.textContent('#shown')).toBe('16 of 16 flags');

    await page.click('.card.overdue');
    expect(await visibleKeys(page)).toEqual(['api-rate-limits']);
    const overdueItems = await page.$$eval('#timeline tbody tr', (rows) =>
      rows.filter((r) => !(r as HTMLElement).hidden).map((r) => r.textContent?.replace(/\s+/g, ' ').trim()),
    );
    expect(overdueItems).toHaveLength(2);
    await page.click('#reset');

    // An organization: the flags it holds, and only its row of the matrix.
    await page.fill('#q', 'org_hooli40921');
    expect(await visibleKeys(page)).toEqual(['advanced-analytics', 'invoice-pdf-v2', 'priority-support']);
    const orgs = await page.$$eval('#matrix tbody tr', (rows) =>
      rows.filter((r) => !(r as HTMLElement).hidden).map((r) => (r as HTMLElement).dataset.org),
    );
    expect(orgs).toEqual(['org_hooli40921']);
    await page.click('#reset');

    await page.selectOption('#f-env', 'staging');
    const staging = await page.$$eval('#matrix tbody tr', (rows) =>
      rows.filter((r) => !(r as HTMLElement).hidden).map((r) => (r as HTMLElement).dataset.org),
    );
    expect(staging).toEqual(['org_acmeqa01']);
    expect(await page.locator('#matrix th[data-col-env="production"]').isHidden()).toBe(true);

    // The filters live in the address, so a filtered view can be shared.
    await page.selectOption('#f-type', 'entitlement');
    expect(new URL(page.url()).hash).toBe('#type=entitlement&env=staging');
    await page.reload();
    expect(await page.inputValue('#f-type')).toBe('entitlement');
    expect(await visibleKeys(page)).toHaveLength(7);
  });

  it('filters by the stale findings a usage export gives, and shows last seen beside the flag', async () => {
    const repo = await exampleWithHistory();
    // Every flag evaluated yesterday, but one last seen in October and one never seen since October.
    const keys = (await visibleKeysOf(url)).filter((k) => k !== 'graphql-gateway');
    const rows = keys.map((key) => ({
      key,
      environment: 'production',
      last_evaluated: key === 'search-reindex-batch' ? '2026-10-20T08:00:00Z' : '2027-01-04T08:00:00Z',
      count: 10,
    }));
    writeFileSync(join(work, 'usage.json'), JSON.stringify({ since: '2026-10-01', rows }));
    const stale = await reportFile(repo.dir, 'stale.html', ['--usage', join(work, 'usage.json')]);
    await page.goto(stale);
    expect(await page.locator('#f-finding option').allTextContents()).toEqual([
      'Any finding',
      'stale/unevaluated (2)',
    ]);
    await page.selectOption('#f-finding', 'stale/unevaluated');
    expect(await visibleKeys(page)).toEqual(['graphql-gateway', 'search-reindex-batch']);
    expect(await page.textContent('#shown')).toBe('2 of 16 flags');
    expect(
      await page.locator('#inventory tr[data-key="search-reindex-batch"] .stale').textContent(),
    ).toContain('last seen 2026-10-20 (77 days ago)');
    expect(await page.locator('#inventory tr[data-key="graphql-gateway"] .stale').textContent()).toContain(
      'never evaluated in 96 days (since 2026-10-01)',
    );
    await page.click('#reset');
    expect(await page.textContent('#shown')).toBe('16 of 16 flags');
  });

  it('shows a description holding <script> as text and never runs it', async () => {
    const repo = await exampleWithHistory();
    writeFileSync(join(repo.dir, 'flags', 'hostile-description.yaml'), HOSTILE);
    const hostile = await reportFile(repo.dir, 'hostile.html');
    await page.goto(hostile);
    const row = page.locator('#inventory tr[data-key="hostile-description"] .desc');
    expect(await row.textContent()).toBe(
      'Ends here <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> and "quotes"',
    );
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#inventory img').count()).toBe(0);
    await page.fill('#q', '<script>');
    expect(await visibleKeys(page)).toEqual(['hostile-description']);
  });

  it('makes no request beyond the page itself, and raises no error', () => {
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    // The three pages the tests opened (report, stale, hostile), and nothing else.
    expect(new Set(requests.map((u) => u.replace(/#.*$/, ''))).size).toBe(3);
    expect(problems).toEqual([]);
  });
});
