// A Kafka consumer beside the pipeline (own group, own process on the load core): for every record of
// the given topics it notes the record's Kafka timestamp (when its producer sent it) and when it arrived
// here. That is the Kafka hop as any consumer on this broker sees it, measured without touching the apps.
// argv: brokers, topics (comma-separated), output file. Prints "probe ready" once it is assigned its
// partitions; on SIGTERM writes { events: {ce_id: [kafkaTs, receivedAt]}, changes: {position: […]} }.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const [brokers, topicList, out] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const kafka = new Kafka({ clientId: 'bench-probe', brokers: brokers.split(','), logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: `bench-probe-${process.pid}`, maxWaitTimeInMs: 250 });
const events = {};
const changes = {};
await consumer.connect();
await consumer.subscribe({ topics: topicList.split(','), fromBeginning: false });
consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('probe ready\n'));
await consumer.run({
  eachBatch: async ({ batch }) => {
    const t = now();
    for (const m of batch.messages) {
      const headers = m.headers ?? {};
      const position = headers.ce_feedposition?.toString();
      if (position !== undefined) changes[position] = [Number(m.timestamp), t];
      else if (headers.ce_id) events[headers.ce_id.toString()] = [Number(m.timestamp), t];
    }
  },
});
process.on('SIGTERM', () => {
  writeFileSync(out, JSON.stringify({ events, changes }));
  process.exit(0);
});
