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

/** A change on the ticker-changes topic. Its identity is (generation, position): one item changes several times. */
export function encodeTickerChange(change: TickerChangeRecord, generation: number): OutgoingMessage {
  return {
    key: FEED_KEY,
    value: JSON.stringify(change),
    headers: headersOf(
      `${change.item.id}@${generation}:${change.position}`,
      TICKER_CHANGE_TYPE,
      change.item.at,
      generation,
      change.position,
    ),
  };
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
