import { createServer } from 'node:http';
import { AnalyticsConsumer } from './analytics.consumer';
import { htmlTable, textTable } from './table';

// The public topics by name, as a consumer outside Feedwerk knows them (docs/subscribe.md).
const PUBLIC_TOPICS = [
  'feedwerk.public.jobs.v1',
  'feedwerk.public.employers.v1',
  'feedwerk.public.content.v1',
  'feedwerk.public.candidates.v1',
  'feedwerk.public.activity.v1',
];

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] || fallback;
  if (value === undefined) {
    console.error(`analytics-example: ${name} is required`);
    process.exit(1);
  }
  return value;
};
const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

async function main(): Promise<void> {
  const username = process.env['KAFKA_SASL_USERNAME'];
  const password = process.env['KAFKA_SASL_PASSWORD'];
  const consumer = new AnalyticsConsumer({
    brokers: list(env('KAFKA_BROKERS')),
    groupId: env('ANALYTICS_GROUP', 'analytics-example'),
    topics: list(env('ANALYTICS_TOPICS', PUBLIC_TOPICS.join(','))),
    stateFile: env('ANALYTICS_STATE_FILE', './data/analytics-example.json'),
    ...(username && password ? { sasl: { mechanism: 'scram-sha-512' as const, username, password } } : {}),
    ssl: process.env['KAFKA_SSL'] === 'true',
    log: (message) => console.error(message),
  });
  await consumer.start();

  const port = Number(env('PORT', '3010'));
  const server = createServer((req, res) => {
    if (req.url === '/counts.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ counted: consumer.counted, skipped: consumer.skipped, rows: consumer.rows() }),
      );
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(htmlTable(consumer.rows()));
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(port, () => console.error(`analytics-example: table at http://localhost:${port}/`));

  const printEvery = Number(env('ANALYTICS_PRINT_MS', '10000'));
  const timer =
    printEvery > 0 ? setInterval(() => console.log(`${textTable(consumer.rows())}\n`), printEvery) : null;

  const shutdown = () => {
    if (timer) clearInterval(timer);
    server.close();
    consumer.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error('analytics-example failed:', error);
  process.exit(1);
});
