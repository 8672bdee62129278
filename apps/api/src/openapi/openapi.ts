import { z } from 'zod';
import { type ApiRoute } from './api-route';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
};

/**
 * JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a client sends (`input`: before defaults and
 * transforms) or receives (`output`). Refinements that JSON Schema cannot express are checked by
 * the server and reported per field.
 */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
};

const parametersOf = (schema: z.ZodObject | undefined, where: 'path' | 'query' | 'header') => {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
};

const SECURITY: Record<ApiRoute['auth'], Record<string, string[]>[]> = {
  none: [],
  employer: [{ employerApiKey: [] }],
  admin: [{ adminToken: [] }],
  candidate: [{ candidateToken: [] }],
};

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** Builds the OpenAPI 3.1 document from the routes' own zod schemas (the ones the controllers parse with). */
export function buildOpenApiDocument(routes: readonly ApiRoute[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [...route.tags],
      security: SECURITY[route.auth],
      parameters: [
        ...parametersOf(route.params, 'path'),
        ...parametersOf(route.query, 'query'),
        ...parametersOf(route.headers, 'header'),
      ],
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            content:
              Number(status) >= 400
                ? { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
                : response.schema
                  ? { 'application/json': { schema: jsonSchema(response.schema, 'output') } }
                  : undefined,
          },
        ]),
      ),
    };
    if (route.body) {
      operation.requestBody = {
        required: true,
        content:
          route.body.kind === 'json'
            ? { 'application/json': { schema: jsonSchema(route.body.schema, 'input') } }
            : {
                'multipart/form-data': {
                  schema: {
                    ...jsonSchema(route.body.schema, 'input'),
                    properties: {
                      ...((jsonSchema(route.body.schema, 'input').properties as JsonSchema | undefined) ??
                        {}),
                      [route.body.fileField]: {
                        type: 'string',
                        contentMediaType: 'application/octet-stream',
                      },
                    },
                  },
                },
              },
      };
    }
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Feedwerk API',
      version: '1',
      description:
        'Commands and read endpoints of the Feedwerk job portal. Errors are application/problem+json (RFC 9457).',
    },
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        employerApiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'The employer API key from POST /employers.',
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'An admin credential from ADMIN_TOKENS.' },
        candidateToken: { type: 'http', scheme: 'bearer', description: 'A candidate token.' },
      },
    },
  };
}
