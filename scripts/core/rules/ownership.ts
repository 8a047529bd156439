import { type Codeowners, type CodeownersRule, ownersOf } from '../codeowners/parse.js';
import type { FlagRule } from './context.js';

/** The flag's owner must be among the code owners of its file, so its owner reviews every change. */
export function ownershipRule(codeowners: Codeowners): FlagRule {
  // Thousands of files share a handful of rules: lower-case each rule's owners once, and only when
  // the owner is not written exactly as in CODEOWNERS (an exact match is a case-insensitive one).
  const lowerOwners = new Map<CodeownersRule, string[]>();
  const isOwner = (rule: CodeownersRule, owner: string): boolean => {
    if (rule.owners.includes(owner)) return true;
    let lower = lowerOwners.get(rule);
    if (lower === undefined) {
      lower = rule.owners.map((o) => o.toLowerCase());
      lowerOwners.set(rule, lower);
    }
    return lower.includes(owner.toLowerCase());
  };
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
    if (!isOwner(rule, flag.owner)) {
      report(
        'ownership/owner-mismatch',
        ['owner'],
        `owner ${flag.owner} is not a code owner of ${file} (${codeowners.file}:${rule.line} "${rule.pattern}" assigns ${rule.owners.join(' ')})`,
        `make ${flag.owner} an owner in ${codeowners.file}, or set owner to one of ${rule.owners.join(', ')}`,
      );
    }
  };
}
