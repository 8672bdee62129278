import { Command } from '@nestjs/cqrs';
import { BlogPostPublished, slug } from '@feedwerk/contracts';
import { z } from 'zod';
import { type CommandContext } from '../../shared/command-context';

/** The HTTP body: the event's schema minus the id the server picks; no portal means every portal. */
export const PublishBlogPostBody = BlogPostPublished.schema
  .omit({ postId: true })
  .extend({ portal: slug.nullable().default(null) });
export type PublishBlogPostBody = z.output<typeof PublishBlogPostBody>;

export const PublishBlogPostResult = z.strictObject({ postId: z.uuid(), slug });
export type PublishBlogPostResult = z.infer<typeof PublishBlogPostResult>;

export class PublishBlogPostCommand extends Command<PublishBlogPostResult> {
  constructor(
    readonly input: PublishBlogPostBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
