import { readOrganizations } from '../adapters/organizations.js';
import { type Repository, validFlags } from '../adapters/repository.js';
import { grantSourceKey } from '../core/claims/who.js';
import { ownersOf } from '../core/codeowners/parse.js';
import type { IsoDate } from '../core/dates.js';
import { planReconciliation } from '../core/reconcile/plan.js';
import { type AgreementAudit, auditAgreements } from '../core/report/agreements.js';
import type { LoadedFlags } from './claims.js';
import { readExport } from './reconcile.js';

/** `flags report --agreements`: the grants (subscriptions' included) against the export. */
export function agreementAuditFor(
  root: string,
  file: string,
  loaded: LoadedFlags,
  today: IsoDate,
): AgreementAudit {
  const repo: Repository = loaded.repo;
  const agreements = readExport(root, file, repo.policy);
  const organizations = readOrganizations(root, repo.policy.limits.maxFileBytes);
  const drift = planReconciliation({
    policy: repo.policy,
    flags: validFlags(repo),
    organizations: organizations.files,
    agreements,
    today,
  }).changes;
  return auditAgreements({
    export: file,
    flags: loaded.flags,
    agreements,
    today,
    drift,
    plansOf: (flag, env, org) => loaded.sources.get(grantSourceKey(flag, env, org))?.plans,
    codeOwnersOf: (f) => (repo.codeowners ? (ownersOf(repo.codeowners, f)?.owners ?? []) : []),
  });
}
