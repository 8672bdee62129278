import {
  CLOUDEVENTS_SPEC_VERSION,
  KafkaHeaders,
  PUBLIC_ACTIVITY_TYPE,
  PUBLIC_ACTIVITY_VERSION,
  PublicActivityChange,
  type PublicRecord,
} from '@feedwerk/contracts';
import { type OutgoingMessage } from './transport.port';

const HOUR_MS = 3_600_000;

/** CloudEvents `source` of every public record. */
export const PUBLIC_SOURCE = '/feedwerk/public';

/**
 * A public record as a Kafka message: CloudEvents binary mode (the value is the public payload as
 * JSON, the attributes are `ce_*` headers), keyed as the mapping says. Unlike internal messages it
 * carries no actor and no store positions: analytics gets the allow-listed payload and the
 * attributes it needs to deduplicate (`ce_id`), order (`ce_subject`), version and trace.
 *
 * Candidate records keep their coarse time on the broker too: the Kafka timestamp (which every
 * consumer sees, kcat's `ts`) is the hour the record is sent in, not the millisecond; otherwise it
 * would undo the hour-truncated `ce_time`. Other records keep the send time (time-based retention
 * counts from it, so a republished old event is not deleted at once).
 */
export function encodePublicRecord(
  record: PublicRecord,
  extraHeaders: Readonly<Record<string, string>> = {},
  now: Date = new Date(),
): OutgoingMessage {
  const headers: Record<string, string> = {
    [KafkaHeaders.id]: record.id,
    [KafkaHeaders.type]: record.type,
    [KafkaHeaders.source]: PUBLIC_SOURCE,
    [KafkaHeaders.time]: record.time,
    [KafkaHeaders.specVersion]: CLOUDEVENTS_SPEC_VERSION,
    [KafkaHeaders.contentType]: 'application/json',
    [KafkaHeaders.subject]: record.subject,
    [KafkaHeaders.schemaVersion]: String(record.version),
    ...extraHeaders,
  };
  if (record.correlationId) headers[KafkaHeaders.correlationId] = record.correlationId;
  if (record.causationId) headers[KafkaHeaders.causationId] = record.causationId;
  const message = { key: record.key, value: JSON.stringify(record.data), headers };
  if (record.family !== 'candidates') return message;
  return { ...message, timestamp: String(now.getTime() - (now.getTime() % HOUR_MS)) };
}

/** What a public activity change is traced to: the event that caused it (absent for CV items). */
export interface PublicActivityTrace {
  readonly correlationId: string | null;
  readonly causationId: string | null;
}

/**
 * A change of the box's items on `PublicTopics.activity`, in the same binary mode as
 * `encodePublicRecord`: the validated payload as the value, keyed by the item id (order per item),
 * `ce_id` `<generation>:<position>` (one change, also when republished), `ce_subject` the item.
 * The payload is parsed with its public schema here, so a field that is not public fails loudly.
 */
export function encodePublicActivityChange(
  change: PublicActivityChange,
  trace: PublicActivityTrace,
): OutgoingMessage {
  const data = PublicActivityChange.parse(change);
  const headers: Record<string, string> = {
    [KafkaHeaders.id]: `${data.generation}:${data.position}`,
    [KafkaHeaders.type]: PUBLIC_ACTIVITY_TYPE,
    [KafkaHeaders.source]: PUBLIC_SOURCE,
    [KafkaHeaders.time]: data.item.at,
    [KafkaHeaders.specVersion]: CLOUDEVENTS_SPEC_VERSION,
    [KafkaHeaders.contentType]: 'application/json',
    [KafkaHeaders.subject]: `activity-item:${data.item.id}`,
    [KafkaHeaders.schemaVersion]: String(PUBLIC_ACTIVITY_VERSION),
  };
  if (trace.correlationId) headers[KafkaHeaders.correlationId] = trace.correlationId;
  if (trace.causationId) headers[KafkaHeaders.causationId] = trace.causationId;
  return { key: data.item.id, value: JSON.stringify(data), headers };
}
