import { type EventData } from '@feedwerk/contracts';
import { type Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';

export interface PublishBlogPost {
  readonly type: 'PublishBlogPost';
  readonly data: EventData<'BlogPostPublished'>;
}
export type BlogPostCommand = PublishBlogPost;
export type BlogPostEvent = {
  readonly type: 'BlogPostPublished';
  readonly data: EventData<'BlogPostPublished'>;
};

/** A blog post's stream is keyed by its slug (`blog:<slug>`): one slug, one post. */
export type BlogPostState =
  | { readonly status: 'none' }
  | { readonly status: 'published'; readonly postId: string; readonly slug: string };

export class SlugTakenError extends DomainError {
  constructor(slug: string) {
    super('conflict', 'blog-post.slug-taken', `the slug "${slug}" is already taken by a published post`);
  }
}

export const blogPostDecider: Decider<BlogPostCommand, BlogPostEvent, BlogPostState> = {
  initialState: { status: 'none' },
  eventTypes: { BlogPostPublished: true },

  decide(command, state) {
    switch (command.type) {
      case 'PublishBlogPost':
        if (state.status !== 'none') throw new SlugTakenError(command.data.slug);
        return [{ type: 'BlogPostPublished', data: command.data }];
    }
  },

  evolve(_state, event) {
    switch (event.type) {
      case 'BlogPostPublished':
        return { status: 'published', postId: event.data.postId, slug: event.data.slug };
    }
  },
};
