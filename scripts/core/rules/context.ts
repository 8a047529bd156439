import type { FindingCode } from '../findings/codes.js';
import type { Finding, Position } from '../findings/finding.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import type { PathSegment } from '../yaml/load.js';

/**
 * What a rule sees of one flag file. `locate` hides where positions come from: the parsed YAML
 * document while a file is analysed, or the position table kept in the cache afterwards.
 */
export interface FlagRuleContext {
  file: string;
  flag: Flag;
  policy: Policy;
  locate(path: readonly PathSegment[], which?: 'key' | 'value'): Position;
  report(
    code: FindingCode,
    path: readonly PathSegment[],
    message: string,
    hint?: string,
    which?: 'key' | 'value',
  ): void;
}

export type FlagRule = (ctx: FlagRuleContext) => void;

export function ruleContext(
  file: string,
  flag: Flag,
  policy: Policy,
  locate: FlagRuleContext['locate'],
  sink: Finding[],
  makeFinding: (
    code: FindingCode,
    at: Position,
    message: string,
    hint: string | undefined,
    path: string,
  ) => Finding,
): FlagRuleContext {
  return {
    file,
    flag,
    policy,
    locate,
    report(code, path, message, hint, which = 'value') {
      sink.push(makeFinding(code, locate(path, which), message, hint, path.join('.')));
    },
  };
}

export function runRules(rules: readonly FlagRule[], ctx: FlagRuleContext): void {
  // Called once per flag file after the cache, mostly before the JIT has optimised it: an index
  // loop is cheaper there than the array iterator of for-of.
  for (let i = 0; i < rules.length; i++) rules[i]!(ctx);
}
