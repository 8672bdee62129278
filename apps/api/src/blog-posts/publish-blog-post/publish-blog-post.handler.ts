import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { blogPostDecider, SlugTakenError } from '@feedwerk/domain';
import { EventStore, WrongExpectedVersionError } from '@feedwerk/event-store';
import { loadBlogPost } from '../../shared/aggregate-streams';
import { metadataOf } from '../../shared/command-context';
import { replayIfRetried } from '../../shared/idempotency';
import { PublishBlogPostCommand, type PublishBlogPostResult } from './publish-blog-post.command';

@CommandHandler(PublishBlogPostCommand)
export class PublishBlogPostHandler implements ICommandHandler<PublishBlogPostCommand> {
  constructor(private readonly store: EventStore) {}

  async execute({ input, context }: PublishBlogPostCommand): Promise<PublishBlogPostResult> {
    const replayed = await replayIfRetried<PublishBlogPostResult>(this.store, context);
    if (replayed) return replayed;

    const postId = randomUUID();
    const { state, version } = await loadBlogPost(this.store, input.slug);
    const events = blogPostDecider.decide({ type: 'PublishBlogPost', data: { postId, ...input } }, state, {
      now: context.now,
    });
    try {
      const outcome = await this.store.append({
        streamId: StreamIds.blogPost(input.slug),
        expectedVersion: version,
        events: events.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
        metadata: metadataOf(context),
        now: context.now,
        idempotency: context.idempotency,
        respond: () => ({ postId, slug: input.slug }),
      });
      return outcome.result;
    } catch (error) {
      // Two posts raced for the same slug: the stream keyed by it let only one in.
      if (error instanceof WrongExpectedVersionError) throw new SlugTakenError(input.slug);
      throw error;
    }
  }
}
