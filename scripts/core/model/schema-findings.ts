import type { Finding } from '../findings/finding.js';
import { finding } from '../findings/finding.js';
import { isPlainScalarAt, type LoadedYaml, locate, type PathSegment } from '../yaml/load.js';
import type { ErrorObject } from './validators.js';
import { closest, isYaml11Boolean, yaml11Replacement } from './wording.js';

export { closest, isYaml11Boolean, yaml11Replacement };

/** Turns ajv errors into findings with positions, one finding per problem, phrased for people. */

const FIELD_HINTS: Record<string, string> = {
  key: 'use lowercase letters, digits and single hyphens, e.g. new-checkout',
  owner: 'use a GitHub team (@org/team) or user (@user)',
  expires: 'write the date as YYYY-MM-DD',
  reviewed: 'write the date as YYYY-MM-DD',
  type: 'use one of entitlement, release, experiment, operational',
  variant: 'variant names are letters, digits, _ and -',
  default: 'use true/false for boolean flags, a variant name for flags with variants',
};

/** JSON Schema type names in the words of the YAML file, as `describe` speaks of found values. */
const YAML_TYPE_NAMES: Record<string, string> = { object: 'mapping', array: 'list', integer: 'whole number' };

export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

export const dotted = (path: readonly PathSegment[]): string => path.join('.');
const label = (path: readonly PathSegment[]): string =>
  path.length === 0 ? 'the file' : `"${dotted(path)}"`;

export function schemaFindings(
  file: string,
  loaded: Pick<LoadedYaml, 'tree' | 'lines'>,
  errors: readonly ErrorObject[],
  schema = 'schemas/flag.schema.json',
): Finding[] {
  const unions = new Set(
    errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath),
  );
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const error of errors) {
    const inUnion = [...unions].some(
      (p) => error.instancePath.startsWith(p) && error.keyword !== 'anyOf' && error.keyword !== 'oneOf',
    );
    if (inUnion) continue;
    const f = toFinding(file, loaded, error, schema);
    const id = `${f.code}:${f.path ?? ''}:${f.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(f);
    }
  }
  return out;
}

function toFinding(
  file: string,
  loaded: Pick<LoadedYaml, 'tree' | 'lines'>,
  error: ErrorObject,
  schema: string,
): Finding {
  const path = pointerToPath(error.instancePath);
  const field = String([...path].reverse().find((s) => typeof s === 'string') ?? '');
  const hint = FIELD_HINTS[field];
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return finding(
        'schema/missing-field',
        file,
        locate(loaded, path, 'key'),
        `${label(path)} is missing the required field "${missing}"`,
        FIELD_HINTS[missing] ? `add ${missing}: ${FIELD_HINTS[missing]}` : `add the field "${missing}"`,
        dotted(path),
      );
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys(
        (error.parentSchema as { properties?: object } | undefined)?.properties ?? {},
      );
      const near = closest(extra, allowed);
      return finding(
        'schema/unknown-field',
        file,
        locate(loaded, [...path, extra], 'key'),
        `unknown field "${extra}"${path.length ? ` in ${label(path)}` : ''}`,
        near
          ? `did you mean "${near}"?`
          : allowed.length
            ? `allowed fields: ${allowed.join(', ')}`
            : 'remove the field',
        dotted([...path, extra]),
      );
    }
    case 'type':
    case 'anyOf':
    case 'oneOf': {
      const expected =
        error.keyword === 'type'
          ? String(params.type)
              .split(',')
              .map((t) => YAML_TYPE_NAMES[t] ?? t)
              .join(' or ')
          : 'one of the allowed shapes';
      if (String(params.type) === 'boolean' && isYaml11Boolean(error.data) && isPlainScalarAt(loaded, path)) {
        return yaml11(file, loaded, path, error.data);
      }
      return finding(
        'schema/wrong-type',
        file,
        locate(loaded, path),
        `${label(path)} must be ${article(expected)}, not ${describe(error.data)}`,
        hint ?? `write ${article(expected)} here`,
        dotted(path),
      );
    }
    case 'enum':
      return finding(
        'schema/invalid-value',
        file,
        locate(loaded, path),
        `${label(path)} is ${JSON.stringify(error.data)}, not one of ${(params.allowedValues as unknown[]).join(', ')}`,
        hint ?? 'use one of the allowed values',
        dotted(path),
      );
    case 'pattern':
      return finding(
        'schema/invalid-value',
        file,
        locate(loaded, path),
        `${label(path)} ${JSON.stringify(error.data)} does not match ${String(params.pattern)}`,
        hint ?? 'change the value to match the pattern',
        dotted(path),
      );
    case 'propertyNames':
      return finding(
        'schema/invalid-value',
        file,
        locate(loaded, [...path, String(params.propertyName)], 'key'),
        `name "${String(params.propertyName)}" in ${label(path)} is not allowed`,
        FIELD_HINTS.variant,
        dotted([...path, String(params.propertyName)]),
      );
    default:
      return finding(
        'schema/invalid-value',
        file,
        locate(loaded, path),
        `${label(path)} ${error.message ?? 'is not valid'}`,
        hint ?? `see ${schema} for what is allowed`,
        dotted(path),
      );
  }
}

export function yaml11(
  file: string,
  loaded: Pick<LoadedYaml, 'tree' | 'lines'>,
  path: readonly PathSegment[],
  word: string,
): Finding {
  return finding(
    'yaml/yaml11-boolean',
    file,
    locate(loaded, path),
    `"${word}" is a string in YAML 1.2, not a boolean`,
    `write ${yaml11Replacement(word)}`,
    dotted(path),
  );
}

function article(text: string): string {
  if (text.startsWith('one of')) return text;
  return `${/^[aeiou]/.test(text) ? 'an' : 'a'} ${text}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
