import { randomUUID } from 'node:crypto';
import { changeFor, type FeedEvent, renderTickerItem, type TickerChangeRecord } from '@feedwerk/contracts';
import { ActivityModel, foldActivity, toChangeRecord } from '@feedwerk/read-models';
import { cvUploadedData, renderedJobItem } from '@feedwerk/testing';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
let global = 0;

/** A valid event envelope `seconds` after T0 (the fold uses only the events' own times). */
function event<T extends FeedEvent>(
  type: T['type'],
  data: T['data'],
  seconds = 0,
  streamId = `s:${randomUUID()}`,
): T {
  global += 1;
  return {
    id: randomUUID(),
    type,
    source: '/test',
    time: new Date(T0 + seconds * 1000).toISOString(),
    schemaVersion: 1,
    streamId,
    streamPosition: 1,
    globalPosition: global,
    correlationId: 'c',
    causationId: null,
    actor: { kind: 'system', id: null },
    data,
  } as T;
}

const employerId = '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22';
const jobPosted = (
  seconds: number,
  overrides: {
    portal?: string;
    source?: 'direct' | 'import';
    region?: 'Berlin' | 'Bayern';
    category?: string;
  } = {},
) => {
  const jobId = randomUUID();
  return event(
    'JobPosted',
    {
      jobId,
      employerId,
      title: '<img src=x onerror=alert(1)> Koch (m/w/d)',
      description: 'Frische Küche in Friedrichshain.',
      location: { city: 'Berlin', region: overrides.region ?? 'Berlin', postcode: '10245' },
      category: overrides.category ?? 'gastronomie',
      employmentType: 'full-time',
      portal: overrides.portal ?? 'berlin',
      source: overrides.source ?? 'direct',
      salary: null,
      remote: false,
    },
    seconds,
    `job:${jobId}`,
  );
};
const jobClosed = (posted: FeedEvent, seconds: number) => {
  if (posted.type !== 'JobPosted') throw new Error('not a posting');
  return event(
    'JobClosed',
    { jobId: posted.data.jobId, employerId, portal: posted.data.portal, reason: 'filled' },
    seconds,
    posted.streamId,
  );
};
const candidateId = 'c0ffee00-1111-4222-8333-444455556666';
const cvUploaded = (seconds: number, candidate = candidateId, portal = 'berlin') =>
  event('CvUploaded', cvUploadedData(candidate, randomUUID(), portal), seconds, `candidate:${candidate}`);

const fold = (events: FeedEvent[], burstWindowMs = 60_000) => foldActivity(events, { burstWindowMs });
const render = (change: TickerChangeRecord, lang: 'de' | 'en' = 'de') => renderTickerItem(change.item, lang);

describe('activity fold: every event becomes the right line', () => {
  it('shows a directly posted job as "➟ Neue Stellenanzeige eingestellt" with portal, region and category', () => {
    const [change] = fold([jobPosted(0)]).changes;
    expect(change).toMatchObject({ op: 'upsert', position: 1, previousKind: null });
    // The line of a posting exactly as the box shows it; its id comes from the event id.
    const { id: _fixtureId, ...line } = renderedJobItem(1, { category: 'gastronomie' });
    expect(render(change!)).toMatchObject(line);
    expect(render(change!, 'en').text).toBe('New job ad posted');
  });

  it('shows an imported job as "Eine neue Jobanzeige"', () => {
    const [change] = fold([jobPosted(0, { source: 'import' })]).changes;
    expect(render(change!)).toMatchObject({ kind: 'job.imported', icon: null, text: 'Eine neue Jobanzeige' });
  });

  it('shows an update as "✓ Stellenanzeige wurde geupdatet" with the values after the change', () => {
    const [change] = fold([
      event('JobUpdated', {
        jobId: randomUUID(),
        employerId,
        portal: 'hamburg',
        region: 'Hamburg',
        category: 'it',
        changes: { title: 'Neu' },
      }),
    ]).changes;
    expect(render(change!)).toMatchObject({
      kind: 'job.updated',
      icon: '✓',
      text: 'Stellenanzeige wurde geupdatet',
      portal: 'hamburg',
      region: 'Hamburg',
      category: 'it',
    });
  });

  it('shows a bulk refresh as one "↻" item per portal with its count', () => {
    const jobIds = [randomUUID(), randomUUID(), randomUUID()];
    const { changes } = fold([
      event('JobsRefreshed', {
        refreshId: randomUUID(),
        employerId,
        jobIds,
        count: 3,
        portals: [
          { portal: 'berlin', count: 2 },
          { portal: 'potsdam', count: 1 },
        ],
      }),
    ]);
    expect(changes.map((c) => render(c))).toMatchObject([
      {
        kind: 'jobs.refreshed',
        icon: '↻',
        text: 'Stellenanzeigen wurden aktualisiert',
        detail: '2 Stellenanzeigen',
        count: 2,
        portal: 'berlin',
      },
      {
        kind: 'jobs.refreshed',
        text: 'Stellenanzeige wurde aktualisiert',
        detail: null,
        count: 1,
        portal: 'potsdam',
      },
    ]);
    expect(new Set(changes.map((c) => c.item.id)).size).toBe(2);
  });

  it('shows a blog post as "✉ Neuer Blog Beitrag", site-wide when it has no portal', () => {
    const [change] = fold([
      event('BlogPostPublished', {
        postId: randomUUID(),
        slug: 'bewerbungstipps',
        title: 'Bewerbungstipps',
        teaser: 'So gelingt die Bewerbung.',
        author: 'Redaktion',
        portal: null,
      }),
    ]).changes;
    expect(render(change!)).toMatchObject({
      kind: 'blog.published',
      icon: '✉',
      text: 'Neuer Blog Beitrag',
      portal: null,
    });
    expect(JSON.stringify(change)).not.toContain('Bewerbungstipps');
  });

  it('shows an employer sign-up on every portal and copies nothing about the company', () => {
    const [change] = fold([
      event('EmployerRegistered', {
        employerId,
        name: 'Geheim GmbH',
        website: 'https://example.org',
        city: 'Berlin',
      }),
    ]).changes;
    expect(render(change!)).toMatchObject({
      kind: 'employer.registered',
      text: 'Neue Anmeldung Arbeitgeber',
      portal: null,
      region: null,
      category: null,
    });
    expect(JSON.stringify(change)).not.toMatch(/Geheim|example\.org|0b3c1f52/);
  });

  it('never copies a job title into an item', () => {
    expect(JSON.stringify(fold([jobPosted(0)]).changes)).not.toContain('onerror');
  });
});

describe('activity fold: a burst of postings on one portal becomes one item', () => {
  it('turns the first posting into a burst when the next arrives within the window, same id, updated in place', () => {
    const { changes } = fold([jobPosted(0), jobPosted(10), jobPosted(59)]);
    const [first, second, third] = changes;
    expect(changes.map((c) => c.op)).toEqual(['upsert', 'upsert', 'upsert']);
    expect(second!.item.id).toBe(first!.item.id);
    expect(third!.item.id).toBe(first!.item.id);
    expect(second!.previousKind).toBe('job.posted');
    expect(third!.previousKind).toBeNull();
    expect(render(third!)).toMatchObject({
      kind: 'jobs.burst',
      icon: null,
      text: 'Neue Jobangebote verfügbar',
      detail: '3 neue Stellenanzeigen',
      count: 3,
      order: 1,
      position: 3,
      at: '2026-11-27T10:00:59.000Z',
    });
    expect(render(second!, 'en')).toMatchObject({
      text: 'New job offers available',
      detail: '2 new job ads',
    });
  });

  it('starts a new item once the window (measured from the first posting, by event time) has passed', () => {
    const { changes } = fold([jobPosted(0), jobPosted(30), jobPosted(61)]);
    expect(changes[2]!.item.id).not.toBe(changes[0]!.item.id);
    expect(render(changes[2]!)).toMatchObject({ kind: 'job.posted', count: 1, order: 3 });
  });

  it('honours a configured window (0: no aggregation), whatever order the event times arrive in', () => {
    expect(new Set(fold([jobPosted(0), jobPosted(5)], 1_000).changes.map((c) => c.item.id)).size).toBe(2);
    expect(new Set(fold([jobPosted(5), jobPosted(0)], 0).changes.map((c) => c.item.id)).size).toBe(2);
    expect(new Set(fold([jobPosted(5), jobPosted(0)], 10_000).changes.map((c) => c.item.id)).size).toBe(1);
  });

  it('aggregates imports the same way, and keeps portals apart', () => {
    const { changes } = fold([
      jobPosted(0, { source: 'import' }),
      jobPosted(1, { portal: 'hamburg' }),
      jobPosted(2, { source: 'import' }),
    ]);
    expect(changes[2]!.item.id).toBe(changes[0]!.item.id);
    expect(changes[2]).toMatchObject({
      previousKind: 'job.imported',
      item: { kind: 'jobs.burst', count: 2 },
    });
    expect(changes[1]!.item).toMatchObject({ kind: 'job.posted', portal: 'hamburg' });
  });

  it('widens region and category to null when the burst spans several, and never narrows them again', () => {
    const a = jobPosted(0, { region: 'Berlin', category: 'pflege' });
    const b = jobPosted(1, { region: 'Bayern', category: 'pflege' });
    const { changes } = fold([a, b, jobClosed(b, 2)]);
    expect(changes[1]!.item).toMatchObject({ region: null, category: 'pflege' });
    expect(changes[2]!.item).toMatchObject({ region: null, count: 1 });
  });

  it('gives the same feed when the history is folded again from scratch (rebuild)', () => {
    const events = [jobPosted(0), jobPosted(1), jobPosted(100, { source: 'import' })];
    expect(fold(events).changes).toEqual(fold(events).changes);
  });

  it('hands a rebuild (applyInto) the parts of exactly the changes apply returns, in order', () => {
    const a = jobPosted(0);
    const b = jobPosted(1, { region: 'Bayern' });
    const c = cvUploaded(2);
    const events = [
      a,
      b,
      c,
      cvUploaded(3),
      jobClosed(a, 4),
      jobPosted(200, { source: 'import' }),
      jobClosed(b, 300),
    ];
    const handed: TickerChangeRecord[] = [];
    const model = new ActivityModel({ burstWindowMs: 60_000 });
    for (const e of events) {
      model.applyInto(e, {
        change: (op, item, previousKind) => handed.push(toChangeRecord(op, item, previousKind)),
      });
    }
    const { changes, model: reference } = fold(events);
    expect(handed).toEqual(changes);
    expect(handed.some((change) => change.previousKind !== null)).toBe(true);
    expect(handed.some((change) => change.op === 'retract')).toBe(true);
    expect([...model.items.values()]).toEqual([...reference.items.values()]);
    expect(model.position).toBe(reference.position);
  });
});

describe('activity fold: a closed job is withdrawn', () => {
  it('retracts a single posting item', () => {
    const posted = jobPosted(0);
    const { changes, model } = fold([posted, jobClosed(posted, 300)]);
    expect(changes[1]).toMatchObject({ op: 'retract', position: 2, item: { id: changes[0]!.item.id } });
    expect(model.members.size).toBe(0);
  });

  it('decrements a burst (upsert, same id), and retracts it when its last job closes', () => {
    const a = jobPosted(0);
    const b = jobPosted(1);
    const { changes } = fold([a, b, jobClosed(a, 5), jobClosed(b, 6)]);
    expect(changes[2]).toMatchObject({
      op: 'upsert',
      item: { id: changes[0]!.item.id, kind: 'jobs.burst', count: 1 },
    });
    expect(render(changes[2]!).detail).toBeNull();
    expect(changes[3]).toMatchObject({ op: 'retract', item: { id: changes[0]!.item.id } });
  });

  it('changes nothing for a job it never showed, or one closed twice', () => {
    const posted = jobPosted(0);
    const stranger = jobPosted(0);
    const { changes } = fold([posted, jobClosed(stranger, 1), jobClosed(posted, 2), jobClosed(posted, 3)]);
    expect(changes.map((c) => c.op)).toEqual(['upsert', 'retract']);
  });

  it('does not let a new posting join a burst that was withdrawn', () => {
    const posted = jobPosted(0);
    const { changes } = fold([posted, jobClosed(posted, 1), jobPosted(2)]);
    expect(changes[2]!.item.id).not.toBe(changes[0]!.item.id);
    expect(changes[2]!.item.kind).toBe('job.posted');
  });
});

describe('activity fold: no personal data, ever', () => {
  it('says that a CV was uploaded, with at most region and category: no headline, no ids, minute precision', () => {
    const upload = cvUploaded(17);
    const [change] = fold([upload]).changes;
    expect(render(change!)).toMatchObject({
      kind: 'cv.uploaded',
      text: 'Neuer Lebenslauf hochgeladen',
      region: 'Berlin',
      category: 'pflege',
      at: '2026-11-27T10:00:00.000Z',
    });
    const json = JSON.stringify(change);
    if (upload.type !== 'CvUploaded') throw new Error('unreachable');
    for (const secret of [
      'Erika',
      'Mustermann',
      upload.data.candidateId,
      upload.data.cvId,
      upload.data.file.ref,
      upload.data.personal.keyId,
      upload.id,
    ]) {
      expect(json).not.toContain(secret);
    }
  });

  it('batches CV uploads on a portal ("3 neue Lebensläufe")', () => {
    const { changes } = fold([cvUploaded(0), cvUploaded(1, randomUUID()), cvUploaded(2, randomUUID())]);
    expect(render(changes[2]!)).toMatchObject({
      text: 'Neue Lebensläufe hochgeladen',
      detail: '3 neue Lebensläufe',
      count: 3,
    });
    expect(render(changes[2]!, 'en')).toMatchObject({ text: 'New CVs uploaded', detail: '3 new CVs' });
  });

  it('takes an erased candidate out of the box and keeps no index row about them', () => {
    const other = randomUUID();
    const model = new ActivityModel({ burstWindowMs: 60_000 });
    const changes = [cvUploaded(0), cvUploaded(1, other), cvUploaded(2)].flatMap((e) => model.apply(e));
    expect(changes[2]!.item.count).toBe(3);
    const erased = model.apply(
      event('CandidateErased', { candidateId, receiptId: randomUUID(), cvFilesDeleted: 2, keysDeleted: 1 }),
    );
    expect(erased).toMatchObject([
      { op: 'upsert', item: { count: 2 } },
      { op: 'upsert', item: { count: 1 } },
    ]);
    expect(JSON.stringify([...model.members.values()])).not.toContain(candidateId);
    expect([...model.members.values()].map((m) => m.subject)).toEqual([`candidate:${other}`]);
  });
});

describe('changes for a filtered client', () => {
  it('retracts an item from a client filtering on its old kind when it becomes a burst', () => {
    const { changes } = fold([jobPosted(0), jobPosted(1)]);
    const filter = { portal: 'berlin', types: ['job.posted' as const] };
    expect(changeFor(filter, changes[0]!, 'de')).toMatchObject({ op: 'upsert' });
    expect(changeFor(filter, changes[1]!, 'de')).toEqual({
      op: 'retract',
      position: 2,
      id: changes[0]!.item.id,
    });
    expect(changeFor({ portal: 'berlin', types: ['jobs.burst'] }, changes[1]!, 'de')).toMatchObject({
      op: 'upsert',
    });
  });

  it('sends a portal item only to its portal, and a site-wide item to every portal', () => {
    const { changes } = fold([
      jobPosted(0),
      event('EmployerRegistered', { employerId, name: 'X GmbH', website: 'https://x.example', city: 'Köln' }),
    ]);
    expect(changeFor({ portal: 'hamburg' }, changes[0]!, 'de')).toBeNull();
    expect(changeFor({ portal: 'hamburg' }, changes[1]!, 'de')).toMatchObject({ op: 'upsert' });
  });

  it('filters by region and category, treating an item without one as matching', () => {
    const { changes } = fold([jobPosted(0, { region: 'Bayern', portal: 'muc', category: 'it' })]);
    expect(changeFor({ portal: 'muc', region: 'Berlin' }, changes[0]!, 'de')).toBeNull();
    expect(changeFor({ portal: 'muc', region: 'Bayern', category: 'it' }, changes[0]!, 'de')).not.toBeNull();
    expect(changeFor({ portal: 'muc', category: 'pflege' }, changes[0]!, 'de')).toBeNull();
  });
});
