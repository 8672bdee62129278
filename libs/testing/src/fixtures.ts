/** Valid request bodies, overridable per test. */
export const employerBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Spreewald Pflege GmbH',
  website: 'https://pflege.example.org',
  city: 'Berlin',
  ...overrides,
});

export const jobBody = (overrides: Record<string, unknown> = {}) => ({
  title: 'Pflegefachkraft (m/w/d)',
  description: 'Wir suchen Verstärkung für unser Team in Kreuzberg.',
  location: { city: 'Berlin', region: 'Berlin', postcode: '10997' },
  category: 'pflege',
  employmentType: 'full-time',
  portal: 'berlin',
  ...overrides,
});
