import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../adapters/files.js';
import { readHistory } from '../adapters/history.js';
import { readUsageExport } from '../adapters/usage-file.js';
import { CSV_TABLES, type CsvTable, renderReportCsv } from '../core/report/csv.js';
import { renderReportHtml } from '../core/report/html.js';
import { renderReportJson } from '../core/report/json.js';
import { renderReportMarkdown } from '../core/report/markdown.js';
import { buildReport, type Report } from '../core/report/model.js';
import { renderReportText } from '../core/report/text.js';
import { agreementAuditText } from '../core/report/agreements.js';
import { UsageError } from '../errors.js';
import { loadFlags } from './claims.js';
import { parseFormat, resolveFlagsRoot, resolveToday, withRepo, withToday } from './common.js';
import { agreementAuditFor } from './report-agreements.js';

const FORMATS = ['text', 'markdown', 'json', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface ReportOptions {
  repo: string;
  today?: string;
  format: string;
  out?: string;
  table: string;
  history: boolean;
  usage?: string;
  tree?: string[];
  agreements?: string;
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('inventory, entitlement matrix and expiry timeline of every flag, for people and auditors')
    .option('-f, --format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('-o, --out <file>', 'write to this file (atomically) instead of stdout')
    .option('--table <table>', `for csv: ${CSV_TABLES.join(', ')}`, 'inventory')
    .option('--no-history', 'skip git history (created, last changed)')
    .option(
      '--usage <file>',
      'usage export (CSV or JSON): last seen per flag, and unevaluated flags as stale',
    )
    .option(
      '--tree <name=path>',
      "a consuming repository's clone, for the unreferenced finding (repeat; or policy refs.repositories[].path)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--agreements <export>',
      "each grant's agreement status and the drift, from an export (text or json)",
    );
  withRepo(command);
  withToday(command);
  command.action(async (options: ReportOptions) => {
    process.exitCode = await runReport(options);
  });
}

export function renderReport(report: Report, format: Format, table: CsvTable = 'inventory'): string {
  switch (format) {
    case 'markdown':
      return renderReportMarkdown(report);
    case 'json':
      return renderReportJson(report);
    case 'csv':
      return renderReportCsv(report, table);
    case 'html':
      return renderReportHtml(report);
    default:
      return renderReportText(report);
  }
}

export async function runReport(options: ReportOptions): Promise<number> {
  const format = parseFormat(options.format, FORMATS);
  const table = parseFormat(options.table, CSV_TABLES);
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today);
  if (options.agreements !== undefined && format !== 'text' && format !== 'json')
    throw new UsageError('--agreements reports in text or json', 'pass --format text or --format json');
  const loaded = await loadFlags(root);
  const { repo, flags } = loaded;
  const audit = options.agreements ? agreementAuditFor(root, options.agreements, loaded, today) : undefined;
  const stage = slowStage('reading git history');
  const history = options.history
    ? await readHistory(
        root,
        flags.map((f) => f.file),
      )
    : undefined;
  stage.done();
  if (options.history && history && !history.available)
    process.stderr.write(
      'note: not a git repository (or no commits): created and last changed are left blank\n',
    );
  const usage = options.usage ? readUsageExport(root, options.usage) : undefined;
  // As in flags check: only where the policy names the consuming repositories (or --tree gives clones).
  const unreferenced =
    repo.policy.refs.repositories.length > 0 || options.tree
      ? (await import('../adapters/reference-findings.js')).unreferencedFlagFindings(
          root,
          repo.policy,
          flags.map(({ file, flag }) => ({ file, key: flag.key, flag })),
          options.tree,
        )
      : [];
  const report = buildReport({
    flags,
    policy: repo.policy,
    today,
    history,
    ...(usage ? { usage } : {}),
    ...(unreferenced.length > 0 ? { findings: unreferenced } : {}),
  });
  let text = renderReport(report, format, table);
  if (audit)
    text =
      format === 'json'
        ? `${JSON.stringify({ ...JSON.parse(text), agreements: audit }, null, 2)}\n`
        : `${text}\n${agreementAuditText(audit)}`;
  if (options.out) {
    const path = resolve(options.out);
    writeFileAtomic(path, text);
    process.stderr.write(`wrote ${options.out} (${report.summary.flags} flags, ${format})\n`);
  } else process.stdout.write(text);
  return 0;
}

/**
 * Progress for a step that reports no counts (one git process): a line on stderr if it is still
 * running after a second, rewritten in place on a terminal and a plain line otherwise.
 */
export function slowStage(
  label: string,
  stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stderr,
) {
  const started = Date.now();
  let shown = false;
  const timer = setTimeout(() => {
    shown = true;
    stream.write(stream.isTTY ? `\r\u001b[2K${label}...` : `${label}...\n`);
  }, 1000);
  timer.unref();
  return {
    done() {
      clearTimeout(timer);
      if (!shown) return;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(stream.isTTY ? `\r\u001b[2K` : `${label}: done in ${seconds} s\n`);
    },
  };
}
