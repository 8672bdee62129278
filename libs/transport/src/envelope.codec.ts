import { type Actor, CLOUDEVENTS_SPEC_VERSION, type EventEnvelope, KafkaHeaders } from '@feedwerk/contracts';
import { type IncomingMessage, type OutgoingMessage } from './transport.port';

const ACTOR_KIND = 'ce_actorkind';
const ACTOR_ID = 'ce_actorid';
const ACTOR_KINDS: readonly Actor['kind'][] = ['employer', 'admin', 'system', 'anonymous'];

/**
 * CloudEvents Kafka binding, binary content mode: the record value is the event's data as JSON,
 * every attribute is a `ce_*` header, the key is the stream id. A consumer in any language reads
 * it without our code.
 */
export function encodeEnvelope(event: EventEnvelope<string, unknown>): OutgoingMessage {
  const headers: Record<string, string> = {
    [KafkaHeaders.id]: event.id,
    [KafkaHeaders.type]: event.type,
    [KafkaHeaders.source]: event.source,
    [KafkaHeaders.time]: event.time,
    [KafkaHeaders.specVersion]: CLOUDEVENTS_SPEC_VERSION,
    [KafkaHeaders.contentType]: 'application/json',
    [KafkaHeaders.subject]: event.streamId,
    [KafkaHeaders.schemaVersion]: String(event.schemaVersion),
    [KafkaHeaders.correlationId]: event.correlationId,
    [KafkaHeaders.streamPosition]: String(event.streamPosition),
    [KafkaHeaders.globalPosition]: String(event.globalPosition),
    [ACTOR_KIND]: event.actor.kind,
  };
  if (event.causationId) headers[KafkaHeaders.causationId] = event.causationId;
  if (event.actor.id) headers[ACTOR_ID] = event.actor.id;
  return { key: event.streamId, value: JSON.stringify(event.data), headers };
}

/** A record that can never become an event (the dead-letter reason says why). */
export class UndecodableMessageError extends Error {}

export function decodeEnvelope(message: IncomingMessage): EventEnvelope<string, unknown> {
  const h = message.headers;
  const required = (name: string): string => {
    const value = h[name];
    if (value === undefined || value === '') throw new UndecodableMessageError(`missing header ${name}`);
    return value;
  };
  const integer = (name: string): number => {
    const value = Number(required(name));
    if (!Number.isSafeInteger(value) || value < 0)
      throw new UndecodableMessageError(`header ${name} is not an integer`);
    return value;
  };
  if (message.value === null) throw new UndecodableMessageError('tombstone (null value)');
  if (h[KafkaHeaders.specVersion] !== CLOUDEVENTS_SPEC_VERSION) {
    throw new UndecodableMessageError(`unsupported ce_specversion ${String(h[KafkaHeaders.specVersion])}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(message.value.toString('utf8'));
  } catch {
    throw new UndecodableMessageError('value is not JSON');
  }
  const streamId = required(KafkaHeaders.subject);
  if (message.key !== streamId) throw new UndecodableMessageError('record key does not match ce_subject');
  const actorKind = h[ACTOR_KIND] as Actor['kind'] | undefined;
  return {
    id: required(KafkaHeaders.id),
    type: required(KafkaHeaders.type),
    source: required(KafkaHeaders.source),
    time: required(KafkaHeaders.time),
    schemaVersion: integer(KafkaHeaders.schemaVersion),
    streamId,
    streamPosition: integer(KafkaHeaders.streamPosition),
    globalPosition: integer(KafkaHeaders.globalPosition),
    correlationId: required(KafkaHeaders.correlationId),
    causationId: h[KafkaHeaders.causationId] ?? null,
    actor: {
      kind: actorKind && ACTOR_KINDS.includes(actorKind) ? actorKind : 'anonymous',
      id: h[ACTOR_ID] ?? null,
    },
    data,
  };
}
