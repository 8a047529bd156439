import type { RetirePlan } from './model.js';

/** The plan for people (text) and machines (JSON). Strings only; the command prints them. */

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function planText(plan: RetirePlan, notes: readonly string[] = []): string {
  const s = plan.summary;
  const out: string[] = [
    `Retirement plan for ${plan.today}: ${plural(s.flags, 'flag')}, ${s.due} due; ${plural(s.openBefore, 'bot pull request')} open now, ${s.openAfter} after this run (limits: ${s.maxPerRun} opened per run, ${s.maxOpen} open at once)`,
  ];
  for (const note of notes) out.push(`note: ${note}`);
  const section = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push('', title, ...lines);
  };
  section(
    `Open (${plan.open.length}):`,
    plan.open.flatMap((p) => {
      const change =
        p.item.change.kind === 'delete-file'
          ? `delete ${p.file}`
          : p.item.change.kind === 'set-state'
            ? `set ${p.item.change.state}: true in ${p.file}`
            : [
                p.item.change.removeGrants.length > 0
                  ? `remove ${plural(p.item.change.removeGrants.length, 'grant')}`
                  : '',
                p.item.change.setReviewed ? `set reviewed: ${p.item.change.setReviewed}` : '',
              ]
                .filter(Boolean)
                .join(', ') + ` in ${p.file}`;
      const reviewers = [
        ...p.reviewers.users.map((u) => `@${u}`),
        ...p.reviewers.teams.map((t) => `team ${t}`),
      ];
      return [
        `  ${p.branch}  ${p.title}`,
        `    ${change}; review: ${reviewers.join(', ') || p.reviewers.note || 'none'}; labels: ${p.labels.join(', ') || 'none'}`,
      ];
    }),
  );
  section(
    `Update (${plan.update.length}):`,
    plan.update.map(
      (u) =>
        `  #${u.existing.number} ${u.pull.branch}  ${u.changes.length > 0 ? `changes ${u.changes.join(', ')}` : 'title, body and labels unchanged'}; branch compared when applied`,
    ),
  );
  section(
    `Close (${plan.close.length}):`,
    plan.close.map(
      (c) =>
        `  #${c.existing.number} ${c.existing.branch}  ${c.reason === 'gone' ? 'flag removed' : 'no longer due'}`,
    ),
  );
  section(
    `Snoozed (${plan.snoozed.length}), closed without merge:`,
    plan.snoozed.map((z) => `  ${z.key}  #${z.number} (until ${z.snooze} changes)`),
  );
  section(
    `Deferred by the limits (${plan.deferred.length}):`,
    plan.deferred.map(
      (d) =>
        `  ${d.key}  ${d.limit === 'per-run' ? `over ${s.maxPerRun} per run` : `${s.maxOpen} open at once`}`,
    ),
  );
  const unreadable = plan.untouched.filter((u) => u.reason === 'unreadable');
  const noAgreements = plan.untouched.filter((u) => u.reason === 'no-agreements');
  section(
    `Left alone, their flag files do not read (${unreadable.length}):`,
    unreadable.map((u) => `  #${u.number} ${u.key}  (fix the file; flags check shows why)`),
  );
  section(
    `Left alone, they revoke grants of ended agreements and this run has no agreements export (${noAgreements.length}):`,
    noAgreements.map(
      (u) => `  #${u.number} ${u.key}  (not closed, not updated: pass --agreements or set FLAGS_AGREEMENTS)`,
    ),
  );
  const noUsage = plan.untouched.filter((u) => u.reason === 'no-usage');
  section(
    `Left alone, they archive unused flags and this run has no usage export (${noUsage.length}):`,
    noUsage.map((u) => `  #${u.number} ${u.key}  (not closed, not updated: pass --usage <export>)`),
  );
  const reconciled = plan.untouched.filter((u) => u.reason === 'reconcile');
  section(
    `Left alone, they revoke grants of ended agreements, which flags reconcile owns now (${reconciled.length}):`,
    reconciled.map((u) => `  #${u.number} ${u.key}  (close it once flags reconcile's pull request stands)`),
  );
  section(
    `Drift between the agreements export and the grants, reported and not fixed (${plan.drift.length}):`,
    plan.drift.map((d) => `  ${d.kind}  ${d.message}`),
  );
  if (plan.open.length + plan.update.length + plan.close.length === 0)
    out.push('', 'Nothing to open, update or close.');
  return `${out.join('\n')}\n`;
}

export function planJson(plan: RetirePlan, notes: readonly string[] = []): string {
  const json = {
    version: 1,
    today: plan.today,
    summary: plan.summary,
    notes,
    open: plan.open.map((p) => ({
      key: p.key,
      file: p.file,
      branch: p.branch,
      title: p.title,
      labels: p.labels,
      reviewers: p.reviewers,
      change: p.item.change,
      reasons: p.item.reasons,
      snooze: p.item.snooze,
      commitMessage: p.commitMessage,
      body: p.body,
    })),
    update: plan.update.map((u) => ({
      number: u.existing.number,
      key: u.pull.key,
      branch: u.pull.branch,
      changes: u.changes,
      title: u.pull.title,
      change: u.pull.item.change,
      reasons: u.pull.item.reasons,
    })),
    close: plan.close.map((c) => ({
      number: c.existing.number,
      key: c.key,
      branch: c.existing.branch,
      reason: c.reason,
      comment: c.comment,
    })),
    snoozed: plan.snoozed,
    deferred: plan.deferred,
    untouched: plan.untouched,
    drift: plan.drift,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
