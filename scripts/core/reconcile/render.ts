import type { Reconciliation } from './model.js';

/** The plan for people (text) and for machines (JSON: stable field names, deterministic order). */

export const reconciliationJson = (plan: Reconciliation): string => `${JSON.stringify(plan, null, 2)}\n`;

export function reconciliationText(plan: Reconciliation): string {
  const lines: string[] = [];
  const n = plan.organizations.length;
  lines.push(
    n === 0
      ? `Access matches the agreements (${plan.reconciled} organization${plan.reconciled === 1 ? '' : 's'} reconciled on ${plan.today}).`
      : `${n} organization${n === 1 ? '' : 's'} to reconcile (${plan.changes.length} flag change${plan.changes.length === 1 ? '' : 's'}, ${plan.reconciled} organization${plan.reconciled === 1 ? '' : 's'} in the export, ${plan.today}):`,
  );
  for (const event of plan.organizations) {
    lines.push(
      '',
      `${event.title}`,
      `  ${event.event}; ${event.file}${event.fileChanges ? '' : ' (unchanged)'}`,
    );
    for (const a of event.agreements)
      lines.push(
        `  agreement ${a.agreement}: ${a.rawStatus}${a.endDate ? ` until ${a.endDate}` : ''}${a.contracts.length > 0 ? ` (${a.contracts.join(', ')})` : ''}${a.inForce ? '' : ' - not in force'}`,
      );
    for (const c of event.changes)
      lines.push(`  ${c.action.padEnd(6)} ${c.environment}: ${c.summary} (${c.file})`);
    for (const m of event.moves)
      lines.push(`  move   ${m.environment}: ${m.flag} from ${m.from} into ${event.file}`);
  }
  if (plan.pending.length > 0) {
    lines.push('', 'Not in force yet (no grant follows until they are):');
    for (const p of plan.pending)
      lines.push(
        `  ${p.organization} ${p.agreement} (${p.rawStatus})${p.contracts.length > 0 ? `: ${p.contracts.join(', ')}` : ''}`,
      );
  }
  if (plan.unmapped.length > 0) {
    lines.push('', 'Products no plan declares (they grant nothing; add them under plans: if they should):');
    for (const u of plan.unmapped) lines.push(`  ${u.contract} (${u.organization}, ${u.agreement})`);
  }
  return `${lines.join('\n')}\n`;
}
