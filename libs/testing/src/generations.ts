import { type TickerChangeRecord, type TickerFilter } from '@feedwerk/contracts';
import { ActivityFeed, type FeedOpening, type FeedState } from '@feedwerk/read-models';
import { type DataSource } from 'typeorm';

/**
 * Blue/green generations of the activity projection for tests, switched the way the rebuild engine
 * switches them: each generation is a real activity read model on its own PostgreSQL database (the
 * test builds it, e.g. with an ActivityProjection over the same events; its positions start at 1),
 * and `switchTo(n)` first sets generation n's published position to its head (its history is not
 * re-published) and then moves the live pointer in one step. Every read resolves the live
 * generation once (or uses the one named), as the real ActivityFeed does inside its transaction.
 *
 * Stand-in until the rebuild engine (projection_live) is on this branch: after the merge, tests can
 * build and switch a real generation instead and drop this class.
 */
export class GenerationsFeed extends ActivityFeed {
  private readonly feeds = new Map<number, ActivityFeed>();
  private live = 1;

  constructor(generationOne: DataSource) {
    super(generationOne);
    this.feeds.set(1, new ActivityFeed(generationOne));
  }

  /** Registers generation `n`'s read model (built beside the live one, not yet visible). */
  add(generation: number, db: DataSource): void {
    this.feeds.set(generation, new ActivityFeed(db));
  }

  get liveGeneration(): number {
    return this.live;
  }

  /** Makes `generation` live: its published position is its head, then the pointer moves. */
  async switchTo(generation: number): Promise<FeedState> {
    const feed = this.feedOf(generation);
    const { head } = await feed.state();
    await feed.markPublished(head);
    this.live = generation;
    return { generation, head, published: head };
  }

  override async open(
    filter: TickerFilter,
    limit: number,
    since: number | undefined,
    maxCatchUp?: number,
  ): Promise<FeedOpening> {
    const generation = this.live;
    const opening = await this.feedOf(generation).open(filter, limit, since, maxCatchUp);
    return { ...opening, generation };
  }

  override async state(): Promise<FeedState> {
    const generation = this.live;
    return { ...(await this.feedOf(generation).state()), generation };
  }

  override between(
    after: number,
    upTo: number,
    limit?: number,
    generation: number = this.live,
  ): Promise<TickerChangeRecord[]> {
    return this.feedOf(generation).between(after, upTo, limit);
  }

  override publishable(
    after: number,
    upTo: number,
    limit: number,
    generation: number,
  ): ReturnType<ActivityFeed['publishable']> {
    // Each stand-in generation is generation 1 of its own database.
    return this.feedOf(generation).publishable(after, upTo, limit, 1);
  }

  override markPublished(position: number, generation: number = this.live): Promise<void> {
    return this.feedOf(generation).markPublished(position);
  }

  private feedOf(generation: number): ActivityFeed {
    const feed = this.feeds.get(generation);
    if (!feed) throw new Error(`generation ${generation} of the activity projection does not exist`);
    return feed;
  }
}
