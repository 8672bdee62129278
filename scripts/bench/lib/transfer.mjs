// The transfer ceiling of any rebuild that folds outside PostgreSQL: every event of the store, in commit
// order, copied out of the server into this process and dropped (COPY … TO STDOUT: the server's cheapest
// way out; no parsing, no decoding, no fold, nothing written). A fold in Node cannot read its events
// faster than this; the in-database folds never pay it.
import { performance } from 'node:perf_hooks';
import copyStreams from 'pg-copy-streams';

export async function transferOnly(client) {
  const started = performance.now();
  let bytes = 0;
  let rows = 0;
  const stream = client.query(
    copyStreams.to(
      `COPY (SELECT event_id, stream_id, stream_position, type, schema_version, occurred_at, data
               FROM events ORDER BY transaction_id, global_position) TO STDOUT`,
    ),
  );
  for await (const chunk of stream) {
    bytes += chunk.length;
    // One line per row in COPY's text format (a newline inside a value is escaped as \n).
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows += 1;
  }
  return { seconds: (performance.now() - started) / 1000, bytes, rows };
}
