import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ORGANIZATIONS_DIR } from '../core/model/constants.js';
import type { Policy } from '../core/model/policy.js';

/**
 * Whether a repository uses plans (policy `plans:` or subscription files). Kept apart from
 * organizations.ts so that a command asks without loading the parser: most repositories have none.
 */
export const usesPlans = (root: string, policy: Pick<Policy, 'plans'>): boolean =>
  policy.plans !== undefined || existsSync(join(root, ORGANIZATIONS_DIR));
