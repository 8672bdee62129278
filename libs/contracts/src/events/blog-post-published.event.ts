import { z } from 'zod';
import { defineEvent } from '../define-event';
import { safeText, slug } from '../text';

/**
 * The editorial team published a blog post ("✉ Neuer Blog Beitrag"). The author is the byline the
 * post is published under, public by intent; the ticker item still shows only the line.
 * `portal` null: the post belongs to every portal.
 */
export const BlogPostPublished = defineEvent({
  type: 'BlogPostPublished',
  version: 1,
  category: 'content',
  description: 'A blog post was published by the editorial team.',
  schema: z.strictObject({
    postId: z.uuid(),
    slug,
    title: safeText(3, 200),
    teaser: safeText(10, 1_000, { multiline: true }),
    author: safeText(2, 100),
    portal: slug.nullable(),
  }),
});
