import { Inject, Injectable } from '@nestjs/common';
import { PublicTopics, Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { ActivityFeed, type ChangeCause } from '@feedwerk/read-models';
import { PollingLoop } from '@feedwerk/platform';
import {
  encodePublicActivityChange,
  encodeTickerChange,
  encodeTickerGenerationMarker,
  MESSAGE_TRANSPORT,
  type MessageTransport,
} from '@feedwerk/transport';

const BATCH = 500;
const POLL_MS = 1_000;

/**
 * Publishes the activity feed's new changes from the read model in feed order to the ticker-changes
 * topic (for ticker nodes) and the public activity topic (for analytics), then records how far it
 * got. The read model is this publisher's outbox: items committed by the projector are published
 * even if the process crashes right after the commit. At-least-once; ticker nodes drop what they
 * have already delivered by feed position, analytics by `ce_id`.
 *
 * Generations: every ticker record names the generation it belongs to. Before the first change of a
 * generation it has not announced yet (at start, and whenever it sees the live generation change)
 * it publishes a generation marker, so a ticker node learns of a rebuild before any renumbered
 * change reaches it. Markers repeat after a restart; ticker nodes ignore the ones they know.
 */
@Injectable()
export class TickerItemPublisher extends PollingLoop {
  /** The generation this process has published a marker for; null until the first one. */
  private announced: number | null = null;

  /** `wakeUp()` when the projector committed new changes: they are published now, not at the next poll. */
  constructor(
    private readonly feed: ActivityFeed,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    private readonly store: EventStore,
  ) {
    super({ name: TickerItemPublisher.name, task: 'ticker change publishing', idleMs: POLL_MS });
  }

  /** Publishes one marker or one batch; false when there is nothing more to publish for now. */
  protected async step(): Promise<boolean> {
    const { generation, head, published } = await this.feed.state();
    if (this.announced !== generation) {
      await this.transport.publish(Topics.tickerChanges, [
        encodeTickerGenerationMarker({ generation, head: published }),
      ]);
      this.log.log(`announced feed generation ${generation} at position ${published}`);
      this.announced = generation;
      return true;
    }
    if (head <= published) return false;
    // Read and mark in the generation state() named: a switch in between must not mix two feeds.
    const rows = await this.feed.publishable(published, head, BATCH, generation);
    const last = rows.at(-1)?.change;
    if (!last) return false;
    const changes = rows.map((r) => r.change);
    const correlations = await this.store.causes(
      rows.flatMap((r) => (r.eventId === null ? [] : [r.eventId])),
    );
    const causes = new Map(
      rows.map((r): [number, ChangeCause | undefined] => [
        r.change.position,
        r.eventId === null
          ? undefined
          : { eventId: r.eventId, correlationId: correlations.get(r.eventId)?.correlationId ?? null },
      ]),
    );
    const publishedAt = new Date();
    // Both topics in one request: a ticker change waits for one broker round trip, not two.
    await this.transport.publishAll([
      {
        topic: Topics.tickerChanges,
        messages: changes.map((change) =>
          encodeTickerChange(change, generation, {
            // A CV item is not traced back to the upload (its id is derived for the same reason).
            correlationId:
              change.item.kind === 'cv.uploaded'
                ? null
                : (causes.get(change.position)?.correlationId ?? null),
            publishedAt,
          }),
        ),
      },
      {
        topic: PublicTopics.activity,
        messages: changes.map((change) => {
          const cause = causes.get(change.position);
          // A CV item is not traced back to the upload (its id is derived for the same reason).
          const traced = change.item.kind !== 'cv.uploaded' && cause !== undefined;
          return encodePublicActivityChange(
            {
              generation,
              position: change.position,
              op: change.op,
              item: {
                id: change.item.id,
                kind: change.item.kind,
                count: change.item.count,
                portal: change.item.portal,
                region: change.item.region,
                category: change.item.category,
                order: change.item.order,
                at: change.item.at,
              },
            },
            {
              correlationId: traced ? cause.correlationId : null,
              causationId: traced ? cause.eventId : null,
            },
          );
        }),
      },
    ]);
    await this.feed.markPublished(last.position, generation);
    // Caught up with the head read above: wait for the next wake-up (or the poll) instead of asking
    // again at once. A change committed meanwhile in this process has woken the signal already.
    return rows.length === BATCH || last.position < head;
  }
}
