import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { VALIDATOR_OPTIONS } from '../../scripts/core/model/generate-validators.js';
import { flagJsonSchema, policyJsonSchema } from '../../scripts/core/model/json-schema.js';
import { type Validator, validators } from '../../scripts/core/model/validators.js';
import { EXAMPLE_ROOT, FIXTURES } from '../helpers/gitdir.js';

/**
 * The precompiled validators must answer exactly as ajv compiling the same schemas with the same
 * options does today: the same verdict and the same errors (which become the findings people read),
 * on every YAML file the tests know and on hundreds of broken variants of them.
 */

// ajv is CommonJS; under NodeNext its default export arrives one level down.
const Ajv2020 = ajv2020.default;
const ajv = new Ajv2020({ ...VALIDATOR_OPTIONS });
const compiled = {
  flag: ajv.compile(flagJsonSchema()) as Validator<unknown>,
  policy: ajv.compile(policyJsonSchema()) as Validator<unknown>,
};
const precompiled = validators();
const KINDS = ['flag', 'policy'] as const;

function outcome(validate: Validator<unknown>, data: unknown) {
  const valid = validate(data);
  return { valid, errors: validate.errors ?? null };
}

/** Both validators of each kind on one value; returns the keywords of the errors seen. */
function expectAgreement(label: string, data: unknown): string[] {
  const keywords: string[] = [];
  for (const kind of KINDS) {
    const expected = outcome(compiled[kind], data);
    // The errors' schema and parentSchema are copies in the generated code, equal but not identical.
    expect(outcome(precompiled[kind], data), `${kind} validator on ${label}`).toStrictEqual(expected);
    for (const error of expected.errors ?? []) keywords.push(error.keyword);
  }
  return keywords;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** What a check would hand the validators; files the parser rejects never reach them. */
function parsed(file: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: parse(readFileSync(file, 'utf8'), { version: '1.2', logLevel: 'error' }) };
  } catch {
    return { ok: false };
  }
}

// The other fixtures (but workflows, which are neither flags nor policies), then the example
// repository's flags (itself a fixture), each file once.
const files = [
  ...yamlFiles(FIXTURES).filter((f) => !f.startsWith(EXAMPLE_ROOT) && !f.includes('/.github/')),
  ...yamlFiles(join(EXAMPLE_ROOT, 'flags')),
];
const name = (file: string) => relative(EXAMPLE_ROOT, file).split('\\').join('/');
const seeds = files.flatMap((file) => {
  const result = parsed(file);
  return result.ok ? [{ file: name(file), value: result.value }] : [];
});

describe('the precompiled validators agree with ajv compiling at run time', () => {
  it('has fixtures and example flags to compare on', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(80);
    expect(seeds.some((s) => s.file === 'flags/_policy.yaml')).toBe(true);
  });

  it.each(seeds.map((s) => [s.file, s.value]))('on %s', (file, value) => {
    expectAgreement(String(file), value);
  });

  it('on hundreds of broken variants: wrong types, unknown, renamed and missing fields, long strings', () => {
    const random = mulberry32(20261124);
    const objects = seeds.filter((s) => isObject(s.value));
    const keywords = new Set<string>();
    let invalid = 0;
    const count = 600;
    for (let i = 0; i < count; i++) {
      const seed = objects[Math.floor(random() * objects.length)]!;
      let value: unknown = structuredClone(seed.value);
      const applied: string[] = [];
      // Mostly one change, sometimes a few, so errors in several places come back together.
      const changes = random() < 0.7 ? 1 : 2 + Math.floor(random() * 3);
      for (let c = 0; c < changes; c++) {
        const [next, description] = mutate(value, random);
        value = next;
        applied.push(description);
      }
      for (const keyword of expectAgreement(`${seed.file} with ${applied.join(', ')} (#${i})`, value))
        keywords.add(keyword);
      if (!compiled.flag(value)) invalid++;
    }
    // Name patterns (propertyNames) only answer a renamed key inside a record of names, which random
    // picks can miss as the fixtures change: every variants record also gets one such key.
    for (const seed of objects) {
      const value = structuredClone(seed.value) as Record<string, unknown>;
      if (!isObject(value.variants) || Object.keys(value.variants).length === 0) continue;
      const [first] = Object.keys(value.variants);
      value.variants['Not A Valid Name!'] = value.variants[first!];
      delete value.variants[first!];
      for (const keyword of expectAgreement(`${seed.file} with variant ${first} renamed`, value))
        keywords.add(keyword);
    }
    // The comparison only means something if the variants broke the files in many different ways.
    expect(invalid).toBeGreaterThan(count / 2);
    for (const keyword of [
      'required',
      'additionalProperties',
      'type',
      'anyOf',
      'pattern',
      'enum',
      'minLength',
      'maxLength',
      'propertyNames',
    ])
      expect(keywords, `no variant produced a "${keyword}" error`).toContain(keyword);
  });

  it('counts string lengths in characters, not UTF-16 code units, as ajv does', () => {
    // ucs2length is the one runtime helper the generated code imports; 1,500 emoji are 3,000 code
    // units, over the 2,000 allowed for a description only if the helper were lost.
    const [seed] = seeds.filter(
      (s) => s.file.startsWith('flags/') && isObject(s.value) && 'description' in s.value,
    );
    const within = { ...(seed!.value as object), description: '😀'.repeat(1500) };
    const beyond = { ...(seed!.value as object), description: '😀'.repeat(2001) };
    expect(precompiled.flag(within)).toBe(true);
    expect(precompiled.flag(beyond)).toBe(false);
    expect(precompiled.flag.errors?.map((e) => e.keyword)).toEqual(['maxLength']);
    expectAgreement('a description of 1,500 emoji', within);
    expectAgreement('a description of 2,001 emoji', beyond);
  });
});

type Path = (string | number)[];
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function paths(value: unknown, at: Path = []): Path[] {
  const children = Array.isArray(value)
    ? value.flatMap((item, i) => paths(item, [...at, i]))
    : isObject(value)
      ? Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))
      : [];
  return [at, ...children];
}

function get(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, segment) => (v as Record<string | number, unknown>)[segment], value);
}

/** Replaces the value at `path`, in place (the caller holds a clone); the root is returned new. */
function put(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path.at(-1)!] = value;
  return root;
}

const REPLACEMENTS: unknown[] = [
  42,
  1.5,
  -1,
  101,
  'text',
  '',
  'Not A Valid Name!',
  '2026-13',
  true,
  false,
  null,
  [],
  ['a', 1],
  {},
  { nested: { deeper: true } },
  'x'.repeat(129),
  'x'.repeat(2001),
  '😀'.repeat(33),
  '😀'.repeat(100),
  '😀'.repeat(300),
];
const UNKNOWN_KEYS = ['unexpected', 'descripton', 'enviroments', 'Grants', 'org_id', 'bad key!', '__extra'];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

function mutate(root: unknown, random: () => number): [unknown, string] {
  const path = pick(paths(root), random);
  const target = get(root, path);
  const where = path.length ? path.join('.') : 'the root';
  const roll = random();
  if (isObject(target) && roll < 0.4) {
    const keys = Object.keys(target);
    if (keys.length > 0 && roll < 0.25) {
      const key = pick(keys, random);
      const value = target[key];
      delete target[key];
      if (roll < 0.15) return [root, `${where}.${key} removed`];
      // A renamed key reaches the name patterns (variant names), not only the list of known fields.
      const renamed = pick(UNKNOWN_KEYS, random);
      target[renamed] = value;
      return [root, `${where}.${key} renamed to ${renamed}`];
    }
    const key = pick(UNKNOWN_KEYS, random);
    target[key] = pick(REPLACEMENTS, random);
    return [root, `${where}.${key} added`];
  }
  const replacement = structuredClone(pick(REPLACEMENTS, random));
  return [put(root, path, replacement), `${where} = ${JSON.stringify(replacement).slice(0, 20)}`];
}

/** A small seeded generator, so a failing variant is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
