import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createAppDatabase, employerBody, jobBody, uniqueName, waitFor } from '@feedwerk/testing';
import { post, tickerClient } from './support';

const root = resolve(__dirname, '..');

/** Runs a built app (`npm start` runs the standalone one) as its own process. */
function startBuilt(dataDir: string, app = 'standalone', extra: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.KAFKA_BROKERS;
  delete env.NODE_OPTIONS;
  Object.assign(env, extra);
  const child = spawn(process.execPath, [join(root, `dist/apps/${app}/src/main.js`)], { env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = waitFor(`the ${app} app to listen`, () => /listening on (http:\/\/\S+)/.exec(output)?.[1], {
    timeoutMs: 60_000,
  });
  return { child, url, output: () => output };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit) => {
    child.once('exit', (code) => resolveExit(code));
    child.kill('SIGTERM');
  });
}

describe('npm start (the embedded default as users run it)', () => {
  let dataDir: string;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'ignore' });
    dataDir = await mkdtemp(join(tmpdir(), 'feedwerk-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('serves the demo page and keeps the box across a restart on the same data directory', async () => {
    const first = startBuilt(dataDir);
    const url = await first.url;
    const portal = 'berlin';
    let jobPosition: number;
    try {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('Neueste Aktivitäten');
      for (const asset of [
        '/demo.js',
        '/demo.css',
        '/socket.io/socket.io.js',
        '/widget.js',
        '/widget.json',
      ]) {
        expect((await fetch(`${url}${asset}`)).status).toBe(200);
      }

      const client = await tickerClient(url, portal);
      const { body } = await post(url, '/employers', employerBody());
      const title = uniqueName('Gärtner ');
      const posted = await post(url, '/jobs', jobBody({ portal, title }), {
        authorization: `Bearer ${String(body.apiKey)}`,
      });
      expect(posted.status).toBe(201);
      const item = await waitFor('the posted job in the box', () =>
        client.items.find((i) => i.kind === 'job.posted'),
      );
      expect(item.text).toBe('Neue Stellenanzeige eingestellt');
      jobPosition = item.position;
      client.close();
    } finally {
      // SIGTERM drains and exits cleanly.
      expect(await stop(first.child)).toBe(0);
    }

    const second = startBuilt(dataDir);
    try {
      const client = await tickerClient(await second.url, portal);
      client.close();
      expect(
        client.ack.ok && client.ack.mode === 'snapshot' && client.ack.items.map((i) => i.position),
      ).toContain(jobPosition);
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  }, 120_000);

  it('stops with a message naming a bad setting', () => {
    const result = (() => {
      try {
        execFileSync(process.execPath, [join(root, 'dist/apps/standalone/src/main.js')], {
          env: { ...process.env, PORT: 'not-a-port', NODE_OPTIONS: '' },
          stdio: 'pipe',
        });
        return { status: 0, stderr: '' };
      } catch (error) {
        const failed = error as { status: number; stderr: Buffer };
        return { status: failed.status, stderr: failed.stderr.toString() };
      }
    })();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/PORT: must be a number/);
  });
});

describe('each app as its own process on Kafka and PostgreSQL (as deployed)', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'ignore' });
  });

  it('carries a job from the api process through relay and projector to a ticker process', async () => {
    const database = await createAppDatabase({ TOPIC_PARTITIONS: '2' });
    const shared = database.env;
    const api = startBuilt('.', 'api', shared);
    const apiUrl = await api.url; // the api migrates before the others start
    const others = ['relay', 'projector', 'ticker'].map((app) =>
      startBuilt('.', app, { ...shared, TICKER_NODE_ID: uniqueName('node-') }),
    );
    const children = [api, ...others];
    try {
      const [, , ticker] = await Promise.all(others.map((o) => o.url));
      for (const url of [apiUrl, ticker!]) {
        const ready = await waitFor('readiness', async () =>
          (await fetch(`${url}/health/ready`)).ok ? true : false,
        );
        expect(ready).toBe(true);
      }
      const portal = uniqueName('proc-');
      const client = await tickerClient(ticker!, portal);
      const { body } = await post(apiUrl, '/employers', employerBody());
      await post(apiUrl, '/jobs', jobBody({ portal }), { authorization: `Bearer ${String(body.apiKey)}` });
      const item = await waitFor(
        'the job at the ticker process',
        () => client.items.find((i) => i.portal === portal),
        {
          timeoutMs: 30_000,
        },
      );
      expect(item.text).toBe('Neue Stellenanzeige eingestellt');
      client.close();
    } finally {
      const codes = await Promise.all(children.map((c) => stop(c.child)));
      await database.drop();
      expect(codes).toEqual([0, 0, 0, 0]);
    }
  }, 120_000);
});
