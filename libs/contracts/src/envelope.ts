/**
 * The envelope every stored and published event travels in. Field names follow CloudEvents 1.0
 * (`id`, `type`, `source`, `time`) so that consumers in any language recognise them; the rest is
 * event-sourcing bookkeeping.
 *
 * Positions:
 * - `streamPosition` is the 1-based version of the event inside its stream (`job:<uuid>`, ...).
 * - `globalPosition` is the store's insertion sequence. It is unique and increasing per insert, but
 *   not gapless and not commit-ordered: consumers must never use it alone as a checkpoint (see
 *   libs/event-store/README.md).
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly type: TType;
  readonly source: string;
  readonly time: string;
  readonly schemaVersion: number;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly globalPosition: number;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: Actor;
  readonly data: TData;
}

/** Who caused an event. Never personal data: an employer id, `admin`, `system`, `import:<feed>`. */
export interface Actor {
  readonly kind: 'employer' | 'admin' | 'system' | 'anonymous';
  readonly id: string | null;
}

/** What the domain decides: a fact without bookkeeping. The store wraps it into an envelope. */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
}

/** Version of CloudEvents the headers follow. */
export const CLOUDEVENTS_SPEC_VERSION = '1.0';

/** Header names of CloudEvents' Kafka protocol binding, binary content mode. */
export const KafkaHeaders = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  specVersion: 'ce_specversion',
  subject: 'ce_subject',
  contentType: 'content-type',
  schemaVersion: 'ce_schemaversion',
  correlationId: 'ce_correlationid',
  causationId: 'ce_causationid',
  streamPosition: 'ce_streamposition',
  globalPosition: 'ce_globalposition',
} as const;
