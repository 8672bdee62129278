import { type PublicTopicFamily } from './public';

/** The families whose history can be republished (the activity topic is derived, not stored). */
export type ReplayFamily = Exclude<PublicTopicFamily, 'activity'>;

/**
 * Republished history goes to its own topics, never to the live ones: a live consumer cannot
 * count a backfill twice, an analytics job reads a range with a fresh group from the beginning,
 * and the `feedwerk.public.` prefix keeps one prefixed read ACL for analytics. The messages are
 * the live ones (same `ce_id`, key, payload and CloudEvents headers) plus the replay headers.
 */
export const ReplayTopics: Readonly<Record<ReplayFamily, string>> = {
  jobs: 'feedwerk.public.jobs.replay.v1',
  employers: 'feedwerk.public.employers.replay.v1',
  content: 'feedwerk.public.content.replay.v1',
  candidates: 'feedwerk.public.candidates.replay.v1',
};

/** Headers every replayed message carries besides the CloudEvents ones. */
export const ReplayHeaders = {
  /** The republish run (GET /admin/republishes/:id). */
  id: 'feedwerk_replay_id',
  /** The run's range of global store positions, inclusive. */
  from: 'feedwerk_replay_from',
  to: 'feedwerk_replay_to',
} as const;
