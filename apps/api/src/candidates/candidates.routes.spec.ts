import { z } from 'zod';
import { candidatesRoutes } from './candidates.routes';

describe('candidatesRoutes (for the OpenAPI document)', () => {
  it('describes the four candidate routes once each', () => {
    expect(candidatesRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`)).toEqual([
      'POST /candidates/cvs',
      'GET /candidates/{candidateId}',
      'GET /candidates/{candidateId}/cvs/{cvId}',
      'DELETE /candidates/{candidateId}',
    ]);
    expect(new Set(candidatesRoutes.map((r) => r.operationId)).size).toBe(candidatesRoutes.length);
  });

  it('has schemas that export to JSON Schema, the upload as a multipart form with a binary file part', () => {
    for (const route of candidatesRoutes) {
      for (const schema of [route.params, route.headers, route.body?.schema]) {
        if (schema) expect(() => z.toJSONSchema(schema, { io: 'input' })).not.toThrow();
      }
      for (const response of Object.values(route.responses)) {
        if (response.schema) expect(() => z.toJSONSchema(response.schema!, { io: 'output' })).not.toThrow();
      }
    }
    const upload = candidatesRoutes[0]!;
    expect(upload.body?.kind).toBe('multipart');
    const form = z.toJSONSchema(upload.body!.schema, { io: 'input' }) as {
      properties: Record<string, { format?: string }>;
      required: string[];
    };
    expect(form.properties.file?.format).toBe('binary');
    expect(form.required).toEqual(expect.arrayContaining(['file', 'name', 'email', 'portal']));
    expect(form.required).not.toContain('headline');
  });
});
