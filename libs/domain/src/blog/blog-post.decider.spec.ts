import { spec } from '@feedwerk/testing';
import { blogPostDecider, type BlogPostEvent, type PublishBlogPost, SlugTakenError } from '@feedwerk/domain';

const T0 = new Date('2026-11-27T10:00:00Z');
const data = {
  postId: '3f1c2b7a-0000-4000-8000-000000000001',
  slug: 'bewerbung-tipps',
  title: 'Zehn Tipps für die Bewerbung',
  teaser: 'Was Personalerinnen wirklich lesen, und was nicht.',
  author: 'Redaktion',
  portal: null,
};
const publish = (postId = data.postId): PublishBlogPost => ({
  type: 'PublishBlogPost',
  data: { ...data, postId },
});
const published = (): BlogPostEvent => ({ type: 'BlogPostPublished', data });

describe('PublishBlogPost', () => {
  const given = spec(blogPostDecider).at(T0);

  it('publishes a post under a free slug', () => given().when(publish()).then([published()]));

  it('refuses a slug that is already taken', () =>
    given(published()).when(publish('3f1c2b7a-0000-4000-8000-000000000002')).thenThrows(SlugTakenError));
});
