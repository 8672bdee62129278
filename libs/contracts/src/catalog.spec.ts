import {
  countLine,
  defineEvent,
  eventCatalog,
  InvalidEventPayloadError,
  parseEventData,
  renderTickerItem,
  safeText,
  TICKER_KINDS,
  TICKER_LINES,
  UnknownEventTypeError,
  UnsupportedSchemaVersionError,
} from '@feedwerk/contracts';
import { z } from 'zod';

const job = {
  jobId: '6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  employerId: '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22',
  title: 'Erzieherin (m/w/d)',
  description: 'Kita in Pankow sucht Verstärkung.',
  location: { city: 'Berlin', region: 'Berlin', postcode: '13187' },
  category: 'paedagogik',
  employmentType: 'part-time',
  portal: 'berlin',
  source: 'direct',
};

describe('event catalog', () => {
  it('parses a valid payload of the current version', () => {
    const v2 = {
      ...job,
      salary: { min: 42_000, max: 51_000, currency: 'EUR', period: 'year' },
      remote: true,
    };
    expect(parseEventData('JobPosted', 2, v2)).toEqual(v2);
  });

  it('upcasts a stored JobPosted v1 to v2: no salary stated, on site', () => {
    expect(parseEventData('JobPosted', 1, job)).toEqual({ ...job, salary: null, remote: false });
  });

  it.each([
    ['a salary range upside down', { salary: { min: 5000, max: 4000, currency: 'EUR', period: 'month' } }],
    ['a negative salary', { salary: { min: -1, max: 4000, currency: 'EUR', period: 'month' } }],
    ['an infinite salary', { salary: { min: 0, max: Infinity, currency: 'EUR', period: 'month' } }],
    ['a salary in dollars', { salary: { min: 1, max: 2, currency: 'USD', period: 'month' } }],
  ])('refuses %s', (_what, patch) => {
    expect(() => parseEventData('JobPosted', 2, { ...job, remote: false, ...patch })).toThrow(
      InvalidEventPayloadError,
    );
  });

  it('keeps the counts of a bulk refresh consistent', () => {
    const ids = ['6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11', '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22'];
    const refresh = {
      refreshId: '1d8e4f3a-8c1b-4f5e-9d2a-7b6c5d4e3f21',
      employerId: job.employerId,
      jobIds: ids,
      count: 2,
      portals: [{ portal: 'berlin', count: 2 }],
    };
    expect(parseEventData('JobsRefreshed', 1, refresh)).toEqual(refresh);
    expect(() => parseEventData('JobsRefreshed', 1, { ...refresh, count: 3 })).toThrow(/count/);
    expect(() => parseEventData('JobsRefreshed', 1, { ...refresh, jobIds: [ids[0], ids[0]] })).toThrow(
      /repeat/,
    );
    expect(() =>
      parseEventData('JobsRefreshed', 1, { ...refresh, portals: [{ portal: 'berlin', count: 1 }] }),
    ).toThrow(/add up/);
  });

  it.each([
    ['an unknown type', () => parseEventData('JobTeleported', 1, job), UnknownEventTypeError],
    ['a version from the future', () => parseEventData('JobPosted', 3, job), UnsupportedSchemaVersionError],
    ['version 0', () => parseEventData('JobPosted', 0, job), UnsupportedSchemaVersionError],
    [
      'a missing field',
      () => parseEventData('JobPosted', 1, { ...job, title: undefined }),
      InvalidEventPayloadError,
    ],
    [
      'an unknown field',
      () => parseEventData('JobPosted', 1, { ...job, bonus: 1 }),
      InvalidEventPayloadError,
    ],
    ['an array payload', () => parseEventData('JobPosted', 1, [job]), InvalidEventPayloadError],
  ])('refuses %s with a typed error', (_what, parse, error) => {
    expect(parse).toThrow(error);
  });

  it('upcasts an old payload version by version before validating it', () => {
    const Renamed = defineEvent({
      type: 'Renamed',
      version: 3,
      category: 'jobs',
      description: 'test',
      schema: z.strictObject({ name: z.string(), city: z.string() }),
      upcasters: {
        1: ({ title, ...rest }) => ({ ...rest, name: title }),
        2: (payload) => ({ ...payload, city: 'unbekannt' }),
      },
    });
    const v1 = { title: 'Alt' };
    const upcast = [1, 2].reduce((p, v) => Renamed.upcasters[v]!(p), v1 as Record<string, unknown>);
    expect(Renamed.schema.parse(upcast)).toEqual({ name: 'Alt', city: 'unbekannt' });
  });

  it('refuses a definition that skips an upcaster', () => {
    expect(() =>
      defineEvent({ type: 'X', version: 2, category: 'jobs', description: 'x', schema: z.object({}) }),
    ).toThrow(/missing upcaster from v1 to v2/);
  });

  it('documents every event type in one line', () => {
    for (const definition of Object.values(eventCatalog))
      expect(definition.description.length).toBeGreaterThan(10);
  });
});

describe('safe text', () => {
  const title = safeText(3, 20);
  it('normalises to NFC and trims', () => expect(title.parse('  Cafe\u0301 Bar ')).toBe('Café Bar'));
  it.each([
    ['NUL', 'ab\u0000c'],
    ['a C0 control', 'ab\u0007c'],
    ['a bidi override', 'abc\u202Edef'],
    ['a lone surrogate', 'abc\uD800'],
    ['a newline in a single line', 'abc\ndef'],
    ['only whitespace', '     '],
    ['too long', 'x'.repeat(21)],
  ])('refuses %s', (_what, value) => expect(title.safeParse(value).success).toBe(false));
});

describe('ticker lines', () => {
  it('has German and English words for every kind of line', () => {
    for (const kind of TICKER_KINDS) {
      expect(TICKER_LINES[kind].de.text(1)).not.toBe('');
      expect(TICKER_LINES[kind].en.text(1)).not.toBe('');
    }
  });

  it('uses correct German plurals', () => {
    expect(countLine(1, 'de')).toBe('1 neue Stellenanzeige');
    expect(countLine(12, 'de')).toBe('12 neue Stellenanzeigen');
    expect(TICKER_LINES['jobs.refreshed'].de.text(3)).toBe('Stellenanzeigen wurden aktualisiert');
    expect(TICKER_LINES['jobs.refreshed'].de.text(1)).toBe('Stellenanzeige wurde aktualisiert');
  });

  it('renders the product line with its icon', () => {
    const record = {
      id: job.jobId,
      position: 7,
      kind: 'job.posted' as const,
      portal: 'berlin',
      region: 'Berlin' as const,
      category: 'it',
      count: 1,
      order: 7,
      at: '2026-11-27T10:00:00.000Z',
    };
    expect(renderTickerItem(record, 'de')).toMatchObject({
      icon: '➟',
      text: 'Neue Stellenanzeige eingestellt',
    });
    expect(renderTickerItem(record, 'en').text).toBe('New job ad posted');
  });
});
