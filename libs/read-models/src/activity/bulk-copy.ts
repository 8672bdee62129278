import { once } from 'node:events';
import { type PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type EntityManager } from 'typeorm';
import { type PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

/** A value of a COPY text-format row: NULL, or written as its text form. */
export type CopyValue = string | number | boolean | null;

/** Rows per CopyData chunk: large enough to amortise the stream's per-write cost, small enough not to build one huge string. */
const CHUNK_ROWS = 5_000;

/**
 * `COPY <table> (<columns>) FROM STDIN` (text format) on the transaction's own connection: a
 * rebuild's bulk rows without a statement parameter to build and parse (the JSON document, the
 * arrays). Only on a PostgreSQL server: the embedded PGlite behind its socket server is not offered it
 * (its COPY FROM STDIN support was not verified), so embedded rebuilds keep the multi-row statements
 * (see `copySupported`).
 */
export async function copyRows(
  tx: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly CopyValue[])[],
): Promise<void> {
  if (rows.length === 0) return;
  const runner = tx.queryRunner as PostgresQueryRunner | undefined;
  if (!runner) throw new Error('copyRows needs a transaction');
  const client = (await runner.connect()) as PoolClient;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const finished = once(stream, 'finish');
  // A failed COPY rejects `finished` (once() rejects on 'error'); the transaction then rolls back.
  finished.catch(() => undefined);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    let chunk = '';
    const end = Math.min(rows.length, start + CHUNK_ROWS);
    for (let i = start; i < end; i += 1) chunk += copyLine(rows[i]!);
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), finished]);
  }
  stream.end();
  await finished;
}

/** One row in COPY's text format: tab-separated, `\N` for NULL, backslash escapes in text. */
function copyLine(row: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < row.length; i += 1) {
    if (i > 0) line += '\t';
    const value = row[i];
    if (value === null || value === undefined) line += '\\N';
    else if (typeof value === 'string') line += escapeText(value);
    else if (typeof value === 'boolean') line += value ? 't' : 'f';
    else line += String(value);
  }
  return `${line}\n`;
}

const SPECIAL = /[\\\t\n\r]/;
const escapeText = (value: string): string =>
  SPECIAL.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : value;

/**
 * Whether this database takes COPY FROM STDIN from the pg driver: a PostgreSQL server does, the
 * embedded PGlite (behind its socket server) is treated as not (its version string names it).
 */
export async function copySupported(tx: Pick<EntityManager, 'query'>): Promise<boolean> {
  const rows: { pglite: boolean }[] = await tx.query(`SELECT version() LIKE '%PGlite%' AS pglite`);
  return rows[0]?.pglite === false;
}
