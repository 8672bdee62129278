import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { type AdminEventView } from './history.reader';

export const CSV_COLUMNS = [
  'position',
  'time',
  'type',
  'schemaVersion',
  'streamId',
  'streamPosition',
  'id',
  'correlationId',
  'causationId',
  'actorKind',
  'actorId',
  'source',
  'data',
] as const;

/**
 * A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
 * apostrophe: an exported history opened in Excel must not execute what a job title contained.
 */
export const csvSafe = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const csvRow = (e: AdminEventView): string[] =>
  [
    String(e.position),
    e.time,
    e.type,
    String(e.schemaVersion),
    e.streamId,
    String(e.streamPosition),
    e.id,
    e.correlationId,
    e.causationId ?? '',
    e.actor.kind,
    e.actor.id ?? '',
    e.source,
    e.data === null ? '' : JSON.stringify(e.data),
  ].map(csvSafe);

async function* lines(batches: AsyncIterable<AdminEventView[]>): AsyncGenerator<string> {
  for await (const batch of batches) yield batch.map((event) => `${JSON.stringify(event)}\n`).join('');
}

async function* rows(batches: AsyncIterable<AdminEventView[]>): AsyncGenerator<string[]> {
  for await (const batch of batches) for (const event of batch) yield csvRow(event);
}

/**
 * The export as a byte stream. Readable.from pulls the next batch only when the client has taken
 * the previous one, so a slow download holds one batch in memory, never the whole history.
 */
export function exportStream(format: 'jsonl' | 'csv', batches: AsyncIterable<AdminEventView[]>): Readable {
  if (format === 'jsonl') return Readable.from(lines(batches));
  const csv = stringify({ header: true, columns: [...CSV_COLUMNS] });
  const source = Readable.from(rows(batches));
  source.once('error', (error) => csv.destroy(error));
  return source.pipe(csv);
}
