import { Injectable } from '@nestjs/common';
import { type Actor, toFeedEvent, type FeedEvent } from '@feedwerk/contracts';
import {
  type EventRange,
  EventStore,
  START,
  type StoreCheckpoint,
  type StoredEvent,
} from '@feedwerk/event-store';
import { DataSource } from 'typeorm';
import { type EventFilter, type EventsQuery } from './history.queries';

/** What an admin sees of a personal-data box: never its ciphertext, never its plaintext. */
export type PersonalDataStatus = { readonly status: 'sealed' } | { readonly status: 'erased' };

/**
 * One event as the history browser, its exports and the CLI show it: the envelope, and the payload
 * upcast to the current schema version (`toFeedEvent`). A CvUploaded's sealed personal data is
 * replaced by its status. An event whose payload does not decode (a version from the future, a
 * broken row) shows `data: null` and the reason: the raw payload could hold anything.
 */
export interface AdminEventView {
  readonly position: number;
  readonly id: string;
  readonly type: string;
  /** The schema version `data` is shown in (the current one after upcasting). */
  readonly schemaVersion: number;
  /** The version the event was stored in. */
  readonly storedSchemaVersion: number;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly time: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: Actor;
  readonly source: string;
  readonly data: unknown;
  readonly undecodable: string | null;
}

export type PageCursor = { readonly after: number } | { readonly before: number };

export interface EventPage {
  readonly events: readonly AdminEventView[];
  /** Merge into the query for the next page in the same direction; null on the last page. */
  readonly next: PageCursor | null;
}

/** An event as read for folding: the stored event with the payload upcast, or null when it does not decode. */
export interface DecodedEvent {
  readonly stored: StoredEvent;
  readonly event: FeedEvent | null;
  readonly error: string | null;
}

function decode(stored: StoredEvent): DecodedEvent {
  try {
    return { stored, event: toFeedEvent(stored), error: null };
  } catch (error) {
    return { stored, event: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The admin's filter as a range of the store. */
const rangeOf = (filter: EventFilter): EventRange => ({
  types: filter.type,
  streamId: filter.stream,
  portal: filter.portal,
  occurred: { from: filter.from, before: filter.to },
  correlationId: filter.correlationId,
});

/**
 * Reads the event store for admins. Positions are the store's insertion sequence (unique,
 * increasing, not gapless): a page cursor is the last position shown.
 */
@Injectable()
export class HistoryReader {
  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
  ) {}

  /** One page: oldest first (`after`, or from the start), or newest first (`before`). */
  async page(query: EventsQuery): Promise<EventPage> {
    const newestFirst = query.before !== undefined;
    const events = await this.store.readRange(
      { ...rangeOf(query), positions: { after: query.after, before: query.before } },
      { order: newestFirst ? 'newest-first' : 'oldest-first', limit: query.limit + 1 },
    );
    const more = events.length > query.limit;
    const shown = events.slice(0, query.limit);
    const last = shown.at(-1);
    const next: PageCursor | null =
      more && last ? (newestFirst ? { before: last.globalPosition } : { after: last.globalPosition }) : null;
    return { events: await this.views(shown), next };
  }

  /**
   * Every matching event up to the store's head when the export began, oldest first, a batch at a
   * time: memory stays bounded by one batch however large the history is.
   */
  async *exportBatches(filter: EventFilter, batchSize = 500): AsyncGenerator<AdminEventView[]> {
    const head = await this.store.head();
    let after = 0;
    for (;;) {
      const events = await this.store.readRange(
        { ...rangeOf(filter), positions: { after, upTo: head } },
        { order: 'oldest-first', limit: batchSize },
      );
      if (events.length === 0) return;
      yield await this.views(events);
      after = events.at(-1)!.globalPosition;
      if (events.length < batchSize) return;
    }
  }

  /** A whole stream in version order, shown as admins see events. */
  async stream(streamId: string): Promise<AdminEventView[]> {
    return this.views(await this.store.readStream(streamId));
  }

  /** A stream's events up to a version or a time, decoded for folding. */
  async streamUpTo(streamId: string, upTo: { version?: number; at?: Date }): Promise<DecodedEvent[]> {
    const events = await this.store.readStream(streamId, { toVersion: upTo.version, occurredUpTo: upTo.at });
    return events.map(decode);
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.store.streamVersion(streamId);
  }

  /**
   * Events that happened at or before `at`, in commit order (the order the relay publishes and the
   * projection applies), a batch at a time. Only rows of finished transactions: like the relay.
   */
  async *committedUpTo(
    at: Date,
    types: readonly string[],
    batchSize = 1_000,
  ): AsyncGenerator<DecodedEvent[]> {
    let checkpoint: StoreCheckpoint = START;
    for (;;) {
      const events = await this.store.readAllIn({ occurred: { upTo: at }, types }, checkpoint, batchSize);
      if (events.length === 0) return;
      yield events.map(decode);
      const last = events.at(-1)!;
      checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
      if (events.length < batchSize) return;
    }
  }

  /** Decodes rows and replaces every sealed box by its status (one key lookup per batch). */
  private async views(events: readonly StoredEvent[]): Promise<AdminEventView[]> {
    const decoded = events.map(decode);
    const keyIds = decoded.flatMap((d) =>
      d.event?.type === 'CvUploaded' ? [d.event.data.personal.keyId] : [],
    );
    const live = await this.liveKeys(keyIds);
    return decoded.map(({ stored, event, error }) => ({
      position: stored.globalPosition,
      id: stored.id,
      type: stored.type,
      schemaVersion: event?.schemaVersion ?? stored.schemaVersion,
      storedSchemaVersion: stored.schemaVersion,
      streamId: stored.streamId,
      streamPosition: stored.streamPosition,
      time: stored.time,
      correlationId: stored.correlationId,
      causationId: stored.causationId,
      actor: stored.actor,
      source: stored.source,
      data: event === null ? null : shown(event, live),
      undecodable: error,
    }));
  }

  /**
   * Which of these keys still exist. A key that is gone (shredded, a tombstone, or never known)
   * opens nothing: its boxes show as erased. Only existence is read, never key material.
   */
  private async liveKeys(keyIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (keyIds.length === 0) return new Set();
    const rows: { key_id: string }[] = await this.db.query(
      `SELECT key_id::text AS key_id FROM candidate_keys WHERE key_id = ANY($1::uuid[]) AND dek IS NOT NULL`,
      [[...new Set(keyIds)]],
    );
    return new Set(rows.map((r) => r.key_id));
  }
}

/** The payload an admin may see: everything but the sealed box, which becomes its status. */
function shown(event: FeedEvent, liveKeys: ReadonlySet<string>): unknown {
  if (event.type !== 'CvUploaded') return event.data;
  const personal: PersonalDataStatus = liveKeys.has(event.data.personal.keyId)
    ? { status: 'sealed' }
    : { status: 'erased' };
  return { ...event.data, personal };
}
