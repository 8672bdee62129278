import { stringify } from 'yaml';
import { eventCatalog, isEventType } from '../catalog';
import { findBreakingChanges } from './compatibility';
import { buildAsyncApiDocument } from './asyncapi';
import { JSON_SCHEMA_DIALECT, type JsonSchema, payloadSchema, stableJson } from './json-schema';
import { type ContractSchema, contractSchemas, schemaFilePath } from './schemas';

export * from './asyncapi';
export * from './compatibility';
export * from './json-schema';
export * from './legacy';
export * from './schemas';

export const ASYNCAPI_FILE = 'asyncapi.yaml';

/** The JSON Schema 2020-12 file of one contract schema version. */
export function schemaFile(schema: ContractSchema): Record<string, unknown> {
  return {
    ...payloadSchema(schema.schema, {
      title: `${schema.type} v${schema.version}`,
      description: schema.description,
    }),
    $schema: JSON_SCHEMA_DIALECT,
  };
}

/** The AsyncAPI document as checked in: YAML, sorted keys, no anchors. */
export const asyncApiYaml = (document: Record<string, unknown> = buildAsyncApiDocument()): string =>
  stringify(document, { aliasDuplicateObjects: false, lineWidth: 0, sortMapEntries: true });

/**
 * Every generated file of the written contract, by path relative to docs/contract/. Pure: the
 * `npm run contract` script writes them, the drift test compares them with the checked-in files,
 * the api serves them.
 */
export function buildContractFiles(
  schemas: readonly ContractSchema[] = contractSchemas(),
): Map<string, string> {
  const files = new Map<string, string>();
  for (const schema of schemas) {
    files.set(schemaFilePath(schema.kind, schema.type, schema.version), stableJson(schemaFile(schema)));
  }
  files.set(ASYNCAPI_FILE, asyncApiYaml(buildAsyncApiDocument(schemas)));
  return files;
}

/**
 * The compatibility rule of the written contract: a schema version that is checked in may change
 * only compatibly (see findBreakingChanges). A breaking change needs a new version; an internal
 * event's new version needs an upcaster from the one before, and every older version must still
 * have its schema (legacy.ts). `readCheckedIn` gives a checked-in file's text by its path relative
 * to docs/contract/, or undefined.
 */
export function contractCompatibilityProblems(
  readCheckedIn: (path: string) => string | undefined,
  schemas: readonly ContractSchema[] = contractSchemas(),
  upcasterExists: (type: string, fromVersion: number) => boolean = defaultUpcasterExists,
): string[] {
  const problems: string[] = [];
  for (const schema of schemas) {
    const name = `${schema.kind}/${schema.type} v${schema.version}`;
    const checkedIn = readCheckedIn(schemaFilePath(schema.kind, schema.type, schema.version));
    if (checkedIn !== undefined) {
      for (const change of findBreakingChanges(JSON.parse(checkedIn) as JsonSchema, schemaFile(schema))) {
        problems.push(
          `${name} ${change.path}: ${change.rule} (${change.detail}); a published version must stay compatible: ` +
            'bump the version (add an upcaster) and keep this one in legacy.ts',
        );
      }
    }
    for (let version = 1; version < schema.version && schema.current; version += 1) {
      if (!schemas.some((s) => s.kind === schema.kind && s.type === schema.type && s.version === version)) {
        problems.push(`${schema.kind}/${schema.type} v${version} has no schema: keep it in legacy.ts`);
      }
      if (schema.kind === 'events' && !upcasterExists(schema.type, version)) {
        problems.push(`${name}: no upcaster from v${version}`);
      }
    }
  }
  return problems;
}

function defaultUpcasterExists(type: string, fromVersion: number): boolean {
  return isEventType(type) && typeof eventCatalog[type].upcasters[fromVersion] === 'function';
}
