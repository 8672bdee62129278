import { Injectable } from '@nestjs/common';
import { renderTickerItem, type TickerItemV1, type TickerLang } from '@feedwerk/contracts';
import { ProblemException } from '@feedwerk/platform';
import { ActivityHistory, toRecord } from '@feedwerk/read-models';
import { aggregateOf, AGGREGATE_NAMES, foldAggregate } from './aggregate-state';
import { type AdminEventView, HistoryReader } from './history.reader';

export interface StreamHistory {
  readonly streamId: string;
  readonly version: number;
  readonly events: readonly AdminEventView[];
}

export interface AggregateStateView {
  readonly streamId: string;
  readonly aggregate: string;
  /** The stream version the state is at (0: before the first event). */
  readonly version: number;
  /** The stream's version now. */
  readonly currentVersion: number;
  /** Time of the last event folded, null at version 0. */
  readonly lastEventAt: string | null;
  readonly state: unknown;
}

export interface BoxAtView {
  readonly at: string;
  readonly portal: string;
  readonly lang: TickerLang;
  /** The feed position the box had reached then (by this fold). */
  readonly position: number;
  /** How many events were folded to answer (after the snapshot it started from). */
  readonly eventsFolded: number;
  /** The snapshot it started from: its sequence number and the events it stands for; null: none. */
  readonly snapshot: { readonly seq: number; readonly events: number } | null;
  readonly items: readonly TickerItemV1[];
}

const notFound = (detail: string, code: string) =>
  new ProblemException({ title: 'Not Found', status: 404, detail, code });

@Injectable()
export class HistoryService {
  constructor(
    private readonly reader: HistoryReader,
    private readonly activity: ActivityHistory,
  ) {}

  async stream(streamId: string): Promise<StreamHistory> {
    const events = await this.reader.stream(streamId);
    if (events.length === 0) throw notFound(`no events in stream ${streamId}`, 'history.stream-not-found');
    return { streamId, version: events.at(-1)!.streamPosition, events };
  }

  async state(streamId: string, upTo: { version?: number; at?: Date }): Promise<AggregateStateView> {
    const aggregate = aggregateOf(streamId);
    if (aggregate === null) {
      throw new ProblemException({
        title: 'Bad Request',
        status: 400,
        detail: `stream ${streamId} is not an aggregate's stream`,
        code: 'validation',
        errors: [
          { path: 'streamId', message: `must start with one of ${AGGREGATE_NAMES.join(', ')} and ":"` },
        ],
      });
    }
    const currentVersion = await this.reader.streamVersion(streamId);
    if (currentVersion === 0) throw notFound(`no events in stream ${streamId}`, 'history.stream-not-found');
    if (upTo.version !== undefined && upTo.version > currentVersion) {
      throw notFound(
        `stream ${streamId} is at version ${currentVersion}; version ${upTo.version} does not exist`,
        'history.version-not-found',
      );
    }
    const decoded = await this.reader.streamUpTo(streamId, upTo);
    const broken = decoded.find((d) => d.event === null);
    if (broken) {
      // A state folded past an unreadable event would be a guess: say which event instead.
      throw new ProblemException({
        title: 'Unprocessable Content',
        status: 422,
        detail: `event ${broken.stored.streamPosition} of ${streamId} does not decode: ${broken.error ?? ''}`,
        code: 'history.undecodable-event',
      });
    }
    const events = decoded.map((d) => d.event!);
    return {
      streamId,
      aggregate,
      version: events.at(-1)?.streamPosition ?? 0,
      currentVersion,
      lastEventAt: events.at(-1)?.time ?? null,
      state: foldAggregate(aggregate, events),
    };
  }

  /**
   * The box of `portal` as it was at `at`: the newest snapshot of the activity model whose events
   * all happened by then, plus the events after it that happened by then, folded with the
   * projection's own pure rules (ActivityModel) and rendered like the ticker does. Exactly what a
   * fold from position 0 gives; the cost is bounded by SNAPSHOT_EVERY, not by the history.
   */
  async boxAt(query: { at: Date; portal: string; lang: TickerLang; limit: number }): Promise<BoxAtView> {
    const box = await this.activity.boxAt(query);
    return {
      at: query.at.toISOString(),
      portal: query.portal,
      lang: query.lang,
      position: box.position,
      eventsFolded: box.eventsFolded,
      snapshot: box.snapshot && { seq: box.snapshot.seq, events: box.snapshot.events },
      items: box.items.map((item) => renderTickerItem(toRecord(item), query.lang)),
    };
  }
}
