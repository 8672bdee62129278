import { CLOUDEVENTS_SPEC_VERSION, KafkaHeaders, type PublicRecord } from '@feedwerk/contracts';
import { type OutgoingMessage } from './transport.port';

/** CloudEvents `source` of every public record. */
export const PUBLIC_SOURCE = '/feedwerk/public';

/**
 * A public record as a Kafka message: CloudEvents binary mode (the value is the public payload as
 * JSON, the attributes are `ce_*` headers), keyed as the mapping says. Unlike internal messages it
 * carries no actor and no store positions: analytics gets the allow-listed payload and the
 * attributes it needs to deduplicate (`ce_id`), order (`ce_subject`), version and trace.
 */
export function encodePublicRecord(
  record: PublicRecord,
  extraHeaders: Readonly<Record<string, string>> = {},
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
  return { key: record.key, value: JSON.stringify(record.data), headers };
}
