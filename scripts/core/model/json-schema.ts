import { z } from 'zod';
import { FlagSchema } from './flag.js';
import { OrganizationSchema } from './organization.js';
import { PolicySchema } from './policy.js';

/**
 * The published JSON Schemas are generated from the zod schemas. `flags schemas --write` writes
 * them to schemas/, and a test fails when the checked-in files drift from this output.
 */

export const SCHEMA_BASE_URL = 'https://flags-as-code.dev/schemas';

function generate(schema: z.ZodType, id: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  return { $schema: json.$schema, $id: `${SCHEMA_BASE_URL}/${id}`, ...json };
}

export const flagJsonSchema = () => generate(FlagSchema, 'flag.schema.json');
export const policyJsonSchema = () => generate(PolicySchema, 'policy.schema.json');

export const organizationJsonSchema = () => generate(OrganizationSchema, 'organization.schema.json');

export const PUBLISHED_SCHEMAS = {
  'flag.schema.json': flagJsonSchema,
  'organization.schema.json': organizationJsonSchema,
  'policy.schema.json': policyJsonSchema,
} as const;

export const renderSchema = (schema: Record<string, unknown>): string =>
  `${JSON.stringify(schema, null, 2)}\n`;
