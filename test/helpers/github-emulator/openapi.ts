import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ajvModule, { type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';

/**
 * Validates requests against GitHub's own OpenAPI description (api.github.com, from
 * @octokit/openapi): the route must exist, with that method; path and query parameters must be
 * declared and of the declared type; required ones must be present; the JSON body must match the
 * request body schema, and name no property the schema does not declare. GitHub itself ignores
 * unknown fields, which is exactly how a misspelt field slips through unnoticed, so here it fails.
 */

// ajv and ajv-formats are CommonJS; under NodeNext their default exports arrive one level down.
const Ajv = ajvModule.default;
const addFormats = formatsModule.default;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  operationId?: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}

interface PathItem {
  parameters?: (Parameter | { $ref: string })[];
  [method: string]: unknown;
}

interface Spec {
  paths: Record<string, PathItem>;
  components: { parameters: Record<string, Parameter>; schemas: Record<string, Schema> };
}

export interface MatchedRoute {
  /** The path template, e.g. /repos/{owner}/{repo}/pulls. */
  template: string;
  method: string;
  operationId: string;
  params: Record<string, string>;
}

export type Validation =
  | { ok: true; route: MatchedRoute }
  | { ok: false; status: 404 | 400; problem: string; route?: MatchedRoute };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let loaded: OpenApi | undefined;

/** The description is 13 MB of JSON: read it once per process. */
export function githubOpenApi(): OpenApi {
  loaded ??= new OpenApi(
    JSON.parse(
      readFileSync(
        createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json'),
        'utf8',
      ),
    ) as Spec,
  );
  return loaded;
}

export class OpenApi {
  private readonly routes: { template: string; regex: RegExp; names: string[]; literals: number }[];
  private readonly validators = new Map<string, ValidateFunction>();
  // GitHub's description uses a few formats of its own; the ones a request can carry are checked,
  // others (none in request bodies the bot sends) pass unchecked rather than filling the log.
  private readonly ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: true,
    logger: { log: () => {}, warn: () => {}, error: (...args: unknown[]) => console.error(...args) },
  });

  constructor(private readonly spec: Spec) {
    addFormats(this.ajv);
    this.ajv.addFormat('repo.nwo', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);
    this.routes = Object.keys(spec.paths).map((template) => {
      const names: string[] = [];
      const source = template
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{([^}]+)\}/g, (_, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
      return {
        template,
        regex: new RegExp(`^${source}$`),
        names,
        literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      };
    });
    // A literal segment beats a parameter: /pulls/comments before /pulls/{pull_number}.
    this.routes.sort((a, b) => b.literals - a.literals);
  }

  /** The template a path belongs to, whatever the method. */
  match(path: string): { template: string; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { template: route.template, params };
    }
    return undefined;
  }

  validate(method: string, path: string, query: URLSearchParams, body: unknown): Validation {
    const found = this.match(path);
    if (!found) return { ok: false, status: 404, problem: `no route ${path} in GitHub's API` };
    const item = this.spec.paths[found.template]!;
    const op = item[method.toLowerCase()] as Operation | undefined;
    if (!op || !METHODS.includes(method.toLowerCase())) {
      const allowed = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
      return {
        ok: false,
        status: 404,
        problem: `${method} is not a method of ${found.template} (only ${allowed.join(', ')})`,
      };
    }
    const route: MatchedRoute = {
      template: found.template,
      method: method.toUpperCase(),
      operationId: op.operationId ?? '',
      params: found.params,
    };
    const fail = (problem: string): Validation => ({
      ok: false,
      status: 400,
      problem: `${route.method} ${route.template}: ${problem}`,
      route,
    });
    const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) =>
      this.resolveParameter(p),
    );
    for (const p of parameters.filter((x) => x.in === 'path')) {
      const problem = this.checkValue(p, found.params[p.name]);
      if (problem) return fail(problem);
    }
    const declared = new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
    for (const name of new Set(query.keys())) {
      const p = declared.get(name);
      if (!p) return fail(`query parameter "${name}" is not declared`);
      const values = query.getAll(name);
      if (values.length > 1) return fail(`query parameter "${name}" is given ${values.length} times`);
      const problem = this.checkValue(p, values[0]);
      if (problem) return fail(problem);
    }
    for (const p of declared.values())
      if (p.required && !query.has(p.name)) return fail(`required query parameter "${p.name}" is missing`);
    const content = op.requestBody?.content?.['application/json'];
    if (!content) {
      if (body !== undefined) return fail('this operation takes no JSON body');
      return { ok: true, route };
    }
    if (body === undefined) {
      if (op.requestBody?.required) return fail('the JSON body is required');
      return { ok: true, route };
    }
    const key = `${route.method} ${route.template}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(this.deref(content.schema ?? {}, []) as object);
      this.validators.set(key, validate);
    }
    if (!validate(body)) {
      const first = validate.errors?.[0];
      return fail(
        `body ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'} ${first?.params ? JSON.stringify(first.params) : ''}`.trim(),
      );
    }
    const unknown = undeclaredProperties(this.deref(content.schema ?? {}, []), body);
    if (unknown.length > 0) return fail(`body names undeclared properties: ${unknown.join(', ')}`);
    return { ok: true, route };
  }

  private resolveParameter(p: Parameter | { $ref: string }): Parameter {
    if ('$ref' in p) {
      const name = p.$ref.replace('#/components/parameters/', '');
      const resolved = this.spec.components.parameters[name];
      if (!resolved) throw new Error(`unresolved ${p.$ref}`);
      return resolved;
    }
    return p;
  }

  private checkValue(p: Parameter, raw: string | undefined): string | undefined {
    if (raw === undefined) return p.required ? `parameter "${p.name}" is missing` : undefined;
    const schema = this.deref(p.schema ?? {}, []) as Schema;
    const value = coerce(raw, schema);
    const key = `param:${JSON.stringify(schema)}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(key, validate);
    }
    if (!validate(value))
      return `parameter "${p.name}"=${JSON.stringify(raw)} ${validate.errors?.[0]?.message ?? 'is invalid'}`;
    return undefined;
  }

  /** Inlines $refs to components; a cycle becomes {} (request bodies are not recursive in practice). */
  private deref(node: Json | undefined, stack: string[]): Json {
    if (Array.isArray(node)) return node.map((n) => this.deref(n, stack));
    if (!node || typeof node !== 'object') return node ?? {};
    const ref = node.$ref;
    if (typeof ref === 'string') {
      if (stack.includes(ref)) return {};
      const name = ref.replace('#/components/schemas/', '');
      const target = this.spec.components.schemas[name];
      if (!target) throw new Error(`unresolved ${ref}`);
      return this.deref(target, [...stack, ref]);
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'example' || k === 'examples' || k === 'description') continue;
      out[k] =
        k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, this.deref(s, stack)]))
          : this.deref(v, stack);
    }
    return out;
  }
}

function coerce(raw: string, schema: Schema): unknown {
  const type = schema.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/** Top-level properties of `body` that no object alternative of the schema declares. */
function undeclaredProperties(schema: Json, body: unknown): string[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const declared = new Set<string>();
  let open = false;
  const collect = (s: Json) => {
    if (!s || typeof s !== 'object' || Array.isArray(s)) return;
    if (s.properties && typeof s.properties === 'object' && !Array.isArray(s.properties))
      for (const k of Object.keys(s.properties)) declared.add(k);
    else if (s.type === 'object' || s.type === undefined) {
      if (!s.oneOf && !s.anyOf && !s.allOf) open = true;
    }
    if (s.additionalProperties) open = true;
    for (const key of ['oneOf', 'anyOf', 'allOf'])
      if (Array.isArray(s[key])) for (const alt of s[key] as Json[]) collect(alt);
  };
  collect(schema);
  if (open) return [];
  return Object.keys(body).filter((k) => !declared.has(k));
}
