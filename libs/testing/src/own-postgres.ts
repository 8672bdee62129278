import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '../../..');

/** Debian keeps the server binaries outside PATH; the newest major, as scripts/infra/pg.sh picks it. */
function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const majors = readdirSync(base)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(a) - Number(b));
  const newest = majors.at(-1);
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${base}`);
  return join(base, newest, 'bin');
}

/** The server refuses to run as root; scripts/infra/pg.sh runs it as Debian's `postgres` user. */
const asPostgres = (command: string, args: string[]) =>
  process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);

export interface OwnPostgres {
  readonly url: string;
  /** `pg_ctl stop -m immediate`: every backend dies at once, as in a crash. */
  crash(): Promise<void>;
  /** Starts the same cluster again (same port, same data). */
  restart(): Promise<void>;
  /** Stops the cluster and deletes it. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL cluster of the test's own (scripts/infra/pg.sh with a private FEEDWERK_INFRA_DIR), for
 * tests that crash or stop the database: the shared test server must never be touched.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const infraDir = await mkdtemp(join(tmpdir(), 'feedwerk-own-pg-'));
  const env = { ...process.env, FEEDWERK_INFRA_DIR: infraDir };
  const script = join(root, 'scripts/infra/pg.sh');
  const { stdout } = await run(script, ['start'], { env });
  const url = /DATABASE_URL=(\S+)/.exec(stdout)?.[1];
  if (!url) throw new Error(`pg.sh start printed no DATABASE_URL: ${stdout}`);
  const dataDir = (await readFile(join(infraDir, 'pg/datadir'), 'utf8')).trim();
  const pgCtl = join(pgBin(), 'pg_ctl');
  return {
    url,
    async crash() {
      await asPostgres(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    },
    async restart() {
      await asPostgres(pgCtl, ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', 'start']);
    },
    async destroy() {
      await run(script, ['stop'], { env }).catch(() => undefined);
      await rm(infraDir, { recursive: true, force: true });
    },
  };
}
