import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSeq, parseDocument } from 'yaml';
import { flagsWithPlans, readOrganizations } from '../../scripts/adapters/organizations.js';
import { loadRepository, validFlags } from '../../scripts/adapters/repository.js';
import { compileEnvironment } from '../../scripts/core/bundle/compile.js';
import { canonicalJson } from '../../scripts/core/canonical-json.js';
import { claimOf, evaluatorFor } from '../../scripts/core/claims/claim.js';
import { planGrants } from '../../scripts/core/reconcile/expand.js';
import { copyExample, tempDir } from '../helpers/gitdir.js';

/**
 * Subscriptions are a way of writing grants, nothing more: the bundle and the feature_flags claims
 * of a repository with subscription files are those of the same repository with every grant the
 * subscriptions stand for written out in the flag files.
 */

const TODAY = '2026-11-24';

describe('grants from subscriptions', () => {
  it('compile and claim exactly as the same grants written out in the flag files', async () => {
    const withFiles = tempDir();
    copyExample(withFiles);
    const repo = await loadRepository(withFiles, { cacheDir: false });
    const flags = validFlags(repo);
    const organizations = readOrganizations(withFiles, repo.policy.limits.maxFileBytes).files;
    const grants = planGrants(repo.policy, organizations, new Map(flags.map((f) => [f.flag.key, f.flag])));
    expect(grants.length).toBeGreaterThan(4);
    expect(grants.some((g) => g.grant.agreements !== undefined)).toBe(true);
    expect(grants.some((g) => g.grant.variant !== undefined && g.grant.expires === undefined)).toBe(true);
    const expanded = flagsWithPlans(withFiles, repo.policy, flags);

    // The same grants, written out by hand in a second copy, whose subscription files are gone.
    const writtenOut = tempDir();
    copyExample(writtenOut);
    rmSync(join(writtenOut, 'flags/_organizations'), { recursive: true });
    const fileOf = new Map(flags.map((f) => [f.flag.key, f.file]));
    for (const g of grants) {
      const path = join(writtenOut, fileOf.get(g.key)!);
      const doc = parseDocument(readFileSync(path, 'utf8'));
      const list = doc.getIn(['environments', g.env, 'grants'], true);
      if (isSeq(list)) list.add(doc.createNode(g.grant));
      else doc.setIn(['environments', g.env, 'grants'], doc.createNode([g.grant]));
      writeFileSync(path, doc.toString());
    }
    const plain = await loadRepository(writtenOut, { cacheDir: false });
    expect(plain.files.flatMap((f) => f.findings).filter((f) => f.severity === 'error')).toEqual([]);
    const written = validFlags(plain);

    const orgs = [...new Set(grants.map((g) => g.org))];
    for (const env of repo.policy.environments) {
      expect(canonicalJson(compileEnvironment(expanded, repo.policy, env))).toBe(
        canonicalJson(compileEnvironment(written, plain.policy, env)),
      );
      const a = evaluatorFor(expanded, repo.policy, env, TODAY);
      const b = evaluatorFor(written, plain.policy, env, TODAY);
      for (const org of orgs) expect(claimOf(a, org)).toEqual(claimOf(b, org));
    }
    // And the subscriptions did grant something: org_stark55012 holds Enterprise in production.
    const production = evaluatorFor(expanded, repo.policy, 'production', TODAY);
    expect(claimOf(production, 'org_stark55012').keys).toEqual(
      expect.arrayContaining(['sso-saml', 'audit-log-export', 'advanced-analytics']),
    );
  });
});
