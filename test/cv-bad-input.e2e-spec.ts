import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cvFields, docxBytes, employerBody, exeBytes, pdfBytes, zipBytes } from '@feedwerk/testing';
import { type Client } from 'pg';
import { expectProblem, startApi } from './support';

type FileSpec = {
  readonly field?: string;
  readonly bytes: Buffer;
  readonly name: string;
  readonly type?: string;
};

/** A multipart/form-data body as a browser form sends it (fetch's FormData). */
function form(fields: Record<string, string>, ...files: FileSpec[]): FormData {
  const body = new FormData();
  for (const [key, value] of Object.entries(fields)) body.append(key, value);
  for (const file of files) {
    body.append(
      file.field ?? 'file',
      new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'application/octet-stream' }),
      file.name,
    );
  }
  return body;
}

const pdf = (name = 'lebenslauf.pdf'): FileSpec => ({ bytes: pdfBytes(), name, type: 'application/pdf' });

type Case = {
  readonly name: string;
  readonly status: number;
  /** A field path the problem must name. */
  readonly field?: string;
  readonly send: (ctx: { url: string; token: string; candidateId: string }) => Promise<Response>;
};

const upload = (url: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(`${url}/candidates/cvs`, { method: 'POST', body, headers });

const cases: Case[] = [
  {
    name: 'a Windows executable renamed to .pdf and declared as PDF',
    status: 415,
    field: 'file',
    send: ({ url }) =>
      upload(url, form(cvFields(), { bytes: exeBytes(), name: 'cv.pdf', type: 'application/pdf' })),
  },
  {
    name: 'a spreadsheet (ZIP without a Word document) named .docx',
    status: 415,
    field: 'file',
    send: ({ url }) =>
      upload(
        url,
        form(cvFields(), {
          bytes: zipBytes({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<x/>' }),
          name: 'cv.docx',
        }),
      ),
  },
  {
    name: 'an empty file',
    status: 400,
    field: 'file',
    send: ({ url }) => upload(url, form(cvFields(), { bytes: Buffer.alloc(0), name: 'cv.pdf' })),
  },
  {
    name: 'an 11 MB file',
    status: 413,
    field: 'file',
    send: ({ url }) =>
      upload(
        url,
        form(cvFields(), {
          bytes: Buffer.concat([pdfBytes(), Buffer.alloc(11 * 1024 * 1024)]),
          name: 'cv.pdf',
        }),
      ),
  },
  {
    name: 'no file',
    status: 400,
    field: 'file',
    send: ({ url }) => upload(url, form(cvFields())),
  },
  {
    name: 'two files',
    status: 400,
    field: 'file',
    send: ({ url }) => upload(url, form(cvFields(), pdf('a.pdf'), pdf('b.pdf'))),
  },
  {
    name: 'the file in another field',
    status: 400,
    field: 'file',
    send: ({ url }) => upload(url, form(cvFields(), { ...pdf(), field: 'cv' })),
  },
  {
    name: 'a text/plain body',
    status: 415,
    send: ({ url }) => upload(url, 'name=Erika', { 'content-type': 'text/plain' }),
  },
  {
    name: 'a JSON body',
    status: 415,
    send: ({ url }) => upload(url, JSON.stringify(cvFields()), { 'content-type': 'application/json' }),
  },
  {
    name: 'multipart without a boundary',
    status: 400,
    send: ({ url }) => upload(url, 'x', { 'content-type': 'multipart/form-data' }),
  },
  {
    name: 'a truncated multipart body',
    status: 400,
    send: ({ url }) =>
      upload(url, '--xyz\r\ncontent-disposition: form-data; name="name"\r\n\r\nErika', {
        'content-type': 'multipart/form-data; boundary=xyz',
      }),
  },
  {
    name: 'an invalid e-mail address',
    status: 400,
    field: 'email',
    send: ({ url }) => upload(url, form(cvFields({ email: 'erika(at)example' }), pdf())),
  },
  {
    name: 'a name with control characters',
    status: 400,
    field: 'name',
    send: ({ url }) => upload(url, form(cvFields({ name: 'Erika\u0007\u0000 Mustermann' }), pdf())),
  },
  {
    name: 'a name with a bidi override',
    status: 400,
    field: 'name',
    send: ({ url }) => upload(url, form(cvFields({ name: 'Erika \u202Enna' }), pdf())),
  },
  {
    name: 'an unknown region',
    status: 400,
    field: 'region',
    send: ({ url }) => upload(url, form(cvFields({ region: 'Atlantis' }), pdf())),
  },
  {
    name: 'a missing name, e-mail and portal',
    status: 400,
    field: 'portal',
    send: ({ url }) =>
      upload(url, form(cvFields({ name: undefined, email: undefined, portal: undefined }), pdf())),
  },
  {
    name: 'a smuggled candidateId field',
    status: 400,
    send: ({ url }) =>
      upload(url, form({ ...cvFields(), candidateId: '00000000-0000-4000-8000-000000000000' }, pdf())),
  },
  {
    name: 'a field given twice',
    status: 400,
    field: 'portal',
    send: ({ url }) => {
      const body = form(cvFields(), pdf());
      body.append('portal', 'hamburg');
      return upload(url, body);
    },
  },
  {
    name: 'a headline of 10,000 characters',
    status: 400,
    send: ({ url }) => upload(url, form(cvFields({ headline: 'x'.repeat(10_000) }), pdf())),
  },
  {
    name: 'an Idempotency-Key (the answer holds a token shown once)',
    status: 400,
    send: ({ url }) => upload(url, form(cvFields(), pdf()), { 'idempotency-key': 'upload-0001' }),
  },
  {
    name: 'a malformed candidate token on an upload',
    status: 401,
    send: ({ url }) => upload(url, form(cvFields(), pdf()), { authorization: 'Bearer nope' }),
  },
  {
    name: 'an employer API key used as a candidate token',
    status: 401,
    send: ({ url }) =>
      upload(url, form(cvFields(), pdf()), {
        authorization: `Bearer fwk_${'0'.repeat(16)}_${'A'.repeat(43)}`,
      }),
  },
  {
    name: 'multipart sent to a JSON route',
    status: 415,
    send: ({ url }) => fetch(`${url}/employers`, { method: 'POST', body: form(employerBody()) }),
  },
  {
    name: 'reading a candidate without a token',
    status: 401,
    send: ({ url, candidateId }) => fetch(`${url}/candidates/${candidateId}`),
  },
  {
    name: 'reading a candidate with a wrong token',
    status: 401,
    send: ({ url, candidateId }) =>
      fetch(`${url}/candidates/${candidateId}`, {
        headers: { authorization: `Bearer fwc_${'0'.repeat(16)}_${'A'.repeat(43)}` },
      }),
  },
  {
    name: "reading an unknown candidate id with another candidate's token",
    status: 404,
    send: ({ url, token }) =>
      fetch(`${url}/candidates/00000000-0000-4000-8000-000000000000`, {
        headers: { authorization: `Bearer ${token}` },
      }),
  },
  {
    name: 'downloading an unknown CV',
    status: 404,
    send: ({ url, token, candidateId }) =>
      fetch(`${url}/candidates/${candidateId}/cvs/00000000-0000-4000-8000-000000000000`, {
        headers: { authorization: `Bearer ${token}` },
      }),
  },
  {
    name: 'downloading with a CV id that is not a uuid',
    status: 400,
    field: 'cvId',
    send: ({ url, token, candidateId }) =>
      fetch(`${url}/candidates/${candidateId}/cvs/..%2F..%2Fetc%2Fpasswd`, {
        headers: { authorization: `Bearer ${token}` },
      }),
  },
  {
    name: 'erasing with a wrong token',
    status: 401,
    send: ({ url, candidateId }) =>
      fetch(`${url}/candidates/${candidateId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer fwc_${'1'.repeat(16)}_${'B'.repeat(43)}` },
      }),
  },
  {
    name: "erasing an unknown candidate with another candidate's token",
    status: 404,
    send: ({ url, token }) =>
      fetch(`${url}/candidates/00000000-0000-4000-8000-000000000000`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      }),
  },
];

/** Every file under `dir`, temporary `.part` files included. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('bad input on the candidate endpoints', () => {
  let started: Awaited<ReturnType<typeof startApi>>;
  let db: Client;
  let blobDir: string;
  let ctx: { url: string; token: string; candidateId: string };

  beforeAll(async () => {
    blobDir = await mkdtemp(join(tmpdir(), 'feedwerk-blobs-'));
    started = await startApi({ BLOB_DIR: blobDir });
    db = started.db;
    const first = await upload(started.url, form(cvFields(), pdf()));
    expect(first.status).toBe(201);
    const body = (await first.json()) as { candidateId: string; candidateToken: string };
    ctx = { url: started.url, token: body.candidateToken, candidateId: body.candidateId };
  }, 60_000);

  afterAll(async () => {
    await started?.stop();
    await rm(blobDir, { recursive: true, force: true });
  });

  const eventCount = async () => Number((await db.query('SELECT count(*) AS n FROM events')).rows[0].n);
  const keyCount = async () => Number((await db.query('SELECT count(*) AS n FROM candidate_keys')).rows[0].n);

  it.each(cases)('answers $name with $status and a reason; nothing is stored', async (c) => {
    const before = { events: await eventCount(), keys: await keyCount(), files: await filesUnder(blobDir) };
    const response = await c.send(ctx);
    await expectProblem(response, c.status, c.field);
    expect(await eventCount()).toBe(before.events);
    expect(await keyCount()).toBe(before.keys);
    expect(await filesUnder(blobDir)).toEqual(before.files);
    // The service is still up after each one.
    expect((await fetch(`${started.url}/health/live`)).status).toBe(200);
  });

  it('ignores the uploaded file name (../../x.pdf): the server picks the key', async () => {
    const response = await upload(started.url, form(cvFields(), pdf('../../x.pdf')));
    expect(response.status).toBe(201);
    const { cvId } = (await response.json()) as { cvId: string };
    expect(await filesUnder(blobDir)).toContain(join(blobDir, 'cv', cvId));
    expect((await filesUnder(blobDir)).every((file) => file.startsWith(join(blobDir, 'cv')))).toBe(true);
    const { rows } = await db.query(`SELECT data::text AS data FROM events WHERE data->>'cvId' = $1`, [cvId]);
    expect(rows[0].data).not.toContain('x.pdf');
  });

  it('accepts a DOCX and answers it with its type on download', async () => {
    const response = await upload(
      started.url,
      form(cvFields(), { bytes: docxBytes(), name: 'cv.bin', type: 'application/octet-stream' }),
      { authorization: `Bearer ${ctx.token}` },
    );
    expect(response.status).toBe(201);
    const { cvId, candidateToken } = (await response.json()) as { cvId: string; candidateToken?: string };
    // A returning candidate adds a CV; no new token.
    expect(candidateToken).toBeUndefined();
    const download = await fetch(`${started.url}/candidates/${ctx.candidateId}/cvs/${cvId}`, {
      headers: { authorization: `Bearer ${ctx.token}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="cv-${cvId}.docx"`);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(docxBytes())).toBe(true);
  });

  it('refuses uploads with the token of an erased candidate (409) and stores nothing', async () => {
    const created = await upload(started.url, form(cvFields(), pdf()));
    const { candidateId, candidateToken } = (await created.json()) as {
      candidateId: string;
      candidateToken: string;
    };
    const auth = { authorization: `Bearer ${candidateToken}` };
    expect(
      (await fetch(`${started.url}/candidates/${candidateId}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(200);
    const before = { events: await eventCount(), files: await filesUnder(blobDir) };
    const again = await upload(started.url, form(cvFields(), pdf()), auth);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(await eventCount()).toBe(before.events);
    expect(await filesUnder(blobDir)).toEqual(before.files);
  });
  it('answers two simultaneous erasures with one receipt and records one CandidateErased', async () => {
    const created = await upload(started.url, form(cvFields(), pdf()));
    const { candidateId, candidateToken } = (await created.json()) as {
      candidateId: string;
      candidateToken: string;
    };
    const erase = () =>
      fetch(`${started.url}/candidates/${candidateId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${candidateToken}` },
      });
    const [a, b] = await Promise.all([erase(), erase()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const receipt = (await a.json()) as { cvFilesDeleted: number; keysDeleted: number };
    expect(await b.json()).toEqual(receipt);
    expect(receipt).toMatchObject({ cvFilesDeleted: 1, keysDeleted: 1 });
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM events WHERE stream_id = $1 AND type = 'CandidateErased'`,
      [`candidate:${candidateId}`],
    );
    expect(rows[0].n).toBe(1);
  });
});
