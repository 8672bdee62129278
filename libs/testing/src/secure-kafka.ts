import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = resolve(__dirname, '../../../scripts/infra/kafka.sh');

export interface SecureKafka {
  readonly brokers: string[];
  /** user name → password for every user created at format time (`admin` is the super user). */
  readonly passwords: Readonly<Record<string, string>>;
  readonly sasl: (user: string) => { mechanism: 'scram-sha-512'; username: string; password: string };
  stop(): Promise<void>;
}

/**
 * A throwaway broker of its own with SASL/SCRAM and ACLs on (scripts/infra/kafka.sh with
 * KAFKA_SECURE=1), in a private state dir so it never meets the shared test broker. It costs a JVM
 * start (20-30 s here), so a test file starts one and shares it between its tests.
 */
export async function startSecureKafka(users: readonly string[]): Promise<SecureKafka> {
  const dir = await mkdtemp(join(tmpdir(), 'feedwerk-kafka-secure-'));
  const passwords: Record<string, string> = {};
  for (const user of ['admin', ...users]) passwords[user] = randomBytes(12).toString('hex');
  const env = {
    ...process.env,
    FEEDWERK_INFRA_DIR: dir,
    KAFKA_SECURE: '1',
    // Started while other test files load the machine: more patience, a smaller heap.
    KAFKA_START_TIMEOUT: process.env['KAFKA_START_TIMEOUT'] ?? '180',
    KAFKA_HEAP_OPTS: process.env['KAFKA_HEAP_OPTS'] ?? '-Xmx256m',
    KAFKA_SCRAM_USERS: Object.entries(passwords)
      .map(([user, password]) => `${user}=${password}`)
      .join(','),
  };
  const stop = async () => {
    await run('bash', [script, 'stop'], { env }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { stdout } = await run('bash', [script, 'start'], { env, timeout: 240_000 });
    const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(stdout)?.[1];
    if (!brokers) throw new Error(`kafka.sh start printed no KAFKA_BROKERS line: ${stdout}`);
    return {
      brokers: brokers.split(','),
      passwords,
      sasl: (user) => {
        const password = passwords[user];
        if (!password) throw new Error(`no SCRAM user ${user} on the secure test broker`);
        return { mechanism: 'scram-sha-512', username: user, password };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
