import { currentSchemaVersion, type FeedDomainEvent } from '@feedwerk/contracts';
import {
  type AppendRequest,
  type EventStore,
  type ExpectedVersion,
  type StoredEvent,
  WrongExpectedVersionError,
} from '@feedwerk/event-store';
import { type AggregateStream } from './aggregates';
import { type CommandContext, metadataOf } from './command-context';
import { answerOnce } from './idempotency';
import { type AggregateAt, loadAggregate } from './load-aggregate';

/** What a command decided for one stream, on the version it read. */
export interface StreamDecision {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly FeedDomainEvent[];
}

interface AppendOptions<TResult> {
  readonly context: CommandContext;
  /** Writes that commit with the events or not at all (a credential's hash, a shredded key). */
  readonly alsoWrite?: AppendRequest<TResult>['alsoWrite'];
  /** The answer; runs in the append's transaction and is stored with the Idempotency-Key. */
  readonly respond: (appended: readonly StoredEvent[]) => TResult;
}

/**
 * Appends what a command decided, for one stream or several in one transaction (an import), under
 * the command's metadata and Idempotency-Key. Every stream's expected version must hold.
 */
export async function appendDecided<TResult>(
  store: EventStore,
  decisions: readonly StreamDecision[],
  { context, alsoWrite, respond }: AppendOptions<TResult>,
): Promise<TResult> {
  const outcome = await store.appendMany({
    streams: decisions.map((decision) => ({
      ...decision,
      events: decision.events.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
    })),
    metadata: metadataOf(context),
    now: context.now,
    idempotency: context.idempotency,
    alsoWrite,
    respond,
  });
  return outcome.result;
}

export interface HandleOptions<TState, TResult> extends Omit<AppendOptions<TResult>, 'respond'> {
  /**
   * The server has just picked the id: its stream cannot exist, so it is not read (one round trip
   * less on the hottest commands) and the append expects no stream.
   */
  readonly fresh?: boolean;
  /** The answer, from the aggregate after the command (also when it decided nothing). */
  readonly respond: (after: AggregateAt<TState>) => TResult;
  /** What losing a race means for this command; without it, a 409 version-conflict. */
  readonly onConflict?: (error: WrongExpectedVersionError) => Error;
  /** Read, decide and append again on a version conflict, this many times (none by default). */
  readonly retriesOnConflict?: number;
}

/**
 * One way to handle a command on one aggregate, after Emmett's `DeciderCommandHandler`: read the
 * aggregate's stream, fold it, decide, and append with the version it was decided on, answering at
 * most once per Idempotency-Key. A use case then declares only the stream id, the command (built
 * from the aggregate as it stands: checks that must come before the decision throw there), and
 * how to answer.
 */
export function DeciderCommandHandler<TCommand, TEvent extends FeedDomainEvent, TState>(
  aggregate: AggregateStream<TCommand, TEvent, TState>,
) {
  const { decider, mapToStreamId } = aggregate;
  const unborn: AggregateAt<TState> = { state: decider.initialState, version: 0, history: [] };

  const decideAndAppend = async <TResult>(
    store: EventStore,
    id: string,
    command: (before: AggregateAt<TState>) => TCommand | Promise<TCommand>,
    options: HandleOptions<TState, TResult>,
  ): Promise<TResult> => {
    const { context, fresh = false } = options;
    const before = fresh ? unborn : await loadAggregate(store, aggregate, id);
    const events = decider.decide(await command(before), before.state, { now: context.now });
    const after = (appended: readonly StoredEvent[]): AggregateAt<TState> => ({
      state: events.reduce((state, event) => decider.evolve(state, event), before.state),
      version: appended.at(-1)?.streamPosition ?? before.version,
      history: [...before.history, ...appended],
    });
    if (events.length === 0) return options.respond(after([]));
    const decision: StreamDecision = {
      streamId: mapToStreamId(id),
      expectedVersion: fresh ? 'no_stream' : before.version,
      events,
    };
    return appendDecided(store, [decision], {
      context,
      alsoWrite: options.alsoWrite,
      respond: (appended) => options.respond(after(appended)),
    });
  };

  return <TResult>(
    store: EventStore,
    id: string,
    command: (before: AggregateAt<TState>) => TCommand | Promise<TCommand>,
    options: HandleOptions<TState, TResult>,
  ): Promise<TResult> => {
    const attempt = async (retries: number): Promise<TResult> => {
      try {
        return await decideAndAppend(store, id, command, options);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (retries > 0) return attempt(retries - 1);
        throw options.onConflict?.(error) ?? error;
      }
    };
    return answerOnce(store, options.context, () => attempt(options.retriesOnConflict ?? 0));
  };
}
