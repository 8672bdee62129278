import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = resolve(__dirname, '../../../scripts/infra/kafka.sh');

export interface OwnKafka {
  readonly brokers: string;
  /** Stops the broker and keeps its data: an outage. */
  pause(): Promise<void>;
  /** Starts the paused broker again on the same port with the same topics and offsets. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A broker of its own (scripts/infra/kafka.sh in a private state dir) for tests that take Kafka
 * away: the shared test broker is never stopped. A JVM start costs 20-30 s here.
 */
export async function startOwnKafka(): Promise<OwnKafka> {
  const dir = await mkdtemp(join(tmpdir(), 'feedwerk-kafka-own-'));
  const env = {
    ...process.env,
    FEEDWERK_INFRA_DIR: dir,
    KAFKA_START_TIMEOUT: process.env['KAFKA_START_TIMEOUT'] ?? '180',
    KAFKA_HEAP_OPTS: process.env['KAFKA_HEAP_OPTS'] ?? '-Xmx256m',
  };
  const kafka = (command: string) => run('bash', [script, command], { env, timeout: 240_000 });
  const stop = async () => {
    await kafka('stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { stdout } = await kafka('start');
    const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(stdout)?.[1];
    if (!brokers) throw new Error(`kafka.sh start printed no KAFKA_BROKERS line: ${stdout}`);
    return {
      brokers,
      pause: async () => void (await kafka('pause')),
      resume: async () => void (await kafka('resume')),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
