import { type ApiRoute } from '../openapi/api-route';
import { commonCommandErrors, IdempotentHeaders } from '../openapi/common';
import { PublishBlogPostBody, PublishBlogPostResult } from './publish-blog-post/publish-blog-post.command';

export const blogPostsRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/blog-posts',
    operationId: 'publishBlogPost',
    summary: 'Publish a blog post (PublishBlogPost, admin only)',
    tags: ['blog'],
    auth: 'admin',
    headers: IdempotentHeaders,
    body: { kind: 'json', schema: PublishBlogPostBody },
    responses: {
      201: { description: 'Published.', schema: PublishBlogPostResult },
      ...commonCommandErrors,
      403: { description: 'The credential is not an admin credential (e.g. an employer API key).' },
      409: { description: 'The slug is taken.' },
    },
  },
];
