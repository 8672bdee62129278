// The ingest ceiling: a bare Fastify handler that does what the api's POST /jobs must do at the
// least — parse the JSON body and insert one event row (the same `events` table, same indexes,
// same PostgreSQL, a pg pool of the api's default size) — with no validation, auth, rate limit,
// domain decision, concurrency check, idempotency or NOTIFY.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_SIZE ?? 10),
});
const metadata = JSON.stringify({
  correlationId: 'bare',
  causationId: null,
  actor: { kind: 'employer', id: null },
  source: '/bare',
});
const app = Fastify({ logger: false });
app.get('/health/ready', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});
app.post('/jobs', async (request, reply) => {
  const jobId = randomUUID();
  const rows = await pool.query(
    `INSERT INTO events (event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at)
     VALUES ($1, $2, 1, 'JobPosted', 2, $3, $4, now()) RETURNING global_position`,
    [randomUUID(), `job:${jobId}`, JSON.stringify({ ...request.body, jobId, source: 'direct' }), metadata],
  );
  reply.code(201);
  return { jobId, version: 1, position: rows.rows[0].global_position };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
