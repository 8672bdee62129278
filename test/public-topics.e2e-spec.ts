import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publicEventCatalog, PublicTopics } from '@feedwerk/contracts';
import { loadConfig } from '@feedwerk/platform';
import {
  cvFields,
  employerBody,
  jobBody,
  kafkaBrokers,
  pdfBytes,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import {
  type IncomingMessage,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  topicSpecs,
} from '@feedwerk/transport';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { call, type Deployment, startDistributed, startEmbedded, TEST_ADMIN_TOKEN } from './support';

const run = promisify(execFile);
const SCHEMA_DIR = join(__dirname, '..', 'docs', 'contract', 'schemas', 'public');

/** One record as a consumer outside our code base sees it. */
interface Seen {
  readonly topic: string;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: string | null;
  /** The broker timestamp (ms); null where the transport has none (in-process). */
  readonly ts: number | null;
}

/**
 * The JSON Schema of a public (ce_type, ce_schemaversion): the checked-in file under
 * docs/contract/schemas/public/, exactly what the service publishes at /contract/schemas/public/.
 * A type or version without a file fails the test: every message must have a published schema.
 */
function publicJsonSchema(type: string, version: number): object {
  if (!/^[A-Za-z]+$/.test(type)) throw new Error(`not a public type: ${type}`);
  const file = join(SCHEMA_DIR, `${type}.v${version}.schema.json`);
  if (!existsSync(file)) throw new Error(`no published JSON Schema for ${type} v${version} (${file})`);
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
function validatorFor(type: string, version: string): ValidateFunction {
  const id = `${type}@${version}`;
  let validate = validators.get(id);
  if (!validate) {
    validate = ajv.compile(publicJsonSchema(type, Number(version)));
    validators.set(id, validate);
  }
  return validate;
}

/** Reads a whole topic with kcat (librdkafka): no line of our code between the broker and the test. */
async function kcat(topic: string): Promise<Seen[]> {
  const brokers = kafkaBrokers().join(',');
  const { stdout } = await run(
    'kcat',
    ['-C', '-J', '-e', '-q', '-o', 'beginning', '-b', brokers, '-t', topic],
    {
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const raw = JSON.parse(line) as {
        topic: string;
        key: string | null;
        payload: string | null;
        headers?: string[];
        ts: number;
      };
      const headers: Record<string, string> = {};
      const list = raw.headers ?? [];
      for (let i = 0; i + 1 < list.length; i += 2) headers[list[i]!] = list[i + 1]!;
      return { topic: raw.topic, key: raw.key, payload: raw.payload, headers, ts: raw.ts };
    });
}

/** How a test reads the deployment's topics: kcat on Kafka, a subscription on the in-process transport. */
interface Setup {
  readonly deployment: Deployment;
  /** Every topic the deployment writes (internal, public, dead letters, ticker changes), unprefixed. */
  readonly topics: readonly string[];
  read(topic: string): Promise<Seen[]>;
  stop(): Promise<void>;
}

async function onKafka(): Promise<Setup> {
  const prefix = `${uniqueName('public')}.`;
  const env = { TOPIC_PREFIX: prefix, PUBLIC_TOPIC_PARTITIONS: '2' };
  const deployment = await startDistributed(env);
  return {
    deployment,
    topics: topicSpecs(loadConfig(env)).map((t) => t.topic),
    read: async (topic) =>
      (await kcat(`${prefix}${topic}`)).map((seen) => ({ ...seen, topic: seen.topic.slice(prefix.length) })),
    stop: () => deployment.stop(),
  };
}

async function embedded(): Promise<Setup> {
  const deployment = await startEmbedded();
  const transport = deployment.apps[0]!.get<MessageTransport>(MESSAGE_TRANSPORT);
  const topics = topicSpecs(loadConfig({})).map((t) => t.topic);
  const received: IncomingMessage[] = [];
  const subscription = await transport.subscribe({
    groupId: uniqueName('public-check.'),
    topics,
    fromBeginning: true,
    handle: async (batch) => void received.push(...batch),
  });
  return {
    deployment,
    topics,
    read: async (topic) =>
      received
        .filter((m) => m.topic === topic)
        .map((m) => ({
          topic: m.topic,
          key: m.key,
          payload: m.value?.toString('utf8') ?? null,
          headers: Object.fromEntries(
            Object.entries(m.headers).filter((e): e is [string, string] => e[1] !== undefined),
          ),
          ts: null,
        })),
    async stop() {
      await subscription.stop();
      await deployment.stop();
    },
  };
}

const HOUR_MS = 3_600_000;
const isUuid = (value: string | undefined) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value ?? '');

/** One record per ce_id: the topics are at-least-once and consumers dedupe by ce_id. */
const dedupe = (records: readonly Seen[]) => [
  ...new Map(records.map((r) => [r.headers.ce_id ?? `${r.topic}:${r.key}:${r.payload}`, r])).values(),
];

describe.each([
  ['on Kafka (PostgreSQL + Kafka, separate apps), read with kcat', onKafka],
  ['embedded (PGlite + in-process transport), read from the transport', embedded],
])('the public topics %s', (_mode, setUp) => {
  let setup: Setup;
  let api: string;
  const portal = uniqueName('p');
  const slug = uniqueName('beitrag-');
  /** Candidates with a name and an address that occur nowhere else; the second one is erased. */
  const candidates = [0, 1].map((i) => ({
    name: `Probandin ${uniqueName('Kessler')} ${i}`,
    email: `${uniqueName('kandidat.')}@example.org`,
    bytes: pdfBytes(`Lebenslauf ${i}`),
    candidateId: '',
    cvIds: [] as string[],
  }));
  const ids = { employerId: '', jobIds: [] as string[] };
  /**
   * Stored on internal topics by design (a company name, a contact person in a description, a blog
   * byline and teaser, a CV headline) but never public.
   */
  const notPublic = {
    company: `Pflegedienst ${uniqueName('Einzelkauffrau')}`,
    contact: `Ansprechpartnerin ${uniqueName('Brandt')}`,
    author: `Autorin ${uniqueName('Vogel')}`,
    teaser: `Ein Erfahrungsbericht ${uniqueName('teaser-')}.`,
    headline: `Pflegekraft ${uniqueName('headline-')}`,
  };

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const upload = async (candidate: (typeof candidates)[number], token?: string) => {
    const body = new FormData();
    const fields = cvFields({
      name: candidate.name,
      email: candidate.email,
      portal,
      headline: notPublic.headline,
    });
    for (const [key, value] of Object.entries(fields)) body.append(key, value);
    const file = new Blob([new Uint8Array(candidate.bytes)], { type: 'application/pdf' });
    body.append('file', file, `${candidate.name}.pdf`);
    const response = await fetch(`${api}/candidates/cvs`, {
      method: 'POST',
      body,
      headers: token ? bearer(token) : {},
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { candidateId: string; cvId: string; candidateToken?: string };
  };

  beforeAll(async () => {
    setup = await setUp();
    api = setup.deployment.apiUrl;

    // Every command, over HTTP.
    const registered = await call(api, 'POST', '/employers', employerBody({ name: notPublic.company }));
    expect(registered.status).toBe(201);
    ids.employerId = String(registered.body.employerId);
    const auth = bearer(String(registered.body.apiKey));
    const posted = await call(
      api,
      'POST',
      '/jobs',
      jobBody({ portal, salary: { min: 40_000, max: 50_000, currency: 'EUR', period: 'year' } }),
      auth,
    );
    expect(posted.status).toBe(201);
    const jobId = String(posted.body.jobId);
    const imported = await call(
      api,
      'POST',
      '/jobs/import',
      { jobs: [jobBody({ portal, title: 'Altenpfleger (m/w/d)' }), jobBody({ portal, remote: true })] },
      auth,
    );
    expect(imported.status).toBe(201);
    const importedIds = (imported.body.jobs as { jobId: string }[]).map((j) => j.jobId);
    ids.jobIds = [jobId, ...importedIds];
    const patched = await call(
      api,
      'PATCH',
      `/jobs/${jobId}`,
      { title: 'Pflegefachkraft Nachtdienst (m/w/d)', description: `Kontakt: ${notPublic.contact}` },
      { ...auth, 'if-match': '"1"' },
    );
    expect(patched.status).toBe(200);
    const refreshed = await call(api, 'POST', '/jobs/refresh', { jobIds: importedIds }, auth);
    expect(refreshed.status).toBe(200);
    const closed = await call(api, 'POST', `/jobs/${jobId}/close`, { reason: 'filled' }, auth);
    expect(closed.status).toBe(200);
    const blog = await call(
      api,
      'POST',
      '/blog-posts',
      {
        slug,
        title: 'Bewerben in der Pflege',
        teaser: notPublic.teaser,
        author: notPublic.author,
        portal,
      },
      bearer(TEST_ADMIN_TOKEN),
    );
    expect(blog.status).toBe(201);

    // CVs: the first candidate uploads two, the second one and is erased afterwards.
    const first = await upload(candidates[0]!);
    const again = await upload(candidates[0]!, first.candidateToken);
    candidates[0]!.candidateId = first.candidateId;
    candidates[0]!.cvIds = [first.cvId, again.cvId];
    const second = await upload(candidates[1]!);
    candidates[1]!.candidateId = second.candidateId;
    candidates[1]!.cvIds = [second.cvId];
    const erased = await fetch(`${api}/candidates/${second.candidateId}`, {
      method: 'DELETE',
      headers: bearer(second.candidateToken!),
    });
    expect(erased.status).toBe(200);
  }, 180_000);

  afterAll(() => setup?.stop(), 60_000);

  /** What each public topic must hold once everything is relayed, per ce_type. */
  const expected: Record<Exclude<keyof typeof PublicTopics, 'activity'>, Record<string, number>> = {
    jobs: { JobPosted: 3, JobUpdated: 1, JobsRefreshed: 1, JobClosed: 1 },
    employers: { EmployerRegistered: 1 },
    content: { BlogPostPublished: 1 },
    candidates: { CvUploaded: 3 },
  };
  const countByType = (records: readonly Seen[]) =>
    dedupe(records).reduce<Record<string, number>>((counts, r) => {
      const type = r.headers.ce_type ?? '(none)';
      counts[type] = (counts[type] ?? 0) + 1;
      return counts;
    }, {});
  /** Our records on a topic (the embedded deployment is fresh; on Kafka the prefix is ours alone). */
  const readPublic = (family: keyof typeof PublicTopics) => setup.read(PublicTopics[family]);

  it('carries every command as one public record per event, each valid against its published JSON Schema', async () => {
    for (const [family, counts] of Object.entries(expected) as [
      keyof typeof expected,
      Record<string, number>,
    ][]) {
      const records = await waitFor(
        `${PublicTopics[family]} to hold ${JSON.stringify(counts)}`,
        async () => {
          const all = await readPublic(family);
          return Object.entries(counts).every(([type, n]) => countByType(all)[type] === n) ? all : false;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(countByType(records)).toEqual(counts);
    }

    for (const family of Object.keys(PublicTopics) as (keyof typeof PublicTopics)[]) {
      for (const record of await readPublic(family)) {
        const { ce_type: type, ce_schemaversion: version } = record.headers;
        expect([family, type, version]).toEqual([family, expect.any(String), expect.any(String)]);
        const validate = validatorFor(type!, version!);
        const payload: unknown = JSON.parse(record.payload ?? 'null');
        const valid = validate(payload);
        expect([type, valid ? [] : validate.errors]).toEqual([type, []]);
      }
    }
  });

  it('gives every record CloudEvents binary-mode headers, and a key that keeps order per aggregate', async () => {
    const all = (
      await Promise.all((Object.keys(expected) as (keyof typeof expected)[]).map((f) => readPublic(f)))
    ).flat();
    const total = Object.values(expected).flatMap((counts) => Object.values(counts));
    expect(dedupe(all)).toHaveLength(total.reduce((sum, n) => sum + n, 0));
    for (const record of all) {
      const h = record.headers;
      const type = h.ce_type as keyof typeof publicEventCatalog;
      const data = JSON.parse(record.payload!) as Record<string, unknown>;
      expect(h).toMatchObject({
        ce_specversion: '1.0',
        ce_source: '/feedwerk/public',
        'content-type': 'application/json',
        ce_schemaversion: String(publicEventCatalog[type].version),
      });
      expect(isUuid(h.ce_id)).toBe(true);
      expect(new Date(h.ce_time!).toISOString()).toBe(h.ce_time);
      expect(h.ce_subject).toBe(record.key);

      const key = {
        JobPosted: `job:${String(data.jobId)}`,
        JobUpdated: `job:${String(data.jobId)}`,
        JobClosed: `job:${String(data.jobId)}`,
        JobsRefreshed: `employer:${String(data.employerId)}`,
        EmployerRegistered: `employer:${String(data.employerId)}`,
        BlogPostPublished: `blog:${slug}`,
        CvUploaded: `portal:${portal}`,
      }[type];
      expect([type, record.key]).toEqual([type, key]);

      if (type === 'CvUploaded') {
        // No request id (joinable with access logs) and only the hour, on the broker too.
        expect(h).not.toHaveProperty('ce_correlationid');
        expect(h).not.toHaveProperty('ce_causationid');
        expect(Date.parse(h.ce_time!) % HOUR_MS).toBe(0);
        if (record.ts !== null) expect(record.ts % HOUR_MS).toBe(0);
      } else {
        expect(h.ce_correlationid).toEqual(expect.any(String));
        expect(h.ce_correlationid!.length).toBeGreaterThan(0);
      }
    }
    // The job's own records in the order they happened (one key, one partition).
    const jobRecords = dedupe(all).filter((r) => r.key === `job:${ids.jobIds[0]}`);
    expect(jobRecords.map((r) => r.headers.ce_type)).toEqual(['JobPosted', 'JobUpdated', 'JobClosed']);
  });

  it('carries no name or e-mail on any topic, and no candidate id, CV id, file or hash on a public one', async () => {
    const names = candidates.flatMap((c) => [c.name, c.email]);
    const identifiers = candidates.flatMap((c) => [
      c.candidateId,
      ...c.cvIds,
      ...c.cvIds.map((id) => `cv/${id}`),
      createHash('sha256').update(c.bytes).digest('hex'),
    ]);
    const text = (r: Seen) =>
      `${r.key ?? ''}\n${r.payload ?? ''}\n${JSON.stringify(r.headers)}`.toLowerCase();
    const hits = (records: readonly Seen[], needles: readonly string[]) =>
      records.flatMap((r) =>
        needles.filter((n) => text(r).includes(n.toLowerCase())).map((n) => `${r.topic}: ${n}`),
      );

    // Wait until the erasure is relayed: then every message of the run is on its topic.
    const internal = await waitFor(
      'the erasure on the internal candidates topic',
      async () => {
        const records = await setup.read('feedwerk.events.candidates.v1');
        return records.some((r) => r.headers.ce_type === 'CandidateErased') ? records : false;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // The scan can see what it looks for: the internal topics do carry the pseudonymous ids and the
    // fields that are not public.
    expect(hits(internal, identifiers).length).toBeGreaterThan(0);

    const everything = (await Promise.all(setup.topics.map((topic) => setup.read(topic)))).flat();
    const publicTopics = new Set<string>(Object.values(PublicTopics));
    const scanned = new Set(everything.map((r) => r.topic));
    for (const topic of [
      'feedwerk.events.candidates.v1',
      'feedwerk.events.jobs.v1',
      PublicTopics.candidates,
    ]) {
      expect([topic, scanned.has(topic)]).toEqual([topic, true]);
    }
    expect(hits(everything, names)).toEqual([]);
    const internalOnly = Object.values(notPublic);
    expect(new Set(hits(everything, internalOnly).map((hit) => hit.split(': ')[1]))).toEqual(
      new Set(internalOnly),
    );
    const onPublic = everything.filter((r) => publicTopics.has(r.topic));
    expect(onPublic.length).toBeGreaterThanOrEqual(11);
    expect(hits(onPublic, [...identifiers, ...internalOnly])).toEqual([]);
  });
});
