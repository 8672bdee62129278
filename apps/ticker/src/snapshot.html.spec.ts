import { type TickerItemV1 } from '@feedwerk/contracts';
import { escapeHtml, relativeTime, renderSnapshotHtml } from './snapshot.html';

const NOW = Date.parse('2026-11-27T10:00:00.000Z');
const item = (overrides: Partial<TickerItemV1> = {}): TickerItemV1 => ({
  id: '6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  kind: 'jobs.burst',
  icon: null,
  text: 'Neue Jobangebote verfügbar',
  detail: '12 neue Stellenanzeigen',
  count: 12,
  portal: 'berlin',
  region: 'Berlin',
  category: 'pflege',
  order: 3,
  position: 9,
  at: '2026-11-27T09:58:00.000Z',
  lang: 'de',
  ...overrides,
});

describe('server-rendered snapshot of the box', () => {
  it('renders the markup the widget builds', () => {
    expect(renderSnapshotHtml([item()], 'de', NOW)).toBe(
      '<section class="fw-ticker" aria-label="Neueste Aktivitäten"><h2>Neueste Aktivitäten</h2><ol>' +
        '<li class="fw-item" data-kind="jobs.burst"><span class="fw-icon" aria-hidden="true"></span>' +
        '<span class="fw-text">Neue Jobangebote verfügbar</span><span class="fw-detail">12 neue Stellenanzeigen</span>' +
        '<time class="fw-time" datetime="2026-11-27T09:58:00.000Z">vor 2 Minuten</time></li></ol></section>',
    );
    expect(renderSnapshotHtml([], 'en', NOW)).toContain('<h2>Latest activity</h2>');
  });

  it('escapes every string, so data can never become markup', () => {
    const payload = '<img src=x onerror=alert(1)>"\'&';
    const html = renderSnapshotHtml(
      [
        item({
          text: payload,
          detail: payload,
          icon: payload,
          at: `${payload}`,
          kind: payload as 'jobs.burst',
        }),
      ],
      'de',
      NOW,
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('"\'&');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });

  it('says when, relative to now, in the page language', () => {
    expect(relativeTime('2026-11-27T09:59:50.000Z', NOW, 'de')).toBe('gerade eben');
    expect(relativeTime('2026-11-27T07:00:00.000Z', NOW, 'de')).toBe('vor 3 Stunden');
    expect(relativeTime('2026-11-27T09:55:00.000Z', NOW, 'en')).toBe('5 minutes ago');
    expect(relativeTime('not a time', NOW, 'de')).toBe('');
  });
});
