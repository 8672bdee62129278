import {
  createAppDatabase,
  createTestDatabase,
  employerBody,
  jobBody,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { type BuiltApp, buildApps, listening, runBuiltApp } from './built-apps';
import { post } from './support';

/** The built apps as their containers run them: configuration at start-up, and logs one request can be followed in. */
describe('operations of the built apps', () => {
  let build: Awaited<ReturnType<typeof buildApps>>;

  beforeAll(async () => {
    build = await buildApps();
  }, 180_000);
  afterAll(() => build?.remove());

  describe('a wrong or missing setting stops start-up with a message naming it', () => {
    const start = async (app: string, env: Record<string, string>) => {
      const started = runBuiltApp(build.dir, app, env);
      const code = await started.exited;
      return { code, output: started.output() };
    };

    it('names every bad setting with its reason, and exits 1 before listening', async () => {
      const { code, output } = await start('api', {
        DATABASE_URL: 'mysql://db/feedwerk',
        PORT: 'eighty',
        HEALTH_CONSUMER_STALL_MS: '5',
      });
      expect(code).toBe(1);
      expect(output).toContain('feedwerk api failed to start: invalid configuration:');
      expect(output).toContain('DATABASE_URL: must be a postgres:// URL');
      expect(output).toContain('PORT: must be a number');
      expect(output).toContain('HEALTH_CONSUMER_STALL_MS: must be at least 1000');
      expect(output).not.toContain('listening on');
      // One clear message, not a stack trace.
      expect(output).not.toMatch(/\n\s+at /);
    }, 120_000);

    it('names a setting the app requires that is missing', async () => {
      const database = await createTestDatabase();
      try {
        const { code, output } = await start('relay', { DATABASE_URL: database.url });
        expect(code).toBe(1);
        expect(output).toContain('KAFKA_BROKERS: required by the relay app');
      } finally {
        await database.drop();
      }
    }, 120_000);
  });

  describe('one correlation id from the HTTP request through relay, projector and ticker', () => {
    let database: Awaited<ReturnType<typeof createAppDatabase>>;
    const apps: Record<string, BuiltApp> = {};
    let apiUrl: string;

    beforeAll(async () => {
      database = await createAppDatabase({ TOPIC_PARTITIONS: '2', LOG_LEVEL: 'debug' });
      const env = database.env;
      apps['api'] = runBuiltApp(build.dir, 'api', env);
      apiUrl = await listening(apps['api'], 'api'); // migrates first
      apps['relay'] = runBuiltApp(build.dir, 'relay', env);
      apps['projector'] = runBuiltApp(build.dir, 'projector', env);
      apps['ticker'] = runBuiltApp(build.dir, 'ticker', { ...env, TICKER_NODE_ID: uniqueName('node-') });
      await Promise.all(['relay', 'projector', 'ticker'].map((name) => listening(apps[name]!, name)));
    }, 180_000);

    afterAll(async () => {
      await Promise.all(Object.values(apps).map((app) => app.stop()));
      await database?.drop();
    }, 60_000);

    it('every app logs a JSON line about the posting that carries the request’s X-Correlation-Id', async () => {
      const correlationId = uniqueName('trace-');
      const employer = await post(apiUrl, '/employers', employerBody());
      expect(employer.status).toBe(201);
      const posted = await post(apiUrl, '/jobs', jobBody({ portal: uniqueName('p') }), {
        authorization: `Bearer ${String(employer.body.apiKey)}`,
        'x-correlation-id': correlationId,
      });
      expect(posted.status).toBe(201);

      const traced = (app: string, match: (line: Record<string, unknown>) => boolean) =>
        waitFor(
          `a ${app} log line with correlationId ${correlationId}`,
          () => apps[app]!.logLines().find((line) => line['correlationId'] === correlationId && match(line)),
          { timeoutMs: 60_000, intervalMs: 200 },
        );

      // The projector folded the event into the read model: its line names the group and the event.
      const projected = await traced(
        'projector',
        (line) => line['msg'] === 'message handled' && line['group'] === 'projector.activity',
      );
      expect(projected).toMatchObject({ app: 'projector', type: 'JobPosted', level: 20 });
      // ... and that line leads back to the request: the api's request log and the relay's publish.
      const request = await traced('api', (line) => line['msg'] === 'request completed');
      expect(request).toMatchObject({ app: 'api', req: { method: 'POST', url: '/jobs' } });
      await traced(
        'relay',
        (line) => line['msg'] === 'message published' && line['eventId'] === projected['eventId'],
      );
      // The projector's ticker change carries it on (ce_correlationid) to every ticker node.
      await traced(
        'projector',
        (line) => line['msg'] === 'message published' && line['type'] === 'feedwerk.ticker.change',
      );
      const delivered = await traced('ticker', (line) => line['msg'] === 'ticker change delivered');
      expect(delivered).toMatchObject({ app: 'ticker', op: 'upsert' });
      // The id is the one the api answered with.
      expect(request['res']).toMatchObject({ statusCode: 201 });
    }, 120_000);
  });
});
