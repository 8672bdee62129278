import { type EventType, eventCatalog, isEventType, parseEventData } from '@feedwerk/contracts';
import { type EventStore, type StoreCheckpoint } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';
import { type StoreBatch } from '../projection/projection';
import { type ActivityEvent } from './activity.fold';

/** A batch of the store in commit order, as the activity fold reads it. */
export type ActivityBatch = StoreBatch<ActivityEvent>;

type DataOf<T extends EventType> = Extract<ActivityEvent, { type: T }>['data'];
/** A row of the batch: transaction_id, global_position, then ACTIVITY_READ_COLUMNS; the payload fields start at FIELDS. */
type Row = readonly unknown[];
const FIELDS = 10;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const textOrNull = (value: unknown): string | null | undefined =>
  value === null ? null : typeof value === 'string' ? value : undefined;

/**
 * Per event type: the payload fields the fold reads, as SQL over the stored `data` (NULL when
 * absent), and the fold's payload built from them (`row[FIELDS + i]` is `columns[i]`). `build`
 * answers undefined when a field the schema requires is missing or not a string: such a payload
 * would fail validation, so it is skipped like one.
 */
interface FastPath<T extends EventType> {
  readonly columns: readonly string[];
  readonly build: (row: Row) => DataOf<T> | undefined;
}

const FAST_PATHS: { readonly [T in EventType]: FastPath<T> } = {
  JobPosted: {
    columns: [
      `data->'jobId'`,
      `data->'portal'`,
      `data->'category'`,
      `data->'source'`,
      `data->'location'->'region'`,
    ],
    build: (row) => {
      const jobId = text(row[FIELDS]);
      const portal = text(row[FIELDS + 1]);
      const category = text(row[FIELDS + 2]);
      const source = text(row[FIELDS + 3]);
      const region = text(row[FIELDS + 4]);
      return jobId && portal && category && source && region
        ? {
            jobId,
            portal,
            category,
            source: source as DataOf<'JobPosted'>['source'],
            location: { region: region as DataOf<'JobPosted'>['location']['region'] },
          }
        : undefined;
    },
  },
  CvUploaded: {
    columns: [`data->'cvId'`, `data->'portal'`, `data->'public'->'region'`, `data->'public'->'category'`],
    build: (row) => {
      const cvId = text(row[FIELDS]);
      const portal = text(row[FIELDS + 1]);
      const region = textOrNull(row[FIELDS + 2]);
      const category = textOrNull(row[FIELDS + 3]);
      return cvId && portal && region !== undefined && category !== undefined
        ? {
            cvId,
            portal,
            public: { region: region as DataOf<'CvUploaded'>['public']['region'], category },
          }
        : undefined;
    },
  },
  JobUpdated: {
    columns: [`data->'portal'`, `data->'region'`, `data->'category'`],
    build: (row) => {
      const portal = text(row[FIELDS]);
      const region = text(row[FIELDS + 1]);
      const category = text(row[FIELDS + 2]);
      return portal && region && category
        ? { portal, region: region as DataOf<'JobUpdated'>['region'], category }
        : undefined;
    },
  },
  JobsRefreshed: {
    columns: [`data->'portals'`],
    build: (row) => {
      const portals = row[FIELDS];
      return Array.isArray(portals) ? { portals: portals as DataOf<'JobsRefreshed'>['portals'] } : undefined;
    },
  },
  BlogPostPublished: {
    columns: [`data->'portal'`],
    build: (row) => {
      const portal = textOrNull(row[FIELDS]);
      return portal === undefined ? undefined : { portal };
    },
  },
  EmployerRegistered: { columns: [], build: () => ({}) },
  JobClosed: {
    columns: [`data->'jobId'`],
    build: (row) => {
      const jobId = text(row[FIELDS]);
      return jobId ? { jobId } : undefined;
    },
  },
  CandidateErased: {
    columns: [`data->'candidateId'`],
    build: (row) => {
      const candidateId = text(row[FIELDS]);
      return candidateId ? { candidateId } : undefined;
    },
  },
  AdminActionRecorded: { columns: [], build: () => ({}) },
};

const TYPES = Object.keys(eventCatalog) as EventType[];
const WIDTH = Math.max(...TYPES.map((type) => FAST_PATHS[type].columns.length));
const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** The row is an object payload at its type's current schema version (unknown types: NULL, not fast). */
const FAST = `(jsonb_typeof(data) = 'object' AND schema_version = CASE type ${TYPES.map(
  (type) => `WHEN ${sqlString(type)} THEN ${eventCatalog[type].version}`,
).join(' ')} END)`;

/**
 * What a batch's rows hold, after the checkpoint (`readAllAsArrays`). The type names, versions and
 * expressions are this module's constants, not input. A row at its type's current schema version
 * takes the fast path: only the fold's fields, extracted by PostgreSQL (JSON values, so a number
 * stays distinguishable from a string); `data` is not sent. Any other row (an older version to
 * upcast, an unknown type) is sent whole and decoded as the live projector decodes it.
 */
export const ACTIVITY_READ_COLUMNS: readonly string[] = [
  'event_id',
  'stream_id',
  'stream_position',
  'type',
  'schema_version',
  // Whole milliseconds, as pg's Date parsing gives them (it drops microseconds).
  `floor(extract(epoch FROM occurred_at) * 1000)::int8`,
  FAST,
  `CASE WHEN ${FAST} THEN NULL ELSE data END`,
  ...Array.from({ length: WIDTH }, (_, i) => {
    const cases = TYPES.filter((type) => FAST_PATHS[type].columns[i] !== undefined).map(
      (type) => `WHEN ${sqlString(type)} THEN ${FAST_PATHS[type].columns[i]!}`,
    );
    return cases.length > 0 ? `CASE type ${cases.join(' ')} END` : 'NULL';
  }),
];

/**
 * The next batch of the store after `from` for the activity fold, reading only what the fold needs.
 *
 * Why a row at the current schema version is not validated again with zod (in a rebuild of millions
 * of events that costs more than the fold itself): the store is append-only and written only by the
 * EventStore, with payloads the deciders built from validated commands, typed by the same catalog;
 * a payload's shape changes only with a new schema version (the contracts' rule), and older
 * versions still go through the upcasters and the full validation here. A payload missing a field
 * the fold needs is still skipped, as validation would skip it.
 */
export async function readActivityEvents(
  store: EventStore,
  from: StoreCheckpoint,
  limit: number,
  manager?: EntityManager,
): Promise<ActivityBatch> {
  const rows = await store.readAllAsArrays(ACTIVITY_READ_COLUMNS, from, limit, manager);
  const events: ActivityEvent[] = [];
  for (const row of rows) {
    const event = toActivityEvent(row);
    if (event) events.push(event);
  }
  const last = rows.at(-1);
  return {
    count: rows.length,
    events,
    end: last ? { transactionId: String(last[0]), globalPosition: Number(last[1]) } : from,
  };
}

/** Row: transaction_id, global_position, then ACTIVITY_READ_COLUMNS. */
function toActivityEvent(row: Row): ActivityEvent | undefined {
  const type = row[5];
  if (typeof type !== 'string' || !isEventType(type)) return undefined;
  let data: ActivityEvent['data'] | undefined;
  if (row[8] === true) {
    data = FAST_PATHS[type].build(row);
  } else {
    try {
      data = parseEventData(type, Number(row[6]), row[9]);
    } catch {
      // Undecodable: skipped like the live projection's dead letters, so both generations agree.
      return undefined;
    }
  }
  if (data === undefined) return undefined;
  return {
    id: row[2],
    type,
    time: new Date(Number(row[7])).toISOString(),
    streamId: row[3],
    streamPosition: row[4],
    data,
  } as ActivityEvent;
}
