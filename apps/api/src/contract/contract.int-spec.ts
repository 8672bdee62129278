import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StartedApp, startApp } from '@feedwerk/platform';
import { createTestDatabase } from '@feedwerk/testing';
import { parse } from 'yaml';
import { ApiModule } from '../api.module';

const contractDir = join(__dirname, '../../../../docs/contract');

describe('the api serves the written contract (public, cacheable, no credential)', () => {
  let started: StartedApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    started = await startApp(
      {
        app: 'api',
        requires: ['postgres'],
        env: { DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      },
      ApiModule,
    );
  });
  afterAll(async () => {
    await started.app.close();
    await drop();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${started.url}${path}`, { headers });

  it('serves the checked-in AsyncAPI document as YAML and as JSON', async () => {
    const yaml = await get('/contract/asyncapi.yaml');
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(yaml.headers.get('cache-control')).toBe('public, max-age=300');
    const text = await yaml.text();
    expect(text).toBe(readFileSync(join(contractDir, 'asyncapi.yaml'), 'utf8'));

    const json = await get('/contract/asyncapi.json');
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual(parse(text));
  });

  it('serves every checked-in schema file, old versions included, and lists them', async () => {
    const index = (await (await get('/contract')).json()) as { schemas: string[] };
    expect(index.schemas).toContain('/contract/schemas/events/JobPosted.v1.schema.json');
    for (const path of index.schemas) {
      const response = await get(path);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/^application\/schema\+json/);
      expect(await response.text()).toBe(
        readFileSync(join(contractDir, path.replace('/contract/', '')), 'utf8'),
      );
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get('/contract/schemas/public/JobPosted.v1.schema.json');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    expect(
      (await get('/contract/schemas/public/JobPosted.v1.schema.json', { 'if-none-match': etag })).status,
    ).toBe(304);
  });

  it.each([
    '/contract/schemas/public/Nope.v1.schema.json',
    '/contract/schemas/internal/JobPosted.v1.schema.json',
    '/contract/schemas/events/..%2F..%2Fpackage.json',
    '/contract/schemas/events/JobPosted.v9.schema.json',
  ])('answers 404 problem+json for %s', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('links the contract from /docs and lists its routes in the OpenAPI document', async () => {
    expect(await (await get('/docs')).text()).toContain('href="/contract/asyncapi.yaml"');
    const openapi = (await (await get('/docs/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/contract',
        '/contract/asyncapi.yaml',
        '/contract/asyncapi.json',
        '/contract/schemas/{kind}/{file}',
      ]),
    );
  });
});
