import ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Flag } from './flag.js';
import { flagJsonSchema, policyJsonSchema } from './json-schema.js';
import type { PolicyInput } from './policy.js';

// ajv is CommonJS; under NodeNext its default export arrives one level down.
const Ajv2020 = ajv2020.default;

/**
 * ajv validates files against the generated JSON Schemas, the same ones editors and other languages
 * use. Its compiled validators are type guards, so a value that passes is typed without a cast.
 */

let cache: { flag: ValidateFunction<Flag>; policy: ValidateFunction<PolicyInput> } | undefined;

export function validators() {
  if (!cache) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
    cache = {
      flag: ajv.compile<Flag>(flagJsonSchema()),
      policy: ajv.compile<PolicyInput>(policyJsonSchema()),
    };
  }
  return cache;
}

export type { ErrorObject };
