import { type FeedEvent, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import {
  blogPostDecider,
  type BlogPostEvent,
  type BlogPostState,
  employerDecider,
  type EmployerEvent,
  type EmployerState,
  fold,
  jobDecider,
  type JobEvent,
  type JobState,
} from '@feedwerk/domain';
import { type EventStore, type StoredEvent } from '@feedwerk/event-store';

// The command side decides on the aggregates' own streams, never on a read model (which may lag).

const isJobEvent = (e: FeedEvent): e is Extract<FeedEvent, JobEvent> =>
  e.type === 'JobPosted' || e.type === 'JobUpdated' || e.type === 'JobClosed';
const isEmployerEvent = (e: FeedEvent): e is Extract<FeedEvent, EmployerEvent> =>
  e.type === 'EmployerRegistered' || e.type === 'JobsRefreshed';
const isBlogPostEvent = (e: FeedEvent): e is Extract<FeedEvent, BlogPostEvent> =>
  e.type === 'BlogPostPublished';

const versionOf = (stored: readonly StoredEvent[]) => stored.at(-1)?.streamPosition ?? 0;
const jobStateOf = (stored: readonly StoredEvent[]): JobState =>
  fold(jobDecider, stored.map(toFeedEvent).filter(isJobEvent));

export async function loadJob(
  store: EventStore,
  jobId: string,
): Promise<{ state: JobState; version: number }> {
  const stored = await store.readStream(StreamIds.job(jobId));
  return { state: jobStateOf(stored), version: versionOf(stored) };
}

export async function loadJobs(store: EventStore, jobIds: readonly string[]): Promise<Map<string, JobState>> {
  const streams = await store.readStreams(jobIds.map((id) => StreamIds.job(id)));
  return new Map(jobIds.map((id) => [id, jobStateOf(streams.get(StreamIds.job(id)) ?? [])]));
}

export async function loadEmployer(
  store: EventStore,
  employerId: string,
): Promise<{ state: EmployerState; version: number }> {
  const stored = await store.readStream(StreamIds.employer(employerId));
  return {
    state: fold(employerDecider, stored.map(toFeedEvent).filter(isEmployerEvent)),
    version: versionOf(stored),
  };
}

export async function loadBlogPost(
  store: EventStore,
  slug: string,
): Promise<{ state: BlogPostState; version: number }> {
  const stored = await store.readStream(StreamIds.blogPost(slug));
  return {
    state: fold(blogPostDecider, stored.map(toFeedEvent).filter(isBlogPostEvent)),
    version: versionOf(stored),
  };
}
