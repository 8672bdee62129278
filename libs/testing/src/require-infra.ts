// Loaded before every integration and e2e test file. These tiers run against real PostgreSQL and
// Kafka and are never skipped: without them the run fails here, saying what is missing.
const missing = ['DATABASE_URL', 'KAFKA_BROKERS'].filter((name) => !process.env[name]);
if (missing.length > 0) {
  throw new Error(
    `${missing.join(' and ')} not set: integration and e2e tests need real PostgreSQL and Kafka. ` +
      'Run them through `npm test`, which starts both (scripts/infra/up.sh), or export the variables.',
  );
}
