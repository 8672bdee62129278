import { randomUUID } from 'node:crypto';
import { type FeedEvent } from '@feedwerk/contracts';
import { jobBody } from '@feedwerk/testing';
import { aggregateOf, foldAggregate } from './aggregate-state';
import { csvSafe } from './history.export';
import { EventsQuery, StateQuery } from './history.queries';

const envelope = (streamId: string, streamPosition: number) => ({
  id: randomUUID(),
  source: '/test',
  time: '2026-11-27T10:00:00.000Z',
  schemaVersion: 1,
  streamId,
  streamPosition,
  globalPosition: streamPosition,
  correlationId: 'c',
  causationId: null,
  actor: { kind: 'system' as const, id: null },
});

describe('aggregate state: the domain evolve per stream prefix', () => {
  const jobId = randomUUID();
  const employerId = randomUUID();
  const streamId = `job:${jobId}`;
  const posted = {
    ...envelope(streamId, 1),
    type: 'JobPosted',
    data: { ...jobBody({ title: 'Erste Fassung' }), jobId, employerId, source: 'direct' },
  } as unknown as FeedEvent;
  const updated = {
    ...envelope(streamId, 2),
    type: 'JobUpdated',
    data: {
      jobId,
      changes: { title: 'Zweite Fassung' },
      portal: 'berlin',
      region: 'Berlin',
      category: 'pflege',
    },
  } as unknown as FeedEvent;

  it('names the aggregate of a stream, or none', () => {
    expect(
      ['job:x', 'employer:x', 'candidate:x', 'blog:x', 'admin-action:x', 'nope'].map(aggregateOf),
    ).toEqual(['job', 'employer', 'candidate', 'blog', null, null]);
  });

  it('folds with the decider: none before the first event, the posting, then the update', () => {
    expect(foldAggregate('job', [])).toEqual({ status: 'none' });
    expect(foldAggregate('job', [posted])).toMatchObject({ status: 'open', job: { title: 'Erste Fassung' } });
    expect(foldAggregate('job', [posted, updated])).toMatchObject({
      status: 'open',
      job: { title: 'Zweite Fassung' },
    });
  });
});

describe('CSV cells never start a spreadsheet formula', () => {
  it.each([
    ['=HYPERLINK("x")', `'=HYPERLINK("x")`],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['JobPosted', 'JobPosted'],
    ['{"a":1}', '{"a":1}'],
  ])('%j → %j', (cell, safe) => expect(csvSafe(cell)).toBe(safe));
});

describe('history query strings', () => {
  it('accepts types repeated or comma-separated, and defaults the page size', () => {
    expect(EventsQuery.parse({ type: ['JobPosted', 'JobClosed,CvUploaded'] })).toEqual({
      type: ['JobPosted', 'JobClosed', 'CvUploaded'],
      limit: 100,
    });
  });

  it('refuses positions beyond what a number holds exactly, and version together with at', () => {
    expect(EventsQuery.safeParse({ after: '9007199254740993' }).success).toBe(false);
    expect(EventsQuery.parse({ after: '9007199254740991' }).after).toBe(Number.MAX_SAFE_INTEGER);
    expect(StateQuery.safeParse({ version: '2', at: '2026-11-27T10:00:00Z' }).success).toBe(false);
    expect(StateQuery.parse({ at: '2026-11-27T11:00:00+01:00' }).at?.toISOString()).toBe(
      '2026-11-27T10:00:00.000Z',
    );
  });
});
