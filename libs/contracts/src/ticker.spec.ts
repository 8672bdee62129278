import {
  parseSseEventId,
  sinceGeneration,
  sseEventId,
  TICKER_KINDS,
  TICKER_LINES,
  TickerSnapshotQuery,
  TickerStreamQuery,
  TickerSubscribeRequest,
} from '@feedwerk/contracts';

describe('ticker protocol v1 requests', () => {
  it('fills in the defaults of a subscribe request', () => {
    expect(TickerSubscribeRequest.parse({ portal: 'berlin' })).toEqual({
      portal: 'berlin',
      lang: 'de',
      limit: 8,
    });
  });

  it('accepts filters and a resume position', () => {
    expect(
      TickerSubscribeRequest.parse({
        portal: 'berlin',
        lang: 'en',
        types: ['job.posted', 'jobs.burst', 'job.posted'],
        region: 'Berlin',
        category: 'pflege',
        since: 42,
        limit: 50,
      }),
    ).toEqual({
      portal: 'berlin',
      lang: 'en',
      types: ['job.posted', 'jobs.burst'],
      region: 'Berlin',
      category: 'pflege',
      since: 42,
      limit: 50,
    });
  });

  it.each([-1, 'abc', 1e18, 1.5, null, Number.NaN, {}])(
    'treats the resume position %p as one that cannot be served (snapshot), not as an error',
    (since) => {
      const parsed = TickerSubscribeRequest.parse({ portal: 'berlin', since });
      expect(parsed.since).toBeUndefined();
    },
  );

  it.each([
    [{}, 'portal'],
    [{ portal: 'Berlin!' }, 'portal'],
    [{ portal: 'berlin', limit: 0 }, 'limit'],
    [{ portal: 'berlin', limit: 51 }, 'limit'],
    [{ portal: 'berlin', types: [] }, 'types'],
    [{ portal: 'berlin', types: ['job.deleted'] }, 'types'],
    [{ portal: 'berlin', region: 'Texas' }, 'region'],
    [{ portal: 'berlin', lang: 'fr' }, 'lang'],
    [{ portal: 'berlin', extra: 1 }, 'extra'],
  ])('refuses %p, naming %s', (request, field) => {
    const result = TickerSubscribeRequest.safeParse(request);
    expect(result.success).toBe(false);
    const reasons = result.success
      ? ''
      : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    expect(reasons).toContain(field);
  });

  it('reads the SSE query from strings: a comma list of types, numbers, empty values as absent', () => {
    expect(
      TickerStreamQuery.parse({
        portal: 'berlin',
        types: 'job.posted,jobs.burst',
        limit: '12',
        since: '7',
        region: '',
      }),
    ).toEqual({ portal: 'berlin', lang: 'de', types: ['job.posted', 'jobs.burst'], limit: 12, since: 7 });
    expect(TickerStreamQuery.parse({ portal: 'berlin', since: '-3' }).since).toBeUndefined();
    expect(TickerSnapshotQuery.safeParse({ portal: 'berlin', limit: '999' }).success).toBe(false);
  });

  it('has a line with words in both languages for every kind, singular and plural', () => {
    for (const kind of TICKER_KINDS) {
      for (const lang of ['de', 'en'] as const) {
        expect(TICKER_LINES[kind][lang].text(1)).not.toBe('');
        expect(TICKER_LINES[kind][lang].text(2)).not.toBe('');
        expect(TICKER_LINES[kind][lang].detail(1)).toBeNull();
      }
    }
  });

  it('takes the generation of a resume position leniently: what is not a generation counts as absent', () => {
    expect(TickerSubscribeRequest.parse({ portal: 'berlin', since: 4, generation: 2 })).toMatchObject({
      since: 4,
      generation: 2,
    });
    for (const generation of [0, -1, 1.5, '2', null, 1e18]) {
      expect(
        TickerSubscribeRequest.parse({ portal: 'berlin', since: 4, generation }).generation,
      ).toBeUndefined();
    }
    // A client from before generations names none: its positions are generation 1's.
    expect(sinceGeneration(undefined)).toBe(1);
    expect(TickerStreamQuery.parse({ portal: 'berlin', since: '7', generation: '3' })).toMatchObject({
      since: 7,
      generation: 3,
    });
    expect(TickerStreamQuery.parse({ portal: 'berlin', generation: 'x' }).generation).toBeUndefined();
  });

  it('writes SSE ids as <generation>:<position> and reads old bare positions as generation 1', () => {
    expect(sseEventId(2, 17)).toBe('2:17');
    expect(parseSseEventId('2:17')).toEqual({ generation: 2, position: 17 });
    expect(parseSseEventId('17')).toEqual({ generation: 1, position: 17 });
    for (const id of [undefined, '', 'abc', '0:5', '2:', ':5', '2:-1', '1:2:3', '2:99999999999999999']) {
      expect(parseSseEventId(id)).toBeUndefined();
    }
  });
});
