import { type Agreement, isInForce, isNotYetInForce } from '../agreements/model.js';
import { daysBetween, type IsoDate } from '../dates.js';
import type { Flag, FlagType } from '../model/flag.js';
import { agreementsOf } from '../model/grant-agreements.js';
import type { Change } from '../reconcile/model.js';

/**
 * The auditor's view of grants against an agreements export: each grant's agreement status, the
 * drift the export calls for (what `flags reconcile` would change), owners who are not code owners
 * of their flag, and per organization each grant's flag type. Counts leave out expired grants:
 * they grant nothing. Pure.
 */

export type AgreementState = 'in-force' | 'ended' | 'pending' | 'unknown' | 'other-organization';

const STATES: readonly AgreementState[] = ['in-force', 'ended', 'pending', 'unknown', 'other-organization'];

export interface GrantAudit {
  organization: string;
  flag: string;
  type: FlagType;
  environment: string;
  file: string;
  /** Every agreement the grant cites, with what the export says of it for this organization. */
  agreements: { agreement: string; status: AgreementState }[];
  /** In force while any agreement is; otherwise the most telling of the others. */
  status: AgreementState;
  plans?: string[];
  expires?: IsoDate;
  expired: boolean;
  owner: string;
  /** False when CODEOWNERS does not route the flag's file to its owner. */
  ownerIsCodeOwner: boolean;
}

export interface AgreementAudit {
  export: string;
  grants: GrantAudit[];
  /** Grants by status, expired grants left out. */
  counts: Record<AgreementState, number>;
  expired: number;
  /** What the export calls for that the grants do not say: reconcile's changes. */
  drift: Change[];
  ownersNotCodeOwners: { flag: string; owner: string; file: string; codeOwners: string[] }[];
  organizations: {
    organization: string;
    grants: { flag: string; type: FlagType; environment: string; status: AgreementState; expired: boolean }[];
  }[];
}

export interface AgreementAuditInput {
  export: string;
  flags: readonly { file: string; flag: Flag }[];
  agreements: readonly Agreement[];
  today: IsoDate;
  drift: readonly Change[];
  /** The plans a grant comes from, when a subscription writes it. */
  plansOf: (flag: string, environment: string, organization: string) => string[] | undefined;
  codeOwnersOf: (file: string) => readonly string[];
}

export function auditAgreements(input: AgreementAuditInput): AgreementAudit {
  const byId = new Map<string, Agreement[]>();
  for (const row of input.agreements) {
    const list = byId.get(row.agreement);
    if (list) list.push(row);
    else byId.set(row.agreement, [row]);
  }
  const stateOf = (agreement: string, organization: string): AgreementState => {
    const rows = byId.get(agreement);
    if (!rows) return 'unknown';
    const own = rows.filter((r) => r.org === organization);
    if (own.length === 0) return 'other-organization';
    if (own.some((r) => isInForce(r, input.today))) return 'in-force';
    if (own.some((r) => isNotYetInForce(r, input.today))) return 'pending';
    return 'ended';
  };
  const grants: GrantAudit[] = [];
  const ownersNotCodeOwners: AgreementAudit['ownersNotCodeOwners'] = [];
  for (const { file, flag } of input.flags) {
    const codeOwners = input.codeOwnersOf(file);
    const ownerIsCodeOwner = codeOwners.some((o) => o.toLowerCase() === flag.owner.toLowerCase());
    let granted = false;
    for (const [environment, config] of Object.entries(flag.environments))
      for (const grant of config.grants ?? []) {
        granted = true;
        const agreements = agreementsOf(grant).map((agreement) => ({
          agreement,
          status: stateOf(agreement, grant.org),
        }));
        const plans = input.plansOf(flag.key, environment, grant.org);
        grants.push({
          organization: grant.org,
          flag: flag.key,
          type: flag.type,
          environment,
          file,
          agreements,
          status: overall(agreements.map((a) => a.status)),
          ...(plans ? { plans } : {}),
          ...(grant.expires ? { expires: grant.expires } : {}),
          expired: grant.expires !== undefined && daysBetween(input.today, grant.expires) < 0,
          owner: flag.owner,
          ownerIsCodeOwner,
        });
      }
    if (granted && !ownerIsCodeOwner)
      ownersNotCodeOwners.push({ flag: flag.key, owner: flag.owner, file, codeOwners: [...codeOwners] });
  }
  grants.sort(
    (a, b) => cmp(a.organization, b.organization) || cmp(a.flag, b.flag) || cmp(a.environment, b.environment),
  );
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<AgreementState, number>;
  for (const g of grants) if (!g.expired) counts[g.status]++;
  const organizations = new Map<string, AgreementAudit['organizations'][number]['grants']>();
  for (const g of grants) {
    const list = organizations.get(g.organization) ?? [];
    list.push({
      flag: g.flag,
      type: g.type,
      environment: g.environment,
      status: g.status,
      expired: g.expired,
    });
    organizations.set(g.organization, list);
  }
  return {
    export: input.export,
    grants,
    counts,
    expired: grants.filter((g) => g.expired).length,
    drift: [...input.drift],
    ownersNotCodeOwners: ownersNotCodeOwners.sort((a, b) => cmp(a.flag, b.flag)),
    organizations: [...organizations].map(([organization, list]) => ({ organization, grants: list })),
  };
}

function overall(states: readonly AgreementState[]): AgreementState {
  if (states.length === 0) return 'unknown';
  for (const s of ['in-force', 'pending', 'ended', 'other-organization'] as const)
    if (states.includes(s)) return s;
  return 'unknown';
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const LABEL: Record<AgreementState, string> = {
  'in-force': 'in force',
  ended: 'ended',
  pending: 'pending',
  unknown: 'unknown',
  'other-organization': "another organization's",
};

/** The audit for people. */
export function agreementAuditText(audit: AgreementAudit): string {
  const out: string[] = [];
  const c = audit.counts;
  out.push(
    `Agreements (${audit.export}): ${STATES.map((s) => `${c[s]} ${LABEL[s]}`).join(', ')}; ${audit.expired} expired grant${audit.expired === 1 ? '' : 's'} not counted`,
    '',
  );
  for (const o of audit.organizations) {
    out.push(o.organization);
    for (const g of audit.grants.filter((x) => x.organization === o.organization)) {
      const mark = g.ownerIsCodeOwner ? '' : `  [owner ${g.owner} is not a code owner of ${g.file}]`;
      const cited =
        g.agreements.map((a) => `${a.agreement} ${LABEL[a.status]}`).join(' + ') || 'no agreement';
      out.push(
        `  ${g.flag} (${g.type}) ${g.environment}: ${LABEL[g.status]}${g.expired ? ` (expired ${g.expires})` : ''}; ${cited}${g.plans ? `; plan ${g.plans.join(' + ')}` : ''}${mark}`,
      );
    }
  }
  out.push(
    '',
    `Drift: ${audit.drift.length} change${audit.drift.length === 1 ? '' : 's'} the export calls for (flags reconcile)`,
  );
  for (const d of audit.drift)
    out.push(`  ${d.action.padEnd(6)} ${d.organization} ${d.environment}: ${d.summary} (${d.agreement})`);
  if (audit.ownersNotCodeOwners.length > 0) {
    out.push('', 'Owners who are not code owners of their flag (CODEOWNERS routes its review elsewhere):');
    for (const o of audit.ownersNotCodeOwners)
      out.push(`  ${o.flag}: owner ${o.owner}; code owners ${o.codeOwners.join(' ') || 'none'} (${o.file})`);
  }
  return `${out.join('\n')}\n`;
}
