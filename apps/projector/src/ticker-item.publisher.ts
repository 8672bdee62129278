import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { CLOUDEVENTS_SPEC_VERSION, KafkaHeaders, type TickerChangeRecord, Topics } from '@feedwerk/contracts';
import { ActivityFeed } from '@feedwerk/read-models';
import { WakeSignal } from '@feedwerk/platform';
import { MESSAGE_TRANSPORT, type MessageTransport } from '@feedwerk/transport';

const BATCH = 500;
const POLL_MS = 1_000;

export const TICKER_ITEM_TYPE = 'feedwerk.ticker.change';

/**
 * Publishes the activity feed's new changes from the read model to the ticker-changes topic in feed order,
 * then records how far it got. The read model is this publisher's outbox: items committed by the
 * projector are published even if the process crashes right after the commit. At-least-once; ticker
 * nodes drop what they have already delivered by feed position.
 */
@Injectable()
export class TickerItemPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(TickerItemPublisher.name);
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly signal = new WakeSignal();

  constructor(
    private readonly feed: ActivityFeed,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.signal.close();
    await this.loop;
  }

  wakeUp(): void {
    this.signal.notify();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const { generation, head, published } = await this.feed.state();
        if (head > published) {
          // Read and mark in the generation state() named: a switch in between must not mix two feeds.
          const changes = await this.feed.between(published, head, BATCH, generation);
          await this.transport.publish(
            Topics.tickerChanges,
            changes.map((change) => ({
              key: 'feed',
              value: JSON.stringify(change),
              headers: headersOf(change),
            })),
          );
          await this.feed.markPublished(changes[changes.length - 1]?.position ?? published, generation);
          failures = 0;
          continue;
        }
        failures = 0;
        await this.signal.wait(POLL_MS);
      } catch (error) {
        failures += 1;
        const delay = Math.min(10_000, 100 * 2 ** Math.min(failures, 7));
        this.log.warn(`ticker change publishing failed (attempt ${failures}): ${String(error)}`);
        await this.signal.wait(delay, { wakeable: false });
      }
    }
  }
}

const headersOf = ({ item, position }: TickerChangeRecord): Record<string, string> => ({
  // A change's identity is its feed position (one item changes several times).
  [KafkaHeaders.id]: `${item.id}@${position}`,
  [KafkaHeaders.type]: TICKER_ITEM_TYPE,
  [KafkaHeaders.source]: '/feedwerk/projector/activity',
  [KafkaHeaders.time]: item.at,
  [KafkaHeaders.specVersion]: CLOUDEVENTS_SPEC_VERSION,
  [KafkaHeaders.contentType]: 'application/json',
  [KafkaHeaders.schemaVersion]: '1',
  ce_feedposition: String(position),
});
