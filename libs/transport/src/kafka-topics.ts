import {
  type Admin,
  ConfigResourceTypes,
  KafkaJSAggregateError,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { TopicConfigurationError, type TopicDrift, type TopicSpec } from './transport.port';

type Log = (level: 'warn', message: string, extra: object) => void;

/**
 * How long ensuring topics may take in all: creating them (or finding that another app did) and
 * waiting until every partition has a leader. Generous, because apps of a deployment start together
 * on busy machines; a broker that stays unable to serve the topics for that long fails the start.
 */
const TOPIC_SETTLE_MS = 30_000;

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));

/** One spec per topic; two different specs for one topic are a configuration error. */
function uniqueSpecs(specs: readonly TopicSpec[]): TopicSpec[] {
  const byTopic = new Map<string, TopicSpec>();
  for (const spec of specs) {
    const seen = byTopic.get(spec.topic);
    if (seen && JSON.stringify(seen) !== JSON.stringify(spec)) {
      throw new TopicConfigurationError(`topic ${spec.topic} is specified twice, differently`);
    }
    byTopic.set(spec.topic, spec);
  }
  return [...byTopic.values()];
}

/**
 * An error that says "not yet" rather than "no": kafkajs marks the broker's transient answers
 * (UNKNOWN_TOPIC_OR_PARTITION while a new topic's metadata propagates, LEADER_NOT_AVAILABLE,
 * REQUEST_TIMED_OUT from a slow controller) and lost connections retriable; authorization, policy
 * and invalid-argument answers are not. kafkajs' own retries running out of time on a retriable
 * answer are still "not yet" here: the deadline is ours.
 */
const retriable = (error: unknown): boolean =>
  error instanceof KafkaJSNumberOfRetriesExceeded
    ? retriable(error.cause)
    : error instanceof KafkaJSError && error.retriable;

/**
 * Creates missing topics, then checks every topic against its spec (see
 * `MessageTransport.ensureTopics`). Apps of one deployment start together and ensure the same
 * topics at the same moment, so every step expects another app to be half-way through it:
 * - TOPIC_ALREADY_EXISTS is success: another app won the creation race.
 * - A retriable answer to the creation (the controller timed out, the connection dropped) is
 *   retried: the topic may or may not have been created, and the next round finds out.
 * - A created topic is not usable yet. On KRaft the controller acknowledges the creation once its
 *   metadata record is committed, and the broker that answers the next metadata request may not
 *   have applied it: UNKNOWN_TOPIC_OR_PARTITION, or partitions without a leader, for a moment.
 *   kafkajs' own `waitForLeaders` retries only LEADER_NOT_AVAILABLE and fails the start on the
 *   first; here the metadata of every partition is awaited, retrying what is retriable.
 * All within one deadline; anything not retriable fails at once.
 */
export async function ensureKafkaTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  topicName: (topic: string) => string,
  log?: Log,
): Promise<readonly TopicDrift[]> {
  const topics = uniqueSpecs(specs);
  if (topics.length === 0) return [];
  const deadline = Date.now() + TOPIC_SETTLE_MS;
  await createMissing(admin, topics, topicName, deadline);
  const names = topics.map((t) => topicName(t.topic));
  const metadata = await usableMetadata(admin, names, deadline);
  const problems: string[] = [];
  for (const spec of topics) {
    const name = topicName(spec.topic);
    const found = metadata.topics.find((m) => m.name === name);
    if (!found) {
      problems.push(`topic ${name} is missing after creation`);
      continue;
    }
    if (found.partitions.length !== spec.partitions) {
      problems.push(
        `topic ${name} has ${found.partitions.length} partitions, configuration says ${spec.partitions} ` +
          '(partition counts are never changed automatically: it would remap keys and reorder aggregates)',
      );
    }
    const replicas = new Set(found.partitions.map((p) => p.replicas.length));
    if (replicas.size !== 1 || !replicas.has(spec.replicationFactor)) {
      problems.push(
        `topic ${name} has replication factor ${[...replicas].join('/')}, configuration says ` +
          `${spec.replicationFactor} (reassign its partitions, or change the setting to match)`,
      );
    }
  }
  if (problems.length > 0) throw new TopicConfigurationError(problems.join('; '));
  return configDrift(admin, topics, topicName, log);
}

async function createMissing(
  admin: Admin,
  topics: readonly TopicSpec[],
  topicName: (topic: string) => string,
  deadline: number,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(topicName(t.topic)));
    if (missing.length === 0) return;
    try {
      // Resolves false (no error) when every topic already exists. No waitForLeaders: see usableMetadata.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: topicName(t.topic),
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      return;
    } catch (error) {
      // Per-topic answers come as one aggregate: "already exists" for some and "timed out" for others
      // means another round for the others (the listing above then skips what exists).
      const answers = error instanceof KafkaJSAggregateError ? error.errors : [error];
      const alreadyExists = (e: unknown) =>
        e instanceof KafkaJSProtocolError && e.type === 'TOPIC_ALREADY_EXISTS';
      const final = answers.some((e) => !alreadyExists(e) && !retriable(e));
      if (final || Date.now() >= deadline) throw error;
    }
    await pause(attempt);
  }
}

/** The topics' metadata once every one of them is known and every partition has a leader. */
async function usableMetadata(admin: Admin, names: readonly string[], deadline: number) {
  for (let attempt = 0; ; attempt += 1) {
    let waitingFor: string;
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...names] });
      const unusable = names.filter((name) => {
        const topic = metadata.topics.find((t) => t.name === name);
        return !topic || topic.partitions.length === 0 || topic.partitions.some((p) => p.leader < 0);
      });
      if (unusable.length === 0) return metadata;
      waitingFor = `no leader yet for every partition of ${unusable.join(', ')}`;
    } catch (error) {
      if (!retriable(error)) throw error;
      waitingFor = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `topics ${names.join(', ')} were not usable within ${TOPIC_SETTLE_MS} ms of ensuring them (${waitingFor})`,
      );
    }
    await pause(attempt);
  }
}

/**
 * Config entries the specs set that the broker has differently: returned and logged, left alone
 * (an operator may have tuned retention on purpose).
 */
async function configDrift(
  admin: Admin,
  topics: readonly TopicSpec[],
  topicName: (topic: string) => string,
  log?: Log,
): Promise<readonly TopicDrift[]> {
  const withConfig = topics.filter((t) => Object.keys(t.config ?? {}).length > 0);
  if (withConfig.length === 0) return [];
  let described: Awaited<ReturnType<Admin['describeConfigs']>>;
  try {
    described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: withConfig.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: topicName(t.topic),
        configNames: Object.keys(t.config ?? {}),
      })),
    });
  } catch (error) {
    // Advisory only (a principal without DescribeConfigs, say): say so, do not stop the app for it.
    log?.('warn', "could not read the topics' config to compare it with the settings", {
      error: error instanceof Error ? error.message : String(error),
    });
    return [];
  }
  const drift: TopicDrift[] = [];
  for (const spec of withConfig) {
    const name = topicName(spec.topic);
    const entries = described.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
    for (const [config, expected] of Object.entries(spec.config ?? {})) {
      const actual = entries.find((e) => e.configName === config)?.configValue ?? null;
      if (actual === expected) continue;
      drift.push({ topic: spec.topic, config, expected, actual });
      log?.(
        'warn',
        `topic ${name} has ${config}=${actual ?? '(unset)'}, configuration says ${expected}; ` +
          'left unchanged (change it on the broker, or the setting, to make them agree)',
        { topic: name, config, expected, actual },
      );
    }
  }
  return drift;
}
