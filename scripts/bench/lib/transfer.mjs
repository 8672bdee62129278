// The transfer ceiling of any rebuild that folds outside PostgreSQL: the events in commit order, copied
// out of the server into this process and dropped (COPY … TO STDOUT: the server's cheapest way out; no
// parsing, no decoding, no fold, nothing written). Two ways: every event whole, and only what the
// activity engine reads of each (its own column list: the fold's fields, extracted by the server). A fold
// in Node cannot read its events faster than this; the in-database folds never pay it.
import { performance } from 'node:perf_hooks';
import copyStreams from 'pg-copy-streams';

async function copyOut(client, select) {
  const started = performance.now();
  let bytes = 0;
  let rows = 0;
  const stream = client.query(
    copyStreams.to(`COPY (${select} FROM events ORDER BY transaction_id, global_position) TO STDOUT`),
  );
  for await (const chunk of stream) {
    bytes += chunk.length;
    // One line per row in COPY's text format (a newline inside a value is escaped as \n).
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows += 1;
  }
  return { seconds: (performance.now() - started) / 1000, bytes, rows };
}

/** Every event whole. */
export const transferWhole = (client) =>
  copyOut(client, 'SELECT event_id, stream_id, stream_position, type, schema_version, occurred_at, data');

/** What the engine reads of each event (`columns`: the reader's SQL expressions). */
export const transferRead = (client, columns) =>
  copyOut(client, `SELECT transaction_id, global_position, ${columns.join(', ')}`);
