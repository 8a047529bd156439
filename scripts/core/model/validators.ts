import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Flag } from './flag.js';
import {
  flag as flagCode,
  organization as organizationCode,
  policy as policyCode,
} from './generated/validators.js';
import type { Organization } from './organization.js';
import type { PolicyInput } from './policy.js';

/**
 * ajv validates files against the generated JSON Schemas, the same ones editors and other languages
 * use. The validators are ajv's own compiled code, generated ahead of time (generate-validators.ts,
 * `npm run validators`): compiling at run time cost every thread that analyses flag files ~100 ms
 * for importing ajv and zod and compiling the flag schema. A test holds the generated code to what
 * ajv compiles today, file for file and error for error.
 */

/** A type guard that, like an ajv ValidateFunction, leaves the last call's errors on itself. */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null;
}

interface Validators {
  readonly flag: Validator<Flag>;
  readonly policy: Validator<PolicyInput>;
  readonly organization: Validator<Organization>;
}

// The generated code is untyped JavaScript (its functions return boolean). These are the types
// ajv's compile<Flag>() asserted before; the drift test ties the code to the schemas generated from
// the very zod schemas these types are inferred from.
const cache: Validators = {
  flag: flagCode as unknown as Validator<Flag>,
  policy: policyCode as unknown as Validator<PolicyInput>,
  organization: organizationCode as unknown as Validator<Organization>,
};

export function validators(): Validators {
  return cache;
}

export type { ErrorObject };
