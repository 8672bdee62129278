// The embedded start's ceilings: `http` — a bare Node HTTP server answering GET /health/ready;
// `pglite` — the same after opening PGlite on the app's data dir (DATA_DIR/pg) and one query, the
// least an embedded start must do before it can be ready.
import { createServer } from 'node:http';
import { join } from 'node:path';

const mode = process.argv[2];
let db = null;
if (mode === 'pglite') {
  const { PGlite } = await import('@electric-sql/pglite');
  db = await PGlite.create(join(process.env.DATA_DIR, 'pg'));
  await db.query('SELECT 1');
}
const server = createServer((request, response) => {
  response.writeHead(request.url === '/health/ready' ? 200 : 404, { 'content-type': 'application/json' });
  response.end('{"status":"ok"}');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () =>
  server.close(async () => {
    await db?.close();
    process.exit(0);
  });
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
