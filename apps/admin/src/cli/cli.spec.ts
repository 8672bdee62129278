import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { type AdminJobProgress, type RebuildView, type RepublishView } from '@feedwerk/contracts';
import { capturedOutput } from '@feedwerk/testing';
import { ExitCode } from './admin-client';
import { type FollowedJob, type InterruptChoice } from './follow-job';
import { type CliIo, runCli } from './program';

/**
 * The CLI against a local fake of the admin API: the rebuild and republish routes belong to other
 * features, so their rendering and polling are checked here against the shapes of
 * libs/contracts/src/admin.ts; the history commands run against the real service in the e2e tier.
 */

type Handler = (request: IncomingMessage, body: string) => { status: number; body?: unknown; type?: string };

interface Fake {
  url: string;
  requests: { method: string; url: string; authorization: string | undefined; body: string }[];
  handle: (handler: Handler) => void;
  close: () => Promise<void>;
}

async function fakeApi(): Promise<Fake> {
  let handler: Handler = () => ({
    status: 404,
    body: { title: 'Not Found', status: 404, detail: 'no route' },
  });
  const requests: Fake['requests'] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body,
      });
      const answer = handler(request, body);
      const type = answer.type ?? (answer.status >= 400 ? 'application/problem+json' : 'application/json');
      response.writeHead(answer.status, { 'content-type': type });
      response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    handle: (next) => (handler = next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const TOKEN = 'cli-test-admin-token-0123456789abcdef';

function harness(fake: Fake, choices: InterruptChoice[] = [], interruptAfterPolls: number | null = null) {
  const { stdout, stderr, output } = capturedOutput();
  const shown: FollowedJob[] = [];
  let wake: (() => void) | null = null;
  const io: CliIo = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { FEEDWERK_URL: fake.url, FEEDWERK_ADMIN_TOKEN: TOKEN },
    pollIntervalMs: 5,
    follow: () => ({
      view: {
        update: (job) => {
          shown.push(job);
          if (interruptAfterPolls !== null && shown.length === interruptAfterPolls) wake?.();
        },
        stop: () => undefined,
      },
      interrupts: {
        next: () => new Promise<void>((resolve) => (wake = resolve)),
        ask: async () => choices.shift() ?? 'detach',
      },
      dispose: () => undefined,
    }),
  };
  return {
    io,
    shown,
    output,
    run: async (...argv: string[]) => {
      const code = await runCli(argv, io);
      return { code, ...output() };
    },
  };
}

const progress = (done: number, total: number): AdminJobProgress => ({
  done,
  total,
  eventsPerSecond: done === 0 ? 0 : 250,
  etaSeconds: done === 0 ? null : (total - done) / 250,
});

const rebuild = (status: RebuildView['status'], done: number, total = 1_000): RebuildView => ({
  id: 'b8e2f6c4-1111-4a4a-8a8a-000000000001',
  projection: 'activity',
  generation: 3,
  status,
  cancelRequested: false,
  requestedBy: 'admin-0123456789ab',
  requestedAt: '2026-11-27T10:00:00.000Z',
  finishedAt: status === 'live' ? '2026-11-27T10:01:00.000Z' : null,
  progress: progress(done, total),
  error: status === 'failed' ? 'the store is unreachable' : null,
});

const republish = (status: RepublishView['status'], done: number): RepublishView => ({
  id: 'c9e2f6c4-2222-4a4a-8a8a-000000000002',
  fromPosition: 1,
  toPosition: 400,
  categories: ['jobs'],
  ratePerSecond: 500,
  status,
  requestedBy: 'admin-0123456789ab',
  requestedAt: '2026-11-27T10:00:00.000Z',
  finishedAt: null,
  progress: progress(done, 400),
  error: null,
});

describe('admin CLI against a fake admin API', () => {
  let fake: Fake;
  beforeEach(async () => {
    fake = await fakeApi();
  });
  afterEach(() => fake.close());

  it('rebuild: starts, follows progress until live, exits 0', async () => {
    const steps = [
      rebuild('building', 0),
      rebuild('building', 400),
      rebuild('switching', 1_000),
      rebuild('live', 1_000),
    ];
    fake.handle((request) => {
      if (request.method === 'POST' && request.url === '/admin/projections/activity/rebuilds')
        return { status: 202, body: rebuild('building', 0) };
      if (request.method === 'GET' && request.url === `/admin/rebuilds/${steps[0]!.id}`)
        return { status: 200, body: steps.length > 1 ? steps.shift() : steps[0] };
      return { status: 404, body: { title: 'Not Found', status: 404, detail: 'no route' } };
    });
    const cli = harness(fake);
    const { code, out } = await cli.run('rebuild', 'activity');
    expect(code).toBe(ExitCode.ok);
    expect(cli.shown.map((job) => [job.status, job.progress.done])).toEqual([
      ['building', 0],
      ['building', 400],
      ['switching', 1_000],
      ['live', 1_000],
    ]);
    expect(out).toContain('rebuild b8e2f6c4-1111-4a4a-8a8a-000000000001: live (1000/1000 events)');
    expect(fake.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('rebuild: a failed rebuild exits 1 with its error; --no-wait returns after starting', async () => {
    fake.handle((request) =>
      request.method === 'POST'
        ? { status: 202, body: rebuild('building', 0) }
        : { status: 200, body: rebuild('failed', 10) },
    );
    const failed = await harness(fake).run('rebuild', 'activity');
    expect(failed.code).toBe(ExitCode.failed);
    expect(failed.err).toContain('ended failed: the store is unreachable');

    const before = fake.requests.length;
    const started = await harness(fake).run('rebuild', 'jobs', '--no-wait');
    expect(started.code).toBe(ExitCode.ok);
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /admin/projections/jobs/rebuilds',
    ]);
  });

  it('rebuild: Ctrl-C asks; "cancel" sends DELETE and follows until cancelled (exit 1), "detach" leaves it running (exit 0)', async () => {
    let cancelled = false;
    fake.handle((request) => {
      if (request.method === 'POST') return { status: 202, body: rebuild('building', 0) };
      if (request.method === 'DELETE') {
        cancelled = true;
        return { status: 200, body: rebuild('building', 20) };
      }
      return { status: 200, body: cancelled ? rebuild('cancelled', 30) : rebuild('building', 10) };
    });
    const cancelling = harness(fake, ['cancel'], 2);
    const result = await cancelling.run('rebuild', 'activity');
    expect(
      fake.requests.some(
        (r) => r.method === 'DELETE' && r.url === `/admin/rebuilds/${rebuild('live', 0).id}`,
      ),
    ).toBe(true);
    expect(cancelling.shown.at(-1)?.status).toBe('cancelled');
    expect(result.code).toBe(ExitCode.failed);

    cancelled = false;
    const deletes = fake.requests.filter((r) => r.method === 'DELETE').length;
    const detaching = await harness(fake, ['detach'], 2).run('rebuild', 'activity');
    expect(detaching.code).toBe(ExitCode.ok);
    expect(detaching.out).toContain('keeps running (building)');
    expect(fake.requests.filter((r) => r.method === 'DELETE').length).toBe(deletes);
  });

  it('republish: sends the range, rate and categories, follows until done', async () => {
    const steps = [republish('running', 100), republish('running', 300), republish('done', 400)];
    fake.handle((request) =>
      request.method === 'POST'
        ? { status: 202, body: republish('running', 0) }
        : { status: 200, body: steps.length > 1 ? steps.shift() : steps[0] },
    );
    const cli = harness(fake);
    const { code, out } = await cli.run(
      'republish',
      '--from',
      '1',
      '--to',
      '400',
      '--rate',
      '500',
      '--category',
      'jobs',
    );
    expect(code).toBe(ExitCode.ok);
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({
      fromPosition: 1,
      toPosition: 400,
      ratePerSecond: 500,
      categories: ['jobs'],
    });
    expect(cli.shown.map((job) => job.progress.done)).toEqual([100, 300, 400]);
    expect(out).toContain('done (400/400 events)');
  });

  it('shows a cli-progress bar on stderr (a plain line outside a terminal) and the result on stdout', async () => {
    const steps = [republish('running', 100), republish('done', 400)];
    fake.handle((request) =>
      request.method === 'POST'
        ? { status: 202, body: republish('running', 0) }
        : { status: 200, body: steps.length > 1 ? steps.shift() : steps[0] },
    );
    const cli = harness(fake);
    const code = await runCli(['republish', '--from', '1', '--to', '400'], { ...cli.io, follow: undefined });
    const { out, err } = cli.output();
    expect(code).toBe(ExitCode.ok);
    expect(err).toMatch(/republish \[[^\]]*\] \d+% \| \d+\/400 events/);
    expect(out).toContain('done (400/400 events)');
  });

  it('projections and cancel commands render the shapes of the contract', async () => {
    fake.handle((request) => {
      if (request.url === '/admin/projections')
        return {
          status: 200,
          body: [
            {
              name: 'activity',
              version: 'activity@2',
              liveGeneration: 2,
              liveSince: '2026-11-27T09:00:00.000Z',
              rebuild: rebuild('building', 5),
            },
            {
              name: 'jobs',
              version: 'jobs@1',
              liveGeneration: 1,
              liveSince: '2026-11-27T08:00:00.000Z',
              rebuild: null,
            },
          ],
        };
      if (request.method === 'DELETE' && request.url?.startsWith('/admin/rebuilds/'))
        return { status: 200, body: rebuild('cancelled', 5) };
      if (request.method === 'DELETE') return { status: 200, body: republish('cancelled', 5) };
      return { status: 404, body: {} };
    });
    const listed = await harness(fake).run('projections');
    expect(listed.out.trim().split('\n')).toEqual([
      `activity\tactivity@2\tgeneration 2 since 2026-11-27T09:00:00.000Z\trebuild ${rebuild('live', 0).id} building 5/1000`,
      'jobs\tjobs@1\tgeneration 1 since 2026-11-27T08:00:00.000Z\tno rebuild running',
    ]);
    expect((await harness(fake).run('rebuild:cancel', 'abc')).out).toContain('cancelled');
    expect((await harness(fake).run('republish:cancel', 'abc')).out).toContain('cancelled');
    expect(fake.requests.map((r) => `${r.method} ${r.url}`).slice(1)).toEqual([
      'DELETE /admin/rebuilds/abc',
      'DELETE /admin/republishes/abc',
    ]);
  });

  it('reports problem+json details with exit codes: 400 → 1, 401/403 → 4, unreachable → 3, usage → 2', async () => {
    fake.handle(() => ({
      status: 400,
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'the request query is invalid',
        errors: [{ path: 'limit', message: 'must be at most 500' }],
      },
    }));
    const bad = await harness(fake).run('events', '--limit', '900');
    expect([bad.code, bad.err]).toEqual([
      ExitCode.failed,
      'error: 400 Bad Request: the request query is invalid\n  limit: must be at most 500\n',
    ]);

    fake.handle(() => ({
      status: 401,
      body: { title: 'Unauthorized', status: 401, detail: 'the admin credential is not valid' },
    }));
    const denied = await harness(fake).run('projections');
    expect([denied.code, denied.err]).toEqual([
      ExitCode.unauthorized,
      'error: 401 Unauthorized: the admin credential is not valid\n',
    ]);

    const cli = harness(fake);
    const closed = await runCli(['--url', 'http://127.0.0.1:1', 'projections'], cli.io);
    expect(closed).toBe(ExitCode.unreachable);

    const noToken = harness(fake);
    const missing = await runCli(['projections'], { ...noToken.io, env: { FEEDWERK_URL: fake.url } });
    expect(missing).toBe(ExitCode.usage);
    expect((await harness(fake).run('no-such-command')).code).toBe(ExitCode.usage);
    expect((await harness(fake).run('box', '--portal', 'berlin')).code).toBe(ExitCode.usage);
    expect((await harness(fake).run('events', '--limit', 'many')).code).toBe(ExitCode.usage);
    expect((await harness(fake).run('--help')).code).toBe(ExitCode.ok);
  });
});
