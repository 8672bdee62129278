import SwaggerParser from '@apidevtools/swagger-parser';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { type OpenAPI } from 'openapi-types';
import { ApiModule } from '../apps/api/src/api.module';
import { DocsController } from '../apps/api/src/openapi/docs.controller';
import { apiRoutes } from '../apps/api/src/openapi/routes';
import { startApi } from './support';

type Controller = abstract new (...args: never[]) => unknown;

type ModuleRefLike = Controller | { module: Controller } | undefined;

/** The controllers of a module and of every module it imports (static or dynamic), each once. */
function controllersOf(module: Controller, seen = new Set<Controller>()): Controller[] {
  if (seen.has(module)) return [];
  seen.add(module);
  const own = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, module) as Controller[] | undefined) ?? [];
  const imports = (Reflect.getMetadata(MODULE_METADATA.IMPORTS, module) as ModuleRefLike[] | undefined) ?? [];
  return [
    ...own,
    ...imports.flatMap((imported) =>
      imported === undefined
        ? []
        : controllersOf(typeof imported === 'function' ? imported : imported.module, seen),
    ),
  ];
}

/** Every `METHOD /path` the api's controllers serve (its imported modules' too), from Nest's own route metadata. */
function servedRoutes(): string[] {
  const controllers = controllersOf(ApiModule).filter((c) => c !== DocsController);
  return controllers.flatMap((controller) => {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller));
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto).flatMap((name) => {
      const handler = proto[name];
      if (typeof handler !== 'function' || name === 'constructor') return [];
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) return [];
      const path = String(Reflect.getMetadata(PATH_METADATA, handler));
      const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/:(\w+)/g, '{$1}');
      return [`${RequestMethod[method]} ${full}`];
    });
  });
}

describe('the OpenAPI document at /docs', () => {
  let started: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    started = await startApi();
  }, 60_000);
  afterAll(() => started?.stop());

  it('is a valid OpenAPI 3.1 document that lists every route the api serves', async () => {
    const response = await fetch(`${started.url}/docs/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; requestBody?: unknown }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    await expect(
      SwaggerParser.validate(structuredClone(document) as unknown as OpenAPI.Document),
    ).resolves.toBeDefined();

    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(servedRoutes().sort());
    expect(documented).toHaveLength(apiRoutes.length);
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /jobs',
        'POST /jobs/import',
        'PATCH /jobs/{jobId}',
        'POST /jobs/{jobId}/close',
        'POST /jobs/refresh',
        'POST /blog-posts',
        'GET /jobs',
        'GET /jobs/{jobId}',
        'GET /employers/{employerId}',
      ]),
    );
  });

  it('describes bodies with the same schemas the server validates with', async () => {
    const document = (await (await fetch(`${started.url}/docs/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >;
    };
    const postJob = document.paths['/jobs']!.post!.requestBody.content['application/json']!.schema as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(postJob.additionalProperties).toBe(false);
    expect(postJob.required).toEqual(
      expect.arrayContaining(['title', 'description', 'location', 'category', 'employmentType', 'portal']),
    );
    expect(postJob.required).not.toContain('salary');
    expect(Object.keys(postJob.properties)).not.toContain('employerId');
    expect(postJob.properties.title).toMatchObject({ type: 'string' });
  });

  it('serves a page that names every endpoint, under a CSP relaxed for /docs only', async () => {
    const page = await fetch(`${started.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    for (const route of apiRoutes) expect(html).toContain(`<code>${route.path}</code>`);
    expect(page.headers.get('content-security-policy')).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe');
    expect(html).not.toContain('<script');
    const api = await fetch(`${started.url}/jobs`);
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(api.headers.get('content-security-policy')).not.toContain('style-src');
  });
});
