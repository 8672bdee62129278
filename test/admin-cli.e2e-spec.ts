import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StreamIds } from '@feedwerk/contracts';
import { employerBody, jobBody, uniqueName } from '@feedwerk/testing';
import { parse as parseCsv } from 'csv-parse/sync';
import { build } from 'esbuild';
import { call, type Deployment, post, startEmbedded, TEST_ADMIN_TOKEN, adminGet } from './support';

const root = resolve(__dirname, '..');
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/**
 * `npm run admin` as an admin runs it: the CLI in its own process (bundled from the same sources
 * into a temporary folder, so this test never races another one rebuilding dist/) against the
 * running service: the history commands, and a rebuild and a republish followed to the end (their
 * rendering and Ctrl-C handling are unit-tested against a fake API in apps/admin/src/cli/cli.spec.ts).
 */
describe('the admin CLI against the running service', () => {
  let deployment: Deployment;
  let bundleDir: string;
  let cli: string;
  const portal = uniqueName('c');
  let jobId: string;

  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [cli, ...args],
        {
          env: {
            PATH: process.env.PATH,
            FEEDWERK_URL: deployment.apiUrl,
            FEEDWERK_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
            ...env,
          },
          timeout: 30_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          done({ code, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    bundleDir = await mkdtemp(join(tmpdir(), 'feedwerk-cli-'));
    cli = join(bundleDir, 'admin.js');
    await build({
      entryPoints: [join(root, 'apps/admin/src/cli/main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      outfile: cli,
      tsconfig: join(root, 'tsconfig.json'),
      logLevel: 'silent',
    });
    deployment = await startEmbedded();
    const employer = await post(deployment.apiUrl, '/employers', employerBody());
    const job = await post(deployment.apiUrl, '/jobs', jobBody({ portal }), {
      authorization: `Bearer ${String(employer.body.apiKey)}`,
    });
    expect(job.status).toBe(201);
    jobId = String(job.body.jobId);
  }, 120_000);

  afterAll(async () => {
    await deployment?.stop();
    await rm(bundleDir, { recursive: true, force: true });
  });

  it('events: one page as lines; --format jsonl and csv export to stdout', async () => {
    const page = await run(['events', '--portal', portal]);
    expect(page.code).toBe(0);
    const lines = page.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\t').slice(2)).toEqual(['JobPosted', `${StreamIds.job(jobId)}@1`]);

    const jsonl = await run(['events', '--portal', portal, '--type', 'JobPosted', '--format', 'jsonl']);
    expect(jsonl.code).toBe(0);
    const events = jsonl.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; data: { jobId: string } });
    expect(events.map((e) => [e.type, e.data.jobId])).toEqual([['JobPosted', jobId]]);

    const csv = await run(['events', '--portal', portal, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = parseCsv<Record<string, string>>(csv.stdout, { columns: true });
    expect(rows.map((r) => [r.type, r.streamId])).toEqual([['JobPosted', StreamIds.job(jobId)]]);
  });

  it('stream, state and box answer what the API answers', async () => {
    const stream = await run(['stream', StreamIds.job(jobId)]);
    expect(stream.code).toBe(0);
    expect(JSON.parse(stream.stdout)).toMatchObject({ streamId: StreamIds.job(jobId), version: 1 });

    const state = await run(['state', StreamIds.job(jobId), '--version', '1']);
    expect(state.code).toBe(0);
    expect(JSON.parse(state.stdout)).toMatchObject({
      aggregate: 'job',
      version: 1,
      state: { status: 'open', jobId },
    });

    const at = new Date().toISOString();
    const box = await run(['box', '--at', at, '--portal', portal]);
    expect(box.code).toBe(0);
    const api = await adminGet(deployment.apiUrl, `/admin/ticker/box?at=${at}&portal=${portal}`);
    const items = api.body.items as {
      icon: string | null;
      text: string;
      detail: string | null;
      at: string;
    }[];
    expect(items.length).toBeGreaterThan(0);
    expect(box.stdout.trim().split('\n')).toEqual([
      `${portal} at ${at}: ${items.length} line(s)`,
      ...items.map((i) => `${i.icon ?? ' '} ${i.text}${i.detail ? ` – ${i.detail}` : ''}  (${i.at})`),
    ]);
    expect(box.stdout).toContain('Neue Stellenanzeige');
  });

  it('rebuild: follows a real blue/green rebuild until it is live, then projections show the new generation', async () => {
    const before = await call(deployment.apiUrl, 'GET', '/admin/projections', undefined, ADMIN);
    const live = (before.body as unknown as { name: string; liveGeneration: number }[]).find(
      (p) => p.name === 'activity',
    );
    expect(live).toBeDefined();

    const rebuild = await run(['rebuild', 'activity']);
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toMatch(/rebuild [0-9a-f-]{36} of activity/);
    expect(rebuild.stdout).toMatch(/rebuild [0-9a-f-]{36}: live \(\d+\/\d+ events\)/);

    const projections = await run(['projections']);
    expect(projections.code).toBe(0);
    const after = await call(deployment.apiUrl, 'GET', '/admin/projections', undefined, ADMIN);
    expect(
      (after.body as unknown as { name: string; liveGeneration: number }[]).find((p) => p.name === 'activity')
        ?.liveGeneration,
    ).toBe((live?.liveGeneration ?? 0) + 1);

    // The box still shows the posting, now from the rebuilt generation.
    const box = await call(deployment.apiUrl, 'GET', `/ticker/snapshot?portal=${portal}`);
    expect(box.status).toBe(200);
    expect(box.body as unknown as string).toContain('Neue Stellenanzeige');
  });

  it('republish: sends a range of history to the replay topics and reports it done', async () => {
    const page = await call(deployment.apiUrl, 'GET', `/admin/events?portal=${portal}`, undefined, ADMIN);
    const position = (page.body.events as { position: number }[])[0]?.position;
    expect(position).toBeGreaterThan(0);
    const republish = await run(['republish', '--from', '1', '--to', String(position), '--rate', '1000']);
    expect(republish.code).toBe(0);
    expect(republish.stdout).toMatch(/republish [0-9a-f-]{36} of positions 1-\d+ started/);
    expect(republish.stdout).toMatch(/republish [0-9a-f-]{36}: done \(\d+\/\d+ events\)/);
    const list = await call(deployment.apiUrl, 'GET', '/admin/republishes', undefined, ADMIN);
    const items = (
      list.body as unknown as { items: { status: string; toPosition: number; progress: { done: number } }[] }
    ).items;
    expect(items.find((r) => r.toPosition === position)).toMatchObject({ status: 'done' });
  });

  it('says what is wrong, with exit codes: refused input 1, bad token 4, no token or bad usage 2, no service 3', async () => {
    const refused = await run(['events', '--limit', '900']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('400 Bad Request: the request query is invalid');
    expect(refused.stderr).toContain('limit: must be at most 500');
    expect(refused.stderr).not.toMatch(/at .*\.js:\d+/);

    const notFound = await run(['stream', StreamIds.job('00000000-0000-4000-8000-000000000000')]);
    expect([notFound.code, notFound.stderr.trim()]).toEqual([
      1,
      'error: 404 Not Found: no events in stream job:00000000-0000-4000-8000-000000000000',
    ]);

    const wrongToken = await run(['events'], {
      FEEDWERK_ADMIN_TOKEN: 'not-the-admin-token-not-the-admin-token',
    });
    expect([wrongToken.code, wrongToken.stderr.trim()]).toEqual([
      4,
      'error: 401 Unauthorized: the admin credential is not valid',
    ]);

    const noToken = await run(['events'], { FEEDWERK_ADMIN_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('FEEDWERK_ADMIN_TOKEN');

    expect((await run(['box', '--portal', portal])).code).toBe(2);
    expect((await run(['events', '--url', 'http://127.0.0.1:1'])).code).toBe(3);
  });
});
