import { Inject, Injectable } from '@nestjs/common';
import {
  type EventType,
  matchesFilter,
  renderTickerItem,
  type TickerItemV1,
  type TickerLang,
} from '@feedwerk/contracts';
import { FEEDWERK_CONFIG, type FeedwerkConfig, ProblemException } from '@feedwerk/platform';
import { ActivityModel, toRecord } from '@feedwerk/read-models';
import { aggregateOf, AGGREGATE_NAMES, foldAggregate } from './aggregate-state';
import { type AdminEventView, HistoryReader } from './history.reader';

/** The event types the activity projection reacts to (the audit log never reaches the box). */
const ACTIVITY_TYPES: readonly EventType[] = [
  'EmployerRegistered',
  'JobPosted',
  'JobUpdated',
  'JobClosed',
  'JobsRefreshed',
  'BlogPostPublished',
  'CvUploaded',
  'CandidateErased',
];

/**
 * The box at a time is a fold of the whole history up to then; past this many events the request
 * is refused rather than tying up the admin process (see docs/admin.md: the box at a time).
 */
export const MAX_BOX_EVENTS = 250_000;

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
  /** How many events were folded to answer. */
  readonly eventsFolded: number;
  readonly items: readonly TickerItemV1[];
}

const notFound = (detail: string, code: string) =>
  new ProblemException({ title: 'Not Found', status: 404, detail, code });

@Injectable()
export class HistoryService {
  constructor(
    private readonly reader: HistoryReader,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
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
   * The box of `portal` as it was at `at`: every event that happened by then, in commit order,
   * folded with the projection's own pure rules (ActivityModel) and rendered like the ticker does.
   * Exact for the projection's rules; the cost is one pass over the history up to `at`.
   */
  async boxAt(query: { at: Date; portal: string; lang: TickerLang; limit: number }): Promise<BoxAtView> {
    const model = new ActivityModel({ burstWindowMs: this.config.TICKER_BURST_WINDOW_MS });
    let folded = 0;
    for await (const batch of this.reader.committedUpTo(query.at, ACTIVITY_TYPES)) {
      folded += batch.length;
      if (folded > MAX_BOX_EVENTS) {
        throw new ProblemException({
          title: 'Unprocessable Content',
          status: 422,
          detail: `more than ${MAX_BOX_EVENTS} events happened before ${query.at.toISOString()}; the box at a time folds the whole history and is bounded to that`,
          code: 'history.box-too-far',
        });
      }
      // Undecodable events are dead-lettered by the live projection, so the fold skips them too.
      for (const { event } of batch) if (event) model.apply(event);
    }
    const items = [...model.items.values()]
      .filter((item) => !item.retracted && matchesFilter({ portal: query.portal }, item))
      .sort((a, b) => b.order - a.order)
      .slice(0, query.limit)
      .map((item) => renderTickerItem(toRecord(item), query.lang));
    return {
      at: query.at.toISOString(),
      portal: query.portal,
      lang: query.lang,
      position: model.position,
      eventsFolded: folded,
      items,
    };
  }
}
