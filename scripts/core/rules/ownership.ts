import { type Codeowners, type CodeownersRule, ownersOf } from '../codeowners/parse.js';
import type { FlagRule } from './context.js';

/** The flag's owner must be among the code owners of its file, so its owner reviews every change. */
export function ownershipRule(codeowners: Codeowners): FlagRule {
  // Thousands of files share a handful of rules: lower-case each rule's owners once.
  const lowerOwners = new Map<CodeownersRule, string[]>();
  return ({ file, flag, report }) => {
    const rule = ownersOf(codeowners, file);
    if (rule === undefined || rule.owners.length === 0) {
      report(
        'ownership/unowned-file',
        ['owner'],
        `no ${codeowners.file} rule assigns owners to ${file}`,
        `add a line "${file} ${flag.owner}" to ${codeowners.file}, or run flags codeowners --write`,
      );
      return;
    }
    let owners = lowerOwners.get(rule);
    if (owners === undefined) {
      owners = rule.owners.map((o) => o.toLowerCase());
      lowerOwners.set(rule, owners);
    }
    if (!owners.includes(flag.owner.toLowerCase())) {
      report(
        'ownership/owner-mismatch',
        ['owner'],
        `owner ${flag.owner} is not a code owner of ${file} (${codeowners.file}:${rule.line} "${rule.pattern}" assigns ${rule.owners.join(' ')})`,
        `make ${flag.owner} an owner in ${codeowners.file}, or set owner to one of ${rule.owners.join(', ')}`,
      );
    }
  };
}
