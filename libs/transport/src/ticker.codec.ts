import {
  CLOUDEVENTS_SPEC_VERSION,
  KafkaHeaders,
  TICKER_CHANGE_TYPE,
  TICKER_FIRST_GENERATION,
  TICKER_GENERATION_HEADER,
  TICKER_GENERATION_TYPE,
  TICKER_POSITION_HEADER,
  TickerChangeRecord,
  TickerGenerationMarker,
} from '@feedwerk/contracts';
import { type IncomingMessage, type OutgoingMessage } from './transport.port';

const SOURCE = '/feedwerk/projector/activity';

/** One key for every record: the ticker-changes topic is one total order (markers included). */
const FEED_KEY = 'feed';

const headersOf = (id: string, type: string, time: string, generation: number, position: number) => ({
  [KafkaHeaders.id]: id,
  [KafkaHeaders.type]: type,
  [KafkaHeaders.source]: SOURCE,
  [KafkaHeaders.time]: time,
  [KafkaHeaders.specVersion]: CLOUDEVENTS_SPEC_VERSION,
  [KafkaHeaders.contentType]: 'application/json',
  [KafkaHeaders.schemaVersion]: '1',
  [TICKER_GENERATION_HEADER]: String(generation),
  [TICKER_POSITION_HEADER]: String(position),
});

/** When the projector published a change (ms since the epoch): ticker nodes measure their delivery latency from it. */
export const TICKER_PUBLISHED_AT_HEADER = 'feedwerk_publishedat';

/** What lets a ticker node's logs and metrics follow a change: the request behind it, when it left the projector. */
export interface TickerChangeTrace {
  /** The causing event's correlation id; null where the change must not be traced (CV uploads). */
  readonly correlationId: string | null;
  readonly publishedAt: Date;
}

/** A change on the ticker-changes topic. Its identity is (generation, position): one item changes several times. */
export function encodeTickerChange(
  change: TickerChangeRecord,
  generation: number,
  trace?: TickerChangeTrace,
): OutgoingMessage {
  const headers: Record<string, string> = headersOf(
    `${change.item.id}@${generation}:${change.position}`,
    TICKER_CHANGE_TYPE,
    change.item.at,
    generation,
    change.position,
  );
  if (trace?.correlationId) headers[KafkaHeaders.correlationId] = trace.correlationId;
  if (trace) headers[TICKER_PUBLISHED_AT_HEADER] = String(trace.publishedAt.getTime());
  return { key: FEED_KEY, value: JSON.stringify(change), headers };
}

/** A generation marker on the ticker-changes topic, before any change of its generation. */
export function encodeTickerGenerationMarker(
  marker: TickerGenerationMarker,
  now: Date = new Date(),
): OutgoingMessage {
  return {
    key: FEED_KEY,
    value: JSON.stringify(marker),
    headers: headersOf(
      `generation:${marker.generation}@${marker.head}`,
      TICKER_GENERATION_TYPE,
      now.toISOString(),
      marker.generation,
      marker.head,
    ),
  };
}

export type TickerRecord =
  | { readonly kind: 'change'; readonly generation: number; readonly change: TickerChangeRecord }
  | { readonly kind: 'marker'; readonly marker: TickerGenerationMarker };

/**
 * Reads a ticker-changes record. A change without a generation header was published before
 * generations existed: generation 1. Throws on anything that is neither a change nor a marker.
 */
export function decodeTickerRecord(message: IncomingMessage): TickerRecord {
  const value: unknown = JSON.parse(message.value?.toString('utf8') ?? 'null');
  if (message.headers[KafkaHeaders.type] === TICKER_GENERATION_TYPE) {
    return { kind: 'marker', marker: TickerGenerationMarker.parse(value) };
  }
  const header = message.headers[TICKER_GENERATION_HEADER];
  const generation = header === undefined ? TICKER_FIRST_GENERATION : Number(header);
  if (!Number.isSafeInteger(generation) || generation < 1) {
    throw new Error(`invalid ${TICKER_GENERATION_HEADER} header ${header}`);
  }
  return { kind: 'change', generation, change: TickerChangeRecord.parse(value) };
}
