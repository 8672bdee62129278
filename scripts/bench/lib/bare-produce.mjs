// The relay's ceiling: a bare kafkajs producer loop. Reads the relay's exact messages (topic, key,
// value, headers; encoded beforehand, not timed) grouped as the relay's batches, then sends batch
// after batch with one sendBatch each, with the relay's producer guarantees (idempotent, acks from
// all in-sync replicas). Prints one JSON line: seconds, events, messages.
import { readFile } from 'node:fs/promises';
import { Kafka, logLevel } from 'kafkajs';

const { batches, events } = JSON.parse(await readFile(process.argv[2], 'utf8'));
const kafka = new Kafka({
  clientId: 'feedwerk-bench-bare',
  brokers: process.env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
await producer.connect();
// One small send first: metadata and the producer id are fetched outside the clock, as the relay has them warm.
await producer.send({
  topic: batches[0].topicMessages[0].topic,
  acks: -1,
  messages: [batches[0].topicMessages[0].messages[0]],
});
let messages = 0;
const started = process.hrtime.bigint();
for (const batch of batches) {
  await producer.sendBatch({ acks: -1, topicMessages: batch.topicMessages });
  for (const t of batch.topicMessages) messages += t.messages.length;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await producer.disconnect();
console.log(JSON.stringify({ seconds, events, messages }));
