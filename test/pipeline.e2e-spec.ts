import { employerBody, jobBody, uniqueName, waitFor } from '@feedwerk/testing';
import { bothModes, deployedFor, post, tickerClient } from './support';

describe.each(bothModes())('the whole pipeline on %s', (_mode, start) => {
  const deployment = deployedFor(start);

  it('shows a job posted over HTTP live in the box of a connected socket.io client', async () => {
    const portal = uniqueName('p-');
    const client = await tickerClient(deployment.tickerUrl, portal);
    try {
      expect(client.ack).toMatchObject({ ok: true });

      const registered = await post(deployment.apiUrl, '/employers', employerBody());
      expect(registered.status).toBe(201);
      expect(registered.body).toEqual({
        employerId: expect.any(String),
        apiKey: expect.stringMatching(/^fwk_/),
      });

      const posted = await post(deployment.apiUrl, '/jobs', jobBody({ portal }), {
        authorization: `Bearer ${String(registered.body.apiKey)}`,
      });
      expect(posted.status).toBe(201);
      expect(posted.body).toEqual({ jobId: expect.any(String), version: 1 });

      const item = await waitFor(
        'the job to reach the ticker client',
        () => client.items.find((i) => i.kind === 'job.posted' && i.portal === portal),
        { timeoutMs: 30_000 },
      );
      expect(item).toMatchObject({
        text: 'Neue Stellenanzeige eingestellt',
        icon: '➟',
        region: 'Berlin',
        category: 'pflege',
        lang: 'de',
      });
      expect(item.position).toBeGreaterThan(0);
      expect(Date.parse(item.at)).not.toBeNaN();
      // The sign-up is a site-wide line on every portal's box. Its place relative to the job is not
      // promised: the two events travel on different topics (employers, jobs), and Kafka orders only
      // within a partition, so the projector may fold either first. Order holds per aggregate.
      const signUp = await waitFor('the sign-up to reach the ticker client', () =>
        client.items.find((i) => i.kind === 'employer.registered'),
      );
      expect(signUp.text).toBe('Neue Anmeldung Arbeitgeber');
      expect(signUp.position).not.toBe(item.position);
      expect(JSON.stringify(client.items)).not.toContain(employerBody().name);
    } finally {
      client.close();
    }
  });

  it('answers a new subscriber with the box, a burst of postings as one item, in English when asked', async () => {
    const portal = uniqueName('p-');
    const { body } = await post(deployment.apiUrl, '/employers', employerBody());
    const auth = { authorization: `Bearer ${String(body.apiKey)}` };
    for (const title of ['Erzieher (m/w/d)', 'Busfahrer (m/w/d)']) {
      expect((await post(deployment.apiUrl, '/jobs', jobBody({ portal, title }), auth)).status).toBe(201);
    }
    const history = await waitFor(
      'both jobs in the ticker history',
      async () => {
        const client = await tickerClient(deployment.tickerUrl, portal, 'en');
        client.close();
        if (!client.ack.ok || client.ack.mode !== 'snapshot') return false;
        const jobs = client.ack.items.filter((i) => i.portal === portal);
        return jobs[0]?.count === 2 ? client.ack.items : false;
      },
      { timeoutMs: 30_000 },
    );
    // Two postings on one portal within the burst window: one item, updated in place.
    expect(history.filter((i) => i.portal === portal)).toEqual([
      expect.objectContaining({
        kind: 'jobs.burst',
        text: 'New job offers available',
        detail: '2 new job ads',
      }),
    ]);
    // The box comes newest first.
    const orders = history.map((i) => i.order);
    expect(orders).toEqual([...orders].sort((a, b) => b - a));
  });
});
