#!/usr/bin/env node
// Least-privilege ACLs as code (docs/kafka-security.md), from the one definition in
// libs/transport/src/kafka-acls.ts. Run `npm run build` first.
//   node scripts/kafka-acls.mjs print    the grants as kafka-acls.sh commands (no cluster needed)
//   node scripts/kafka-acls.mjs apply    as the super user: create Feedwerk's topics, then the ACLs
// Env: KAFKA_BROKERS, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD (the admin), KAFKA_SSL, TOPIC_PREFIX,
//      ANALYTICS_PRINCIPALS (comma-separated analytics-* users), FEEDWERK_{RELAY,PROJECTOR,TICKER,ADMIN}_PRINCIPAL.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/libs');
const acls = require(join(dist, 'transport/src/index.js'));
const platform = require(join(dist, 'platform/src/index.js'));

const env = process.env;
const principals = {
  relay: env.FEEDWERK_RELAY_PRINCIPAL || acls.DEFAULT_PRINCIPALS.relay,
  projector: env.FEEDWERK_PROJECTOR_PRINCIPAL || acls.DEFAULT_PRINCIPALS.projector,
  ticker: env.FEEDWERK_TICKER_PRINCIPAL || acls.DEFAULT_PRINCIPALS.ticker,
  admin: env.FEEDWERK_ADMIN_PRINCIPAL || acls.DEFAULT_PRINCIPALS.admin,
  analytics: (env.ANALYTICS_PRINCIPALS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
};
const bad = principals.analytics.filter((p) => !p.startsWith('analytics-'));
if (bad.length > 0) {
  console.error(`kafka-acls: analytics principals must be named analytics-*: ${bad.join(', ')}`);
  process.exit(2);
}
const grants = acls.feedwerkAcls(principals, env.TOPIC_PREFIX ?? '');

const command = process.argv[2];
if (command === 'print') {
  console.log(acls.toKafkaAclsCommands(grants).join('\n'));
} else if (command === 'apply') {
  const config = platform.loadConfig(env);
  if (!config.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is required');
  const { Kafka } = require('kafkajs');
  const transport = acls.createTransport(config, require('pino')({ level: 'warn' }));
  await transport.ensureTopics(acls.topicSpecs(config));
  await transport.close();
  const admin = new Kafka({
    clientId: 'feedwerk-acls',
    brokers: config.KAFKA_BROKERS,
    ssl: config.KAFKA_SSL,
    sasl: config.KAFKA_SASL_MECHANISM
      ? {
          mechanism: config.KAFKA_SASL_MECHANISM,
          username: config.KAFKA_SASL_USERNAME,
          password: config.KAFKA_SASL_PASSWORD,
        }
      : undefined,
  }).admin();
  await admin.connect();
  const count = await acls.applyAcls(admin, grants);
  await admin.disconnect();
  console.error(`kafka-acls: ${count} ACL entries in place for ${grants.length} grants`);
} else {
  console.error('usage: node scripts/kafka-acls.mjs print|apply');
  process.exit(2);
}
