import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SlugTakenError } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { blogPosts } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { PublishBlogPostCommand, type PublishBlogPostResult } from './publish-blog-post.command';

const handle = DeciderCommandHandler(blogPosts);

@CommandHandler(PublishBlogPostCommand)
export class PublishBlogPostHandler implements ICommandHandler<PublishBlogPostCommand> {
  constructor(private readonly store: EventStore) {}

  execute({ input, context }: PublishBlogPostCommand): Promise<PublishBlogPostResult> {
    const postId = randomUUID();
    return handle(this.store, input.slug, () => ({ type: 'PublishBlogPost', data: { postId, ...input } }), {
      context,
      // Two posts raced for the same slug: the stream keyed by it let only one in.
      onConflict: () => new SlugTakenError(input.slug),
      respond: () => ({ postId, slug: input.slug }),
    });
  }
}
