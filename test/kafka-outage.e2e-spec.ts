import { createTestDatabase, employerBody, type OwnKafka, startOwnKafka, waitFor } from '@feedwerk/testing';
import { type BuiltApp, buildApps, listening, metricValue, runBuiltApp } from './built-apps';
import { post } from './support';

interface Readiness {
  status: number;
  body: {
    status: string;
    checks: Record<string, boolean>;
    consumers?: Record<string, { keepingUp: boolean; lag: number | null; reason: string | null }>;
  };
}

const ready = async (url: string): Promise<Readiness> => {
  const response = await fetch(`${url}/health/ready`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
};
const metrics = async (url: string): Promise<string> => (await fetch(`${url}/metrics`)).text();

/**
 * The built api, relay and projector as separate processes (what the containers run) on a Kafka
 * broker of the test's own, which is stopped and started again on the same port: readiness and
 * /metrics say what is wrong during the outage, and come back (lags drained) after it.
 */
describe('a Kafka outage, as /health/ready and /metrics show it', () => {
  let build: Awaited<ReturnType<typeof buildApps>>;
  let kafka: OwnKafka;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const apps: BuiltApp[] = [];
  let apiUrl: string;
  let relayUrl: string;
  let projectorUrl: string;

  beforeAll(async () => {
    [build, kafka, database] = await Promise.all([buildApps(), startOwnKafka(), createTestDatabase()]);
    const env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka.brokers,
      TOPIC_PARTITIONS: '2',
      LOG_LEVEL: 'warn',
      METRICS_REFRESH_MS: '1000',
      HEALTH_CONSUMER_STALL_MS: '5000',
      RELAY_IDLE_POLL_MS: '100',
    };
    const api = runBuiltApp(build.dir, 'api', env);
    apps.push(api);
    apiUrl = await listening(api, 'api'); // migrates first
    const relay = runBuiltApp(build.dir, 'relay', env);
    const projector = runBuiltApp(build.dir, 'projector', env);
    apps.push(relay, projector);
    [relayUrl, projectorUrl] = await Promise.all([
      listening(relay, 'relay'),
      listening(projector, 'projector'),
    ]);
  }, 400_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await kafka?.stop();
    await database?.drop();
    await build?.remove();
  }, 120_000);

  it('relay and projector are not ready while Kafka is down, the api is; after it, all are and the lags drain', async () => {
    await waitFor(
      'the relay and the projector to be ready',
      async () => (await ready(relayUrl)).status === 200 && (await ready(projectorUrl)).status === 200,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const before = await post(apiUrl, '/employers', employerBody());
    expect(before.status).toBe(201);
    await waitFor(
      'the first registration in the read model',
      async () => (await fetch(`${apiUrl}/employers/${String(before.body.employerId)}`)).status === 200,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const healthy = await ready(projectorUrl);
    expect(healthy.body.checks).toMatchObject({
      postgres: true,
      kafka: true,
      'consumer:projector.activity': true,
      'consumer:projector.jobs': true,
    });

    await kafka.pause();

    // The api appends to the outbox and stays ready: Kafka does not gate it.
    const during = await post(apiUrl, '/employers', employerBody());
    expect(during.status).toBe(201);
    const apiReady = await ready(apiUrl);
    expect(apiReady).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: true } } });

    const relayDown = await waitFor(
      'the relay to report Kafka down',
      async () => {
        const r = await ready(relayUrl);
        return r.status === 503 && r.body.checks['kafka'] === false ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(relayDown.body).toMatchObject({ status: 'unavailable', checks: { postgres: true, kafka: false } });
    const projectorDown = await waitFor(
      'the projector to report Kafka down',
      async () => {
        const r = await ready(projectorUrl);
        return r.status === 503 && r.body.checks['kafka'] === false ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(Object.keys(projectorDown.body.consumers ?? {}).sort()).toEqual([
      'projector.activity',
      'projector.jobs',
    ]);
    // The outbox holds what the api accepted: the relay's lag counts it, and the broker is down.
    const outageMetrics = await waitFor(
      'the relay lag to show the unpublished registration',
      async () => {
        const text = await metrics(relayUrl);
        return (metricValue(text, 'feedwerk_relay_lag_positions') ?? 0) >= 1 &&
          metricValue(text, 'feedwerk_transport_up') === 0
          ? text
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(metricValue(outageMetrics, 'feedwerk_store_head_position')).toBeGreaterThanOrEqual(2);
    expect(
      metricValue(await metrics(apiUrl), 'feedwerk_commands_total', {
        command: 'RegisterEmployer',
        outcome: 'accepted',
      }),
    ).toBe(2);

    await kafka.resume();

    await waitFor(
      'the relay and the projector to be ready again',
      async () => (await ready(relayUrl)).status === 200 && (await ready(projectorUrl)).status === 200,
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    await waitFor(
      'the registration made during the outage in the read model',
      async () => (await fetch(`${apiUrl}/employers/${String(during.body.employerId)}`)).status === 200,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const drained = await waitFor(
      'every lag to drain',
      async () => {
        const [relayText, projectorText] = await Promise.all([metrics(relayUrl), metrics(projectorUrl)]);
        const lags = [
          metricValue(relayText, 'feedwerk_relay_lag_positions'),
          metricValue(projectorText, 'feedwerk_consumer_lag_messages', { group: 'projector.activity' }),
          metricValue(projectorText, 'feedwerk_consumer_lag_messages', { group: 'projector.jobs' }),
          metricValue(projectorText, 'feedwerk_projection_lag_positions', {
            projection: 'projector.activity',
          }),
          metricValue(projectorText, 'feedwerk_projection_lag_positions', { projection: 'projector.jobs' }),
        ];
        return lags.every((lag) => lag === 0) ? { relayText, projectorText } : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(metricValue(drained.relayText, 'feedwerk_transport_up')).toBe(1);
    expect(
      metricValue(drained.relayText, 'feedwerk_messages_published_total', {
        topic: 'feedwerk.events.employers.v1',
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      metricValue(drained.projectorText, 'feedwerk_messages_handled_total', { group: 'projector.jobs' }),
    ).toBeGreaterThanOrEqual(2);
    const back = await ready(projectorUrl);
    expect(back.body.consumers?.['projector.activity']).toEqual({ keepingUp: true, lag: 0, reason: null });
  }, 600_000);
});
