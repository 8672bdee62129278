import { randomUUID } from 'node:crypto';
import { type EventData } from '@feedwerk/contracts';
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

/** A valid CvUploaded payload (its personal part sealed with a dummy key): a CV on `portal`. */
export const cvUploadedData = (
  candidateId: string,
  cvId: string,
  portal: string,
): EventData<'CvUploaded'> => ({
  candidateId,
  cvId,
  portal,
  file: { ref: `cv/${randomUUID()}`, sha256: 'b'.repeat(64), size: 99, mediaType: 'application/pdf' },
  public: { headline: 'Erika Mustermann', region: 'Berlin', category: 'pflege' },
  personal: {
    alg: 'A256GCM',
    keyId: randomUUID(),
    iv: 'AAAAAAAAAAAAAAAA',
    ciphertext: 'c2VjcmV0',
    tag: 'AAAAAAAAAAAAAAAAAAAAAA==',
  },
});
