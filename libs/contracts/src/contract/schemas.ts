import { type z } from 'zod';
import { eventCatalog, type EventType } from '../catalog';
import {
  PUBLIC_ACTIVITY_TYPE,
  PUBLIC_ACTIVITY_VERSION,
  PublicActivityChange,
  publicEventCatalog,
  type PublicEventDefinition,
  type PublicTopicFamily,
} from '../public';
import { legacyEventSchemas, legacyPublicSchemas } from './legacy';

/**
 * One schema version of the written contract: `events` are the stored and internal-topic payloads,
 * `public` the allow-listed payloads of the `feedwerk.public.*` topics.
 */
export interface ContractSchema {
  readonly kind: 'events' | 'public';
  readonly type: string;
  readonly version: number;
  /** Whether producers emit this version today (older versions are only read and upcast). */
  readonly current: boolean;
  readonly schema: z.ZodType;
  readonly description: string;
  /** Public types only: the topic family it travels on. */
  readonly family?: PublicTopicFamily;
}

/** Path of a schema file, relative to docs/contract/. */
export const schemaFilePath = (kind: ContractSchema['kind'], type: string, version: number): string =>
  `schemas/${kind}/${type}.v${version}.schema.json`;

const legacyNote = (current: number) =>
  `A former version: still read (upcast to v${current}), no longer produced.`;

/** Every version of every event and public type, old ones included, in a stable order. */
export function contractSchemas(): ContractSchema[] {
  const schemas: ContractSchema[] = [];
  for (const type of Object.keys(eventCatalog).sort() as EventType[]) {
    const definition = eventCatalog[type];
    const legacy = legacyEventSchemas[type] ?? {};
    for (const [version, schema] of Object.entries(legacy)) {
      schemas.push({
        kind: 'events',
        type,
        version: Number(version),
        current: false,
        schema,
        description: `${definition.description} ${legacyNote(definition.version)}`,
      });
    }
    schemas.push({
      kind: 'events',
      type,
      version: definition.version,
      current: true,
      schema: definition.schema,
      description: definition.description,
    });
  }
  const publicTypes: readonly PublicEventDefinition[] = Object.values(publicEventCatalog);
  for (const definition of [...publicTypes].sort((a, b) => a.type.localeCompare(b.type))) {
    for (const [version, schema] of Object.entries(legacyPublicSchemas[definition.type] ?? {})) {
      schemas.push({
        kind: 'public',
        type: definition.type,
        version: Number(version),
        current: false,
        schema,
        description: `${definition.description} ${legacyNote(definition.version)}`,
        family: definition.family,
      });
    }
    schemas.push({
      kind: 'public',
      type: definition.type,
      version: definition.version,
      current: true,
      schema: definition.schema,
      description: definition.description,
      family: definition.family,
    });
  }
  schemas.push({
    kind: 'public',
    type: PUBLIC_ACTIVITY_TYPE,
    version: PUBLIC_ACTIVITY_VERSION,
    current: true,
    schema: PublicActivityChange,
    description:
      'An item of the box „Neueste Aktivitäten“ was added, updated in place or retracted; ' +
      'positions count within a generation of the activity projection (reset on a rebuild).',
    family: 'activity',
  });
  return schemas.sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.type.localeCompare(b.type) || a.version - b.version,
  );
}
