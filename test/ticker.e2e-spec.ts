import {
  type TickerChangeV1,
  type TickerItemV1,
  TickerProtocol,
  type TickerSubscribeAck,
} from '@feedwerk/contracts';
import { employerBody, jobBody, sseClient, tickerSocket, uniqueName, waitFor } from '@feedwerk/testing';
import { io } from 'socket.io-client';
import { bothModes, deployedFor, post, startDistributed } from './support';

/** A socket.io client that applies changes to its box the way the widget does. */
async function boxClient(url: string, request: Record<string, unknown>) {
  const { socket, changes } = await tickerSocket(url);
  const ack = (await socket
    .timeout(10_000)
    .emitWithAck(TickerProtocol.subscribe, request)) as TickerSubscribeAck;
  if (!ack.ok) throw new Error(ack.error);
  return { socket, ack, changes, close: () => socket.disconnect() };
}

async function employer(apiUrl: string) {
  const { body } = await post(apiUrl, '/employers', employerBody());
  return { authorization: `Bearer ${String(body.apiKey)}` };
}

/** The upserts of one portal's own items (site-wide sign-ups of other tests interleave). */
const ofPortal = (changes: readonly TickerChangeV1[], portal: string) =>
  changes.filter((c) => c.op === 'upsert' && c.item.portal === portal);

/** The last position a client has applied: the last change, or the head of what it was served. */
const lastPosition = (client: { ack: TickerSubscribeAck; changes: TickerChangeV1[] }) =>
  client.changes[client.changes.length - 1]?.position ?? (client.ack.ok ? client.ack.head : 0);

const tickerModes = bothModes({ TICKER_BURST_WINDOW_MS: '0' }, { TICKER_SSE_HEARTBEAT_MS: '200' });

describe.each(tickerModes)('the ticker over HTTP on %s', (_mode, start) => {
  const deployment = deployedFor(start);

  it('streams the box as Server-Sent Events and resumes exactly after Last-Event-ID', async () => {
    const portal = uniqueName('sse-');
    const auth = await employer(deployment.apiUrl);
    const stream = await sseClient(
      `${deployment.tickerUrl}${TickerProtocol.streamPath}?portal=${portal}&lang=de&types=job.posted`,
    );
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const snapshot = await waitFor('the snapshot event', () =>
      stream.events.find((e) => e.event === 'snapshot'),
    );
    // Ids are `<generation>:<position>`: positions count within one generation of the feed.
    const head = (snapshot.data as { head: number }).head;
    expect(snapshot.data).toEqual({ items: [], head, generation: 1 });
    expect(snapshot.id).toBe(`1:${head}`);

    await post(deployment.apiUrl, '/jobs', jobBody({ portal, title: 'Erster Job' }), auth);
    const first = await waitFor('the first change', () => stream.events.find((e) => e.event === 'change'));
    await waitFor('a heartbeat comment', () => stream.comments.includes(': ping'));
    expect(first.data).toMatchObject({
      op: 'upsert',
      item: { kind: 'job.posted', portal, text: 'Neue Stellenanzeige eingestellt' },
    });
    await stream.close();

    // Offline: two more postings. Resuming after the first change serves exactly those, once.
    for (const title of ['Zweiter Job', 'Dritter Job']) {
      expect((await post(deployment.apiUrl, '/jobs', jobBody({ portal, title }), auth)).status).toBe(201);
    }
    const resumed = await waitFor(
      'a resume that holds both missed postings',
      async () => {
        const attempt = await sseClient(
          `${deployment.tickerUrl}${TickerProtocol.streamPath}?portal=${portal}&types=job.posted`,
          {
            'last-event-id': first.id!,
          },
        );
        // This stream may have opened before the relay and projector caught up: give it a short
        // deadline, then try a fresh resume.
        const complete = await waitFor(
          'both missed postings on this stream',
          () => attempt.events.filter((e) => e.event === 'change').length >= 2,
          { timeoutMs: 2_000 },
        ).catch(() => false);
        await attempt.close();
        return complete ? attempt.events : false;
      },
      { timeoutMs: 30_000 },
    );
    expect(resumed.some((e) => e.event === 'snapshot')).toBe(false);
    const changes = resumed.filter((e) => e.event === 'change').map((e) => e.data as TickerChangeV1);
    expect(changes).toHaveLength(2);
    expect(changes.map((c) => c.position)).toEqual(
      [...new Set(changes.map((c) => c.position))].sort((a, b) => a - b),
    );
    expect(first.id).toBe(`1:${(first.data as TickerChangeV1).position}`);
    expect(changes.every((c) => c.position > (first.data as TickerChangeV1).position)).toBe(true);
  });

  it('lets a socket.io client that lost its connection resume exactly, with its filters', async () => {
    const portal = uniqueName('drop-');
    const auth = await employer(deployment.apiUrl);
    const request = { portal, types: ['job.posted'], category: 'pflege', lang: 'en' };
    const before = await boxClient(deployment.tickerUrl, request);
    await post(deployment.apiUrl, '/jobs', jobBody({ portal, title: 'Vor dem Abbruch' }), auth);
    await waitFor('the first posting', () => before.changes.length >= 1, { timeoutMs: 30_000 });
    const since = lastPosition(before);
    before.close(); // the network drops

    await post(
      deployment.apiUrl,
      '/jobs',
      jobBody({ portal, title: 'Andere Kategorie', category: 'it' }),
      auth,
    );
    const missed = await post(deployment.apiUrl, '/jobs', jobBody({ portal, title: 'Verpasst' }), auth);
    expect(missed.status).toBe(201);
    const after = await waitFor(
      'a resume holding the missed posting',
      async () => {
        const attempt = await boxClient(deployment.tickerUrl, { ...request, since });
        if (attempt.ack.ok && attempt.ack.mode === 'changes' && attempt.ack.changes.length >= 1)
          return attempt;
        attempt.close();
        return false;
      },
      { timeoutMs: 30_000 },
    );
    try {
      const changes = after.ack.ok && after.ack.mode === 'changes' ? after.ack.changes : [];
      expect(changes).toEqual([
        expect.objectContaining({
          op: 'upsert',
          item: expect.objectContaining({
            kind: 'job.posted',
            category: 'pflege',
            text: 'New job ad posted',
          }),
        }),
      ]);
      expect(changes[0]!.position).toBeGreaterThan(since);
    } finally {
      after.close();
    }
  });

  it('refuses a bad stream or snapshot query with a problem, never a 5xx', async () => {
    for (const query of [
      '',
      'portal=Berlin!',
      'portal=berlin&limit=500',
      'portal=berlin&types=nope',
      'portal=berlin&lang=fr',
    ]) {
      for (const path of [TickerProtocol.streamPath, TickerProtocol.snapshotPath]) {
        const response = await fetch(`${deployment.tickerUrl}${path}?${query}`);
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        const problem = (await response.json()) as { errors: { path: string }[] };
        expect(problem.errors.length).toBeGreaterThan(0);
      }
    }
  });

  it('renders the box as an escaped HTML fragment for visitors without JavaScript', async () => {
    const portal = uniqueName('html-');
    const auth = await employer(deployment.apiUrl);
    const title = '<img src=x onerror=alert(1)>';
    expect((await post(deployment.apiUrl, '/jobs', jobBody({ portal, title }), auth)).status).toBe(201);
    const html = await waitFor(
      'the posting in the snapshot',
      async () => {
        const response = await fetch(
          `${deployment.tickerUrl}${TickerProtocol.snapshotPath}?portal=${portal}&lang=de&limit=8`,
        );
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(response.headers.get('cache-control')).toBe('public, max-age=5');
        const text = await response.text();
        return text.includes('Neue Stellenanzeige eingestellt') ? text : false;
      },
      { timeoutMs: 30_000 },
    );
    expect(html).toMatch(
      /^<section class="fw-ticker" aria-label="Neueste Aktivitäten"><h2>Neueste Aktivitäten<\/h2><ol>/,
    );
    expect(html).toMatch(
      /<li class="fw-item" data-kind="job\.posted"><span class="fw-icon" aria-hidden="true">➟<\/span><span class="fw-text">Neue Stellenanzeige eingestellt<\/span><time class="fw-time" datetime="[^"]+">[^<]+<\/time><\/li>/,
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror');
  });
});

describe('ticker nodes on Kafka and PostgreSQL', () => {
  const deployment = deployedFor(() =>
    startDistributed({
      TICKER_BURST_WINDOW_MS: '0',
      TICKER_ALLOWED_ORIGINS: 'berlin=https://jobs-berlin.example;*=https://feedwerk.example',
    }),
  );

  it('lets a client resume after a ticker restart, onto another node, with the outage postings exactly once', async () => {
    const portal = uniqueName('restart-');
    const auth = await employer(deployment.apiUrl);
    const node = await deployment.startTicker();
    const client = await boxClient(node.url, { portal });
    expect((await post(deployment.apiUrl, '/jobs', jobBody({ portal, title: 'Vorher' }), auth)).status).toBe(
      201,
    );
    await waitFor('the first posting live', () => ofPortal(client.changes, portal).length >= 1, {
      timeoutMs: 30_000,
    });
    const since = lastPosition(client);
    client.close();
    const stream = await sseClient(`${node.url}${TickerProtocol.streamPath}?portal=${portal}`);
    await waitFor('the stream to open', () => stream.events.length > 0);
    await node.app.close(); // the ticker node goes away, also with an event stream open
    await stream.ended;

    const during: string[] = [];
    for (const title of ['Während 1', 'Während 2', 'Während 3']) {
      const posted = await post(deployment.apiUrl, '/jobs', jobBody({ portal, title }), auth);
      expect(posted.status).toBe(201);
      during.push(String(posted.body.jobId));
    }

    const restarted = await deployment.startTicker();
    await waitFor(
      'a resume holding the three outage postings',
      async () => {
        const attempt = await boxClient(restarted.url, { portal, since });
        attempt.close();
        return (
          attempt.ack.ok &&
          attempt.ack.mode === 'changes' &&
          ofPortal(attempt.ack.changes, portal).length >= 3
        );
      },
      { timeoutMs: 30_000 },
    );
    const again = await boxClient(restarted.url, { portal, since });
    try {
      expect(again.ack).toMatchObject({ ok: true, mode: 'changes' });
      const all = again.ack.ok && again.ack.mode === 'changes' ? again.ack.changes : [];
      expect(new Set(all.map((c) => c.position)).size).toBe(all.length);
      const changes = ofPortal(all, portal);
      expect(changes).toHaveLength(during.length);
      expect(changes.every((c) => c.position > since)).toBe(true);

      // And live from there: the next posting arrives once, after the resumed ones.
      await post(deployment.apiUrl, '/jobs', jobBody({ portal, title: 'Danach' }), auth);
      const live = await waitFor('the next posting live', () => ofPortal(again.changes, portal)[0], {
        timeoutMs: 30_000,
      });
      expect(live.position).toBeGreaterThan(changes[2]!.position);
      // No duplicate of it follows: a later posting arrives next, in feed order, and only once.
      await post(deployment.apiUrl, '/jobs', jobBody({ portal, title: 'Danach 2' }), auth);
      const after = await waitFor('the posting after it', () => ofPortal(again.changes, portal)[1], {
        timeoutMs: 30_000,
      });
      expect(after.position).toBeGreaterThan(live.position);
      expect(ofPortal(again.changes, portal)).toHaveLength(2);
    } finally {
      again.close();
    }
  });

  it('has every node deliver every change to its own clients', async () => {
    const portal = uniqueName('nodes-');
    const [one, two] = [await deployment.startTicker(), await deployment.startTicker()];
    const clients = [await boxClient(one.url, { portal }), await boxClient(two.url, { portal })];
    try {
      const auth = await employer(deployment.apiUrl);
      for (const title of ['Eins', 'Zwei'])
        await post(deployment.apiUrl, '/jobs', jobBody({ portal, title }), auth);
      const seen: TickerItemV1[][] = [];
      for (const client of clients) {
        await waitFor('both postings at this node', () => ofPortal(client.changes, portal).length >= 2, {
          timeoutMs: 30_000,
        });
        seen.push(
          ofPortal(client.changes, portal)
            .map((c) => (c.op === 'upsert' ? c.item : null))
            .filter((i) => i !== null),
        );
      }
      expect(seen[0]!.map((i) => i.position)).toEqual(seen[1]!.map((i) => i.position));
      expect(seen[0]).toHaveLength(2);
    } finally {
      clients.forEach((c) => c.close());
    }
  });

  it('serves pages only to allow-listed origins, per portal, over SSE, the snapshot and socket.io', async () => {
    const url = deployment.tickerUrl;
    const get = (path: string, origin: string) => fetch(`${url}${path}`, { headers: { origin } });
    const refused = await get(`${TickerProtocol.snapshotPath}?portal=hamburg`, 'https://jobs-berlin.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await get(`${TickerProtocol.streamPath}?portal=berlin`, 'https://evil.example')).status).toBe(
      403,
    );
    const allowed = await get(`${TickerProtocol.snapshotPath}?portal=berlin`, 'https://jobs-berlin.example');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://jobs-berlin.example');
    const stream = await sseClient(`${url}${TickerProtocol.streamPath}?portal=hamburg`, {
      origin: 'https://feedwerk.example',
    });
    expect(stream.response.status).toBe(200);
    await stream.close();

    const socket = io(`${url}${TickerProtocol.namespace}`, {
      transports: ['polling'],
      reconnection: false,
      extraHeaders: { origin: 'https://evil.example' },
    });
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.disconnect();
    expect(error.message).toMatch(/xhr poll error|origin|403/i);
  });
});
