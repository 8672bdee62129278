import { z } from 'zod';

export type JsonSchema = { readonly [key: string]: unknown };

/** Draft 2020-12, the dialect of the checked-in schema files (and of OpenAPI 3.1). */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The JSON Schema of what a payload looks like on the wire (`output`: after transforms, which is
 * what producers emit). Refinements JSON Schema cannot express (a salary range upside down, counts
 * that must add up) are checked by the zod schema only; the files say so in their description.
 */
export function payloadSchema(
  schema: z.ZodType,
  meta: { readonly title: string; readonly description: string },
  target: 'draft-2020-12' | 'draft-7' = 'draft-2020-12',
): JsonSchema {
  const generated = z.toJSONSchema(schema, { io: 'output', target, unrepresentable: 'throw' }) as Record<
    string,
    unknown
  >;
  return sortKeys({ ...generated, title: meta.title, description: meta.description }) as JsonSchema;
}

/** Recursively sorts object keys (arrays keep their order), so generated files diff line by line. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** The text of a checked-in JSON file: sorted keys, two spaces, final newline. */
export const stableJson = (value: unknown): string => `${JSON.stringify(sortKeys(value), null, 2)}\n`;
