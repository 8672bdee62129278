import { TICKER_KINDS, TickerProtocol, type TickerKind, type TickerSubscribeAck } from '@feedwerk/contracts';
import {
  cvFields,
  employerBody,
  jobBody,
  pdfBytes,
  tickerSocket,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { bothModes, call, deployedFor, post, TEST_ADMIN_TOKEN } from './support';

/** A socket.io client on one portal that records every change (upserts and retractions) in order. */
async function portalClient(url: string, portal: string) {
  const { socket, changes } = await tickerSocket(url);
  const ack = (await socket
    .timeout(10_000)
    .emitWithAck(TickerProtocol.subscribe, { portal })) as TickerSubscribeAck;
  expect(ack).toMatchObject({ ok: true, mode: 'snapshot' });
  const upserted = (kind: TickerKind) =>
    changes.flatMap((c) => (c.op === 'upsert' && c.item.kind === kind ? [c.item] : []));
  return { changes, upserted, close: () => socket.disconnect() };
}

/**
 * The box "Neueste Aktivitäten" end to end: every line of the product appears from a real command
 * sent over HTTP, and closing a job withdraws its line from connected clients.
 */
describe.each(bothModes())('every ticker line from real commands on %s', (_mode, start) => {
  const deployment = deployedFor(start);

  it('shows all eight lines with their icons, and withdraws a closed job', async () => {
    const [single, burst, imported] = [uniqueName('one-'), uniqueName('burst-'), uniqueName('imp-')];
    const clients = {
      single: await portalClient(deployment.tickerUrl, single),
      burst: await portalClient(deployment.tickerUrl, burst),
      imported: await portalClient(deployment.tickerUrl, imported),
    };
    try {
      const api = deployment.apiUrl;
      const registered = await post(api, '/employers', employerBody());
      expect(registered.status).toBe(201);
      const auth = { authorization: `Bearer ${String(registered.body.apiKey)}` };

      // One posting on its own portal, then its update and a refresh of it.
      const posted = await post(api, '/jobs', jobBody({ portal: single }), auth);
      expect(posted.status).toBe(201);
      const jobId = String(posted.body.jobId);
      const updated = await call(
        api,
        'PATCH',
        `/jobs/${jobId}`,
        { remote: true },
        { ...auth, 'if-match': '"1"' },
      );
      expect(updated.status).toBe(200);
      expect((await post(api, '/jobs/refresh', { jobIds: [jobId] }, auth)).status).toBe(200);

      // Two postings within the burst window on another portal; one job from a partner feed on a third.
      for (const title of ['Koch (m/w/d)', 'Kellner (m/w/d)'])
        expect((await post(api, '/jobs', jobBody({ portal: burst, title }), auth)).status).toBe(201);
      const importedJobs = await post(api, '/jobs/import', { jobs: [jobBody({ portal: imported })] }, auth);
      expect(importedJobs.status).toBe(201);

      const blog = await post(
        api,
        '/blog-posts',
        {
          slug: uniqueName('post-'),
          title: 'Bewerbungstipps für den Herbst',
          teaser: 'Zehn Tipps, mit denen Ihre Bewerbung auffällt.',
          author: 'Redaktion',
          portal: single,
        },
        { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      );
      expect(blog.status).toBe(201);

      const form = new FormData();
      const candidate = { name: 'Zora Ticker-Probe', email: `${uniqueName('zora-')}@example.org` };
      for (const [key, value] of Object.entries(cvFields({ ...candidate, portal: single })))
        form.append(key, value);
      form.append('file', new Blob([new Uint8Array(pdfBytes())], { type: 'application/pdf' }), 'cv.pdf');
      expect((await fetch(`${api}/candidates/cvs`, { method: 'POST', body: form })).status).toBe(201);

      const lines = {
        'job.posted': ['➟', 'Neue Stellenanzeige eingestellt', clients.single],
        'job.updated': ['✓', 'Stellenanzeige wurde geupdatet', clients.single],
        'jobs.refreshed': ['↻', 'Stellenanzeige wurde aktualisiert', clients.single],
        'jobs.burst': [null, 'Neue Jobangebote verfügbar', clients.burst],
        'job.imported': [null, 'Eine neue Jobanzeige', clients.imported],
        'blog.published': ['✉', 'Neuer Blog Beitrag', clients.single],
        'cv.uploaded': [null, 'Neuer Lebenslauf hochgeladen', clients.single],
        'employer.registered': [null, 'Neue Anmeldung Arbeitgeber', clients.single],
      } as const;
      expect(Object.keys(lines).sort()).toEqual([...TICKER_KINDS].sort());
      for (const [kind, [icon, text, client]] of Object.entries(lines) as [
        TickerKind,
        (typeof lines)[TickerKind],
      ][]) {
        const item = await waitFor(`a "${kind}" line`, () => client.upserted(kind).at(-1), {
          timeoutMs: 30_000,
        });
        expect({ kind, icon: item.icon, text: item.text }).toEqual({ kind, icon, text });
      }
      const burstItem = await waitFor('the burst to count both postings', () =>
        clients.burst.upserted('jobs.burst').find((i) => i.count === 2),
      );
      expect(burstItem.detail).toBe('2 neue Stellenanzeigen');
      // Nothing personal reaches a ticker client.
      expect(JSON.stringify(clients.single.changes)).not.toContain(candidate.name);
      expect(JSON.stringify(clients.single.changes)).not.toContain(candidate.email);

      // Closing the job withdraws its "new job" line from the box of a connected client.
      const postedItem = clients.single.upserted('job.posted').at(-1)!;
      const closed = await post(api, `/jobs/${jobId}/close`, { reason: 'filled' }, auth);
      expect(closed.status).toBe(200);
      const retraction = await waitFor(
        'the retraction of the closed job',
        () => clients.single.changes.find((c) => c.op === 'retract' && c.id === postedItem.id),
        { timeoutMs: 30_000 },
      );
      expect(retraction.position).toBeGreaterThan(postedItem.position);
      // Positions arrive strictly increasing: the feed order holds on the wire.
      const positions = clients.single.changes.map((c) => c.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).toBe(positions.length);
    } finally {
      for (const client of Object.values(clients)) client.close();
    }
  }, 120_000);
});
