// The history generator the benchmarks share: a portal network's realistic mix of the commands'
// events, written through the event store's own append path (EventStore.appendMany, one big
// transaction per tick), so the rows, indexes, transaction ids and commit order are what the apps
// write. Deterministic: the same total gives the same streams, versions and times.
//
// The mix, per job step j (1..J): JobPosted; j % 3 JobUpdated, 300 and 600 steps later; JobClosed
// 950 steps later for every third job (streams of 1 to 4 events). Employers (total / 50) register
// first; each refreshes its first job twice; a blog post every 60 steps. With `cvs`: a CV upload
// every 10 steps (a new candidate each), and every 40th of those candidates erased 2,000 steps later.
// Every event of one transaction happens at its tick's time (an import writes so); ticks are
// 2 s × the steps they hold apart, so bursts form on each of the 8 portals.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dist } from './common.mjs';

const require = createRequire(import.meta.url);
export const PORTALS = [
  'berlin',
  'hamburg',
  'muenchen',
  'koeln',
  'frankfurt',
  'stuttgart',
  'leipzig',
  'dresden',
];
const CATEGORIES = ['pflege', 'it', 'handwerk', 'logistik', 'vertrieb', 'gastronomie'];
const DESCRIPTION =
  'Wir suchen Verstärkung für unser Team. Sie erwartet ein unbefristeter Vertrag, faire Bezahlung, ' +
  'flexible Arbeitszeiten und ein freundliches Kollegium. Bewerben Sie sich noch heute bei uns!';
export const HISTORY_START = Date.parse('2026-01-01T00:00:00.000Z');
const METADATA = {
  correlationId: 'bench-history',
  causationId: null,
  actor: { kind: 'system', id: null },
  source: '/feedwerk/bench',
};

/** A name-based uuid (v4 layout) from a text: the same step gives the same ids in every run. */
const uuid = (text) => {
  const h = createHash('md5').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** Events per job step, on average: 1 + 1 update + 1/3 close + 1/60 blog (+ 1/10 CV + 1/400 erasure). */
const perStep = (cvs) => 7 / 3 + 1 / 60 + (cvs ? 1 / 10 + 1 / 400 : 0);

function jobOf(j) {
  const jobId = uuid(`job${j}`);
  const { employers } = this;
  return {
    jobId,
    employerId: uuid(`employer${j % employers}`),
    portal: PORTALS[j % 8],
    region: this.regions[(j * 7) % this.regions.length],
    category: CATEGORIES[(j * 5) % 6],
  };
}

/** The stream appends of job step j, in order (each one event). */
function* stepEvents(plan, j) {
  const job = jobOf.bind(plan);
  if (j <= plan.jobs) {
    const { jobId, employerId, portal, region, category } = job(j);
    yield [
      `job:${jobId}`,
      1,
      'JobPosted',
      2,
      {
        jobId,
        employerId,
        title: `Fachkraft ${category} ${j}`,
        description: DESCRIPTION,
        location: { city: 'Musterstadt', region, postcode: String(10000 + (j % 89999)).padStart(5, '0') },
        category,
        employmentType: 'full-time',
        portal,
        source: j % 10 === 0 ? 'import' : 'direct',
        salary: null,
        remote: j % 4 === 0,
      },
    ];
  }
  for (const u of [1, 2]) {
    const k = j - u * 300;
    if (k >= 1 && k <= plan.jobs && u <= k % 3) {
      const { jobId, employerId, portal, region, category } = job(k);
      yield [
        `job:${jobId}`,
        1 + u,
        'JobUpdated',
        1,
        {
          jobId,
          employerId,
          portal,
          region,
          category,
          changes: { title: `Fachkraft ${category} ${k} v${u}` },
        },
      ];
    }
  }
  const closed = j - 950;
  if (closed >= 1 && closed <= plan.jobs && closed % 3 === 0) {
    const { jobId, employerId, portal } = job(closed);
    yield [`job:${jobId}`, 2 + (closed % 3), 'JobClosed', 1, { jobId, employerId, portal, reason: 'filled' }];
  }
  for (const r of [0, 1]) {
    // Employer e refreshes job e + E (its first), 1 and 500 steps after posting it.
    const e = j - 1 - r * 500 - plan.employers;
    if (e >= 0 && e < plan.employers && e + plan.employers <= plan.jobs) {
      const first = job(e + plan.employers);
      yield [
        `employer:${uuid(`employer${e}`)}`,
        2 + r,
        'JobsRefreshed',
        1,
        {
          refreshId: uuid(`refresh${e}/${r}`),
          employerId: uuid(`employer${e}`),
          jobIds: [first.jobId],
          count: 1,
          portals: [{ portal: first.portal, count: 1 }],
        },
      ];
    }
  }
  if (j % 60 === 0 && j <= plan.jobs) {
    yield [
      `content:${uuid(`post${j}`)}`,
      1,
      'BlogPostPublished',
      1,
      {
        postId: uuid(`post${j}`),
        slug: `post-${j}`,
        title: `Karrieretipp ${j}`,
        teaser: 'Wie Sie Ihre Bewerbung verbessern.',
        author: 'Redaktion',
        portal: PORTALS[(j / 60) % 8],
      },
    ];
  }
  if (plan.cvs && j % 10 === 0 && j <= plan.jobs) {
    const candidateId = uuid(`candidate${j}`);
    yield [
      `candidate:${candidateId}`,
      1,
      'CvUploaded',
      1,
      {
        candidateId,
        cvId: uuid(`cv${j}`),
        portal: PORTALS[(j / 10) % 8],
        file: {
          ref: `cv/${uuid(`file${j}`)}`,
          sha256: 'b'.repeat(64),
          size: 48_213,
          mediaType: 'application/pdf',
        },
        public: {
          headline: 'Pflegefachkraft mit Erfahrung',
          region: plan.regions[j % plan.regions.length],
          category: 'pflege',
        },
        personal: {
          alg: 'A256GCM',
          keyId: uuid(`key${j}`),
          iv: 'AAAAAAAAAAAAAAAA',
          ciphertext: 'c2VjcmV0',
          tag: 'AAAAAAAAAAAAAAAAAAAAAA==',
        },
      },
    ];
  }
  const erased = j - 2_000;
  if (plan.cvs && erased >= 1 && erased <= plan.jobs && erased % 400 === 0) {
    const candidateId = uuid(`candidate${erased}`);
    yield [
      `candidate:${candidateId}`,
      2,
      'CandidateErased',
      1,
      {
        candidateId,
        receiptId: uuid(`receipt${erased}`),
        cvFilesDeleted: 1,
        keysDeleted: 1,
      },
    ];
  }
}

/**
 * Writes about `total` events through `EventStore.appendMany`, `perTransaction` events a
 * transaction. `onProgress(written)` after each. Returns the events written and their time span.
 */
export async function writeHistory(
  dataSource,
  total,
  { perTransaction = 2_000, cvs = true, onProgress = () => {} } = {},
) {
  const { EventStore } = require(dist('libs/event-store/src/index.js'));
  const { REGIONS, parseEventData } = require(dist('libs/contracts/src/index.js'));
  const store = new EventStore(dataSource);
  const employers = Math.max(1, Math.round(total / 50));
  const jobs = Math.max(1, Math.floor((total - employers * 3) / perStep(cvs)));
  const plan = { employers, jobs, cvs, regions: REGIONS };
  let written = 0;
  let tick = 0;
  const validated = new Set();
  const flush = async (appends, steps) => {
    if (appends.size === 0) return;
    const streams = [...appends].map(([streamId, events]) => ({
      streamId,
      expectedVersion: events[0].version === 1 ? 'no_stream' : events[0].version - 1,
      events: events.map(({ type, schemaVersion, data }) => ({ type, schemaVersion, data })),
    }));
    const now = new Date(HISTORY_START + tick * 2_000);
    tick += Math.max(1, steps);
    const outcome = await store.appendMany({ streams, metadata: METADATA, now, respond: () => null });
    if (outcome.kind !== 'appended') throw new Error('the history generator appended nothing');
    written += outcome.events.length;
    onProgress(written);
  };
  const add = (appends, [streamId, version, type, schemaVersion, data]) => {
    // Each type's first payload is validated once: the generator must write what the apps would.
    if (!validated.has(type)) {
      parseEventData(type, schemaVersion, data);
      validated.add(type);
    }
    const events = appends.get(streamId) ?? [];
    events.push({ version, type, schemaVersion, data });
    appends.set(streamId, events);
  };
  // The employers first, in their own transactions.
  let appends = new Map();
  for (let e = 0; e < employers; e += 1) {
    const employerId = uuid(`employer${e}`);
    add(appends, [
      `employer:${employerId}`,
      1,
      'EmployerRegistered',
      1,
      {
        employerId,
        name: `Bench GmbH ${e}`,
        website: `https://bench${e}.example`,
        city: 'Berlin',
      },
    ]);
    if (appends.size >= perTransaction) {
      await flush(appends, 1);
      appends = new Map();
    }
  }
  await flush(appends, 1);
  appends = new Map();
  let count = 0;
  let steps = 0;
  for (let j = 1; written + count < total; j += 1) {
    for (const event of stepEvents(plan, j)) {
      add(appends, event);
      count += 1;
    }
    steps += 1;
    if (count >= perTransaction) {
      await flush(appends, steps);
      appends = new Map();
      count = 0;
      steps = 0;
    }
    if (j > jobs + 3_000) break;
  }
  await flush(appends, steps);
  return { events: written, from: new Date(HISTORY_START), to: new Date(HISTORY_START + tick * 2_000) };
}
