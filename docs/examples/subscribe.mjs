// Feedwerk public topics with kafkajs: own consumer group, schema validation (ajv), dedup by ce_id.
//   npm install kafkajs ajv ajv-formats
//   KAFKA_BROKERS=... KAFKA_USERNAME=analytics-bi KAFKA_PASSWORD=... node subscribe.mjs
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Kafka } from 'kafkajs';

const env = process.env;
const topics = (env.TOPICS ?? 'feedwerk.public.jobs.v1').split(',');
const schemaDir = env.SCHEMA_DIR ?? 'docs/contract/schemas/public';
const kafka = new Kafka({
  clientId: 'analytics-bi',
  brokers: env.KAFKA_BROKERS.split(','),
  // SASL_SSL in production; KAFKA_SSL=false only against a loopback test broker.
  ssl: env.KAFKA_USERNAME ? env.KAFKA_SSL !== 'false' : false,
  sasl: env.KAFKA_USERNAME
    ? { mechanism: 'scram-sha-512', username: env.KAFKA_USERNAME, password: env.KAFKA_PASSWORD }
    : undefined,
});

const ajv = new Ajv2020.default({ strict: false });
addFormats.default(ajv);
const validators = new Map();
const validator = (type, version) => {
  const key = `${type}.v${version}`;
  if (!validators.has(key)) {
    validators.set(key, ajv.compile(JSON.parse(readFileSync(`${schemaDir}/${key}.schema.json`, 'utf8'))));
  }
  return validators.get(key);
};

const seen = new Set(); // recent ce_ids: a record delivered twice is handled once (bound it in real code)
const consumer = kafka.consumer({ groupId: env.GROUP ?? 'analytics-bi' }); // must start with analytics-
await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: true });
await consumer.run({
  // The default: offsets are committed after eachMessage returned (at-least-once), hence the dedup.
  eachMessage: async ({ message }) => {
    const h = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    if (seen.has(h.ce_id)) return;
    const payload = JSON.parse(message.value.toString());
    const validate = validator(h.ce_type, h.ce_schemaversion);
    if (!validate(payload)) throw new Error(`${h.ce_type} ${h.ce_id}: ${ajv.errorsText(validate.errors)}`);
    seen.add(h.ce_id);
    console.log(h.ce_type, h.ce_time, JSON.stringify(payload));
  },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void consumer.disconnect());
