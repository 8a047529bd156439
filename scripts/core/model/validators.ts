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

interface Validators {
  readonly flag: ValidateFunction<Flag>;
  readonly policy: ValidateFunction<PolicyInput>;
}

let ajv: InstanceType<typeof Ajv2020> | undefined;
let flag: ValidateFunction<Flag> | undefined;
let policy: ValidateFunction<PolicyInput> | undefined;
function instance(): InstanceType<typeof Ajv2020> {
  ajv ??= new Ajv2020({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
  return ajv;
}

/**
 * Each validator is compiled on first use: a worker thread that only checks flag files never pays
 * for compiling the policy schema, and a check answered from the cache compiles neither.
 */
const cache: Validators = {
  get flag() {
    flag ??= instance().compile<Flag>(flagJsonSchema());
    return flag;
  },
  get policy() {
    policy ??= instance().compile<PolicyInput>(policyJsonSchema());
    return policy;
  },
};

export function validators(): Validators {
  return cache;
}

export type { ErrorObject };
