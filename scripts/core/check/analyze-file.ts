import { finding, type Finding } from '../findings/finding.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { schemaFindings } from '../model/schema-findings.js';
import { validators } from '../model/validators.js';
import { ruleContext, runRules } from '../rules/context.js';
import { forEachGrant, MODEL_RULES } from '../rules/model-rules.js';
import { type LoadedYaml, loadYaml, locate, type PathSegment } from '../yaml/load.js';
import type { FileResult } from './file-result.js';

export const MODELINE = /^# yaml-language-server: \$schema=(\S+)/;

/** Everything that can be said about one flag file on its own. Pure: bytes in, result out. */
export function analyzeFlagFile(file: string, hash: string, bytes: Uint8Array, policy: Policy): FileResult {
  const { loaded, findings } = loadYaml(file, bytes, policy.limits.maxFileBytes);
  const result: FileResult = { file, hash, findings, positions: {} };
  if (!loaded) return result;
  const validate = validators().flag;
  const value = loaded.value;
  if (!validate(value)) {
    findings.push(...schemaFindings(file, loaded, validate.errors ?? []));
    return result;
  }
  const modeline = MODELINE.exec(loaded.text.replace(/^\uFEFF/, ''));
  if (!modeline || !modeline[1]!.endsWith('flag.schema.json')) {
    findings.push(
      finding(
        'yaml/missing-modeline',
        file,
        { line: 1, col: 1 },
        modeline
          ? `the schema modeline points to ${modeline[1]}, not flag.schema.json`
          : 'the file does not start with a yaml-language-server schema modeline',
        `start the file with: # yaml-language-server: $schema=${relativeSchemaPath(file)}`,
      ),
    );
  }
  const flag: Flag = value;
  const ctx = ruleContext(
    file,
    flag,
    policy,
    (path, which) => locate(loaded, path, which),
    findings,
    (code, at, message, hint, path) => finding(code, file, at, message, hint, path),
  );
  runRules(MODEL_RULES, ctx);
  result.flag = flag;
  result.positions = positionTable(loaded, flag);
  return result;
}

/** The positions the deferred rules (lifecycle, ownership, duplicates, claim budget) may ask for. */
function positionTable(loaded: LoadedYaml, flag: Flag): FileResult['positions'] {
  const table: FileResult['positions'] = {};
  const put = (path: PathSegment[]) => {
    const at = locate(loaded, path);
    table[path.join('.')] = [at.line, at.col];
  };
  put([]);
  for (const field of ['key', 'owner', 'type', 'expires', 'reviewed', 'contract'] as const) {
    if (flag[field] !== undefined) put([field]);
  }
  forEachGrant(flag, (grant, path) => {
    put([...path, 'org']);
    if (grant.expires !== undefined) put([...path, 'expires']);
  });
  return table;
}

/** The modeline's path to schemas/flag.schema.json from a file under the repository root. */
export function relativeSchemaPath(file: string): string {
  const depth = file.split('/').length - 1;
  return `${'../'.repeat(depth)}schemas/flag.schema.json`;
}

export type { Finding };
