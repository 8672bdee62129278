import { z } from 'zod';
import { type ApiRoute } from '../openapi/api-route';

export const ContractSchemaParams = z.strictObject({
  kind: z
    .enum(['events', 'public'])
    .describe('`public`: the analytics topics; `events`: stored/internal payloads'),
  file: z
    .string()
    .regex(/^[A-Za-z]+\.v[1-9]\d*\.schema\.json$/)
    .describe('e.g. `JobPosted.v1.schema.json`'),
});

const cacheable = 'Public, cacheable (Cache-Control max-age 300, ETag; If-None-Match answers 304).';

/** The written contract (issue 6): AsyncAPI document and JSON Schema files, no credential needed. */
export const contractRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/contract',
    operationId: 'getContractIndex',
    summary: 'List the contract documents: the AsyncAPI document and every schema file',
    tags: ['contract'],
    auth: 'none',
    responses: {
      200: {
        description: cacheable,
        schema: z.object({ asyncapi: z.array(z.string()), schemas: z.array(z.string()) }),
      },
    },
  },
  {
    method: 'get',
    path: '/contract/asyncapi.yaml',
    operationId: 'getAsyncApiYaml',
    summary: 'The AsyncAPI 3.0 document of the public Kafka topics (YAML)',
    description:
      'Channels per public topic and replay topic, CloudEvents binary headers, payload schemas. ' + cacheable,
    tags: ['contract'],
    auth: 'none',
    responses: { 200: { description: 'application/yaml' } },
  },
  {
    method: 'get',
    path: '/contract/asyncapi.json',
    operationId: 'getAsyncApiJson',
    summary: 'The same AsyncAPI 3.0 document as JSON',
    tags: ['contract'],
    auth: 'none',
    responses: { 200: { description: `application/json. ${cacheable}` } },
  },
  {
    method: 'get',
    path: '/contract/schemas/{kind}/{file}',
    operationId: 'getContractSchema',
    summary: 'The JSON Schema (2020-12) of one event or public payload version',
    description: `Old versions stay published for as long as stored events of that version can be read. ${cacheable}`,
    tags: ['contract'],
    auth: 'none',
    params: ContractSchemaParams,
    responses: {
      200: { description: 'application/schema+json' },
      404: { description: 'No such schema file.' },
    },
  },
];
