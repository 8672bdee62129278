import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import {
  ASYNCAPI_FILE,
  buildContractFiles,
  contractCompatibilityProblems,
  contractSchemas,
  eventCatalog,
  findBreakingChanges,
  JobPosted,
  type JsonSchema,
  parseEventData,
  PublicTopics,
  ReplayTopics,
  schemaFilePath,
  type ContractSchema,
} from '@feedwerk/contracts';

const root = join(__dirname, '../../../..');
const contractDir = join(root, 'docs/contract');
const fixturesDir = join(root, 'libs/contracts/fixtures');
const readCheckedIn = (path: string): string | undefined =>
  existsSync(join(contractDir, path)) ? readFileSync(join(contractDir, path), 'utf8') : undefined;
const readJson = (path: string): JsonSchema => JSON.parse(readFileSync(path, 'utf8')) as JsonSchema;

describe('the written contract (docs/contract)', () => {
  const generated = buildContractFiles();

  it('matches the zod definitions byte for byte (else: run npm run contract)', () => {
    const drifted = [...generated]
      .filter(([path, content]) => readCheckedIn(path) !== content)
      .map(([p]) => p);
    expect({ drifted, hint: 'run npm run contract' }).toEqual({ drifted: [], hint: 'run npm run contract' });
  });

  it('keeps no schema file the definitions no longer produce (old versions stay in legacy.ts)', () => {
    const checkedIn = ['events', 'public'].flatMap((kind) =>
      readdirSync(join(contractDir, 'schemas', kind)).map((file) => `schemas/${kind}/${file}`),
    );
    expect(checkedIn.filter((path) => !generated.has(path))).toEqual([]);
  });

  it('has a schema for every version of every event, old ones included', () => {
    for (const [type, definition] of Object.entries(eventCatalog)) {
      for (let version = 1; version <= definition.version; version += 1) {
        expect(generated.has(schemaFilePath('events', type, version))).toBe(true);
      }
    }
    expect(generated.has('schemas/events/JobPosted.v1.schema.json')).toBe(true);
  });

  it('changes no published schema version incompatibly', () => {
    expect(contractCompatibilityProblems(readCheckedIn)).toEqual([]);
  });
});

describe('compatibility check', () => {
  const checkedInV2 = readJson(join(contractDir, 'schemas/events/JobPosted.v2.schema.json'));

  it('catches the deliberately breaking copy of JobPosted v2 in the fixtures', () => {
    const breaking = readJson(join(fixturesDir, 'breaking/JobPosted.v2.schema.json'));
    const found = findBreakingChanges(checkedInV2, breaking).map((c) => `${c.path} ${c.rule}`);
    expect(found.sort()).toEqual(
      [
        'remote removed-property',
        'title changed-type',
        'source narrowed-enum',
        'benefits newly-required',
        'location.city stricter-bound',
      ].sort(),
    );
  });

  const withJobPosted = (schema: z.ZodType, version: number, legacy: ContractSchema[] = []) => [
    ...legacy,
    ...contractSchemas()
      .filter((s) => !(s.kind === 'events' && s.type === 'JobPosted' && s.current))
      .concat({ kind: 'events', type: 'JobPosted', version, current: true, schema, description: 'x' }),
  ];
  const v2Shape = JobPosted.schema.shape;

  it('refuses a field removed from the current version without a new version', () => {
    const { remote: _remote, ...rest } = v2Shape;
    const problems = contractCompatibilityProblems(readCheckedIn, withJobPosted(z.strictObject(rest), 2));
    expect(problems).toEqual([expect.stringMatching(/^events\/JobPosted v2 remote: removed-property/)]);
  });

  it('refuses a retyped field without a new version', () => {
    const retyped = z.strictObject({ ...v2Shape, remote: z.enum(['yes', 'no']) });
    expect(contractCompatibilityProblems(readCheckedIn, withJobPosted(retyped, 2))).toEqual([
      expect.stringMatching(/^events\/JobPosted v2 remote: changed-type/),
    ]);
  });

  it('accepts the same change as a new version with an upcaster, the old version kept', () => {
    const { remote: _remote, ...rest } = v2Shape;
    const v2: ContractSchema = {
      kind: 'events',
      type: 'JobPosted',
      version: 2,
      current: false,
      schema: JobPosted.schema,
      description: 'x',
    };
    const bumped = withJobPosted(z.strictObject(rest), 3, [v2]);
    expect(contractCompatibilityProblems(readCheckedIn, bumped, () => true)).toEqual([]);
    expect(contractCompatibilityProblems(readCheckedIn, bumped, (_type, from) => from !== 2)).toEqual([
      'events/JobPosted v3: no upcaster from v2',
    ]);
    expect(
      contractCompatibilityProblems(
        readCheckedIn,
        bumped.filter((s) => s !== v2),
        () => true,
      ),
    ).toEqual(['events/JobPosted v2 has no schema: keep it in legacy.ts']);
  });

  it('accepts an added optional field', () => {
    const widened = z.strictObject({ ...v2Shape, benefits: z.string().optional() });
    expect(contractCompatibilityProblems(readCheckedIn, withJobPosted(widened, 2))).toEqual([]);
  });

  const s = (schema: JsonSchema) => schema;
  it.each([
    ['an integer widened to a number', s({ type: 'integer' }), s({ type: 'number' }), []],
    ['a number narrowed to an integer', s({ type: 'number' }), s({ type: 'integer' }), ['changed-type']],
    [
      'a nullable field made required non-null',
      s({ anyOf: [{ type: 'string' }, { type: 'null' }] }),
      s({ type: 'string' }),
      ['changed-type'],
    ],
    [
      'a field made nullable',
      s({ type: 'string' }),
      s({ anyOf: [{ type: 'string' }, { type: 'null' }] }),
      [],
    ],
    ['an enum value added', s({ enum: ['a'] }), s({ enum: ['a', 'b'] }), []],
    ['an enum value dropped', s({ enum: ['a', 'b'] }), s({ enum: ['a'] }), ['narrowed-enum']],
    ['a const changed', s({ const: 'EUR' }), s({ const: 'USD' }), ['narrowed-enum']],
    [
      'a maximum lowered',
      s({ type: 'integer', maximum: 10 }),
      s({ type: 'integer', maximum: 5 }),
      ['stricter-bound'],
    ],
    ['a maximum raised', s({ type: 'integer', maximum: 10 }), s({ type: 'integer', maximum: 50 }), []],
    ['a minLength added', s({ type: 'string' }), s({ type: 'string', minLength: 1 }), ['stricter-bound']],
    [
      'a minItems raised',
      s({ type: 'array', minItems: 0 }),
      s({ type: 'array', minItems: 1 }),
      ['stricter-bound'],
    ],
    [
      'a pattern changed',
      s({ type: 'string', pattern: 'a' }),
      s({ type: 'string', pattern: 'b' }),
      ['stricter-pattern'],
    ],
    ['a pattern dropped', s({ type: 'string', pattern: 'a' }), s({ type: 'string' }), []],
    ['a format added', s({ type: 'string' }), s({ type: 'string', format: 'uuid' }), ['changed-format']],
    [
      'an open object closed',
      s({ type: 'object', properties: {} }),
      s({ type: 'object', properties: {}, additionalProperties: false }),
      ['closed-object'],
    ],
    [
      'an item type changed',
      s({ type: 'array', items: { type: 'string' } }),
      s({ type: 'array', items: { type: 'integer' } }),
      ['changed-type'],
    ],
    [
      'a record value narrowed',
      s({ type: 'object', additionalProperties: { type: 'number' } }),
      s({ type: 'object', additionalProperties: { type: 'integer' } }),
      ['changed-type'],
    ],
    [
      'an optional property made required',
      s({ type: 'object', properties: { a: {} } }),
      s({ type: 'object', properties: { a: {} }, required: ['a'] }),
      ['newly-required'],
    ],
    ['a keyword it cannot compare', s({ type: 'object' }), s({ type: 'object', allOf: [] }), ['unsupported']],
  ])('%s', (_what, before, after, rules) => {
    expect(findBreakingChanges(before, after).map((c) => c.rule)).toEqual(rules);
  });
});

describe('golden fixtures (libs/contracts/fixtures)', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addFormat('base64', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  const cases = contractSchemas().map(
    (schema) => [`${schema.kind}/${schema.type}.v${schema.version}`, schema] as const,
  );

  it.each(cases)('%s has a fixture that its checked-in schema file accepts', (name, schema) => {
    const fixture: unknown = JSON.parse(readFileSync(join(fixturesDir, `${name}.json`), 'utf8'));
    const validate = ajv.compile(
      readJson(join(contractDir, schemaFilePath(schema.kind, schema.type, schema.version))),
    );
    expect({ valid: validate(fixture), errors: validate.errors ?? null }).toEqual({
      valid: true,
      errors: null,
    });
    expect(schema.schema.safeParse(fixture).success).toBe(true);
    if (schema.kind === 'events') {
      // Old versions must still reach today's version through the upcasters.
      expect(() => parseEventData(schema.type, schema.version, fixture)).not.toThrow();
    }
  });

  it('upcasts the JobPosted v1 fixture to a valid v2: no salary, on site', () => {
    const v1: unknown = JSON.parse(readFileSync(join(fixturesDir, 'events/JobPosted.v1.json'), 'utf8'));
    expect(parseEventData('JobPosted', 1, v1)).toMatchObject({ salary: null, remote: false });
  });

  it('a schema file refuses what the contract refuses (an unknown field, a missing one)', () => {
    const validate = ajv.compile(readJson(join(contractDir, 'schemas/public/JobPosted.v1.schema.json')));
    const fixture = readJson(join(fixturesDir, 'public/JobPosted.v1.json'));
    expect(validate({ ...fixture, description: 'not public' })).toBe(false);
    const { title: _title, ...withoutTitle } = fixture;
    expect(validate(withoutTitle)).toBe(false);
  });
});

describe('AsyncAPI document', () => {
  it('is a valid AsyncAPI 3.0 document (@asyncapi/parser reports no error or warning)', async () => {
    const text = readFileSync(join(contractDir, ASYNCAPI_FILE), 'utf8');
    const { document, diagnostics } = await new Parser().parse(text);
    expect(
      diagnostics.filter((d) => Number(d.severity) <= 1).map((d) => `${d.path.join('.')}: ${d.message}`),
    ).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    expect(addresses.sort()).toEqual([...Object.values(PublicTopics), ...Object.values(ReplayTopics)].sort());
    for (const operation of document!.operations().all()) expect(operation.action()).toBe('receive');
    const jobs = document!
      .channels()
      .all()
      .find((c) => c.address() === PublicTopics.jobs)!;
    expect(
      jobs
        .messages()
        .all()
        .map((m) => m.name())
        .sort(),
    ).toEqual(['JobClosed', 'JobPosted', 'JobUpdated', 'JobsRefreshed'].sort());
    const posted = jobs
      .messages()
      .all()
      .find((m) => m.name() === 'JobPosted')!;
    expect(Object.keys(posted.headers()?.properties() ?? {})).toEqual(
      expect.arrayContaining(['ce_schemaversion', 'ce_correlationid', 'ce_causationid', 'ce_id', 'ce_type']),
    );
    expect(posted.payload()?.required()).toContain('jobId');
  });
});
