import { z } from 'zod';

/** The 16 German states (Bundesländer): the `region` of a job and a ticker filter. */
export const REGIONS = [
  'Baden-Württemberg',
  'Bayern',
  'Berlin',
  'Brandenburg',
  'Bremen',
  'Hamburg',
  'Hessen',
  'Mecklenburg-Vorpommern',
  'Niedersachsen',
  'Nordrhein-Westfalen',
  'Rheinland-Pfalz',
  'Saarland',
  'Sachsen',
  'Sachsen-Anhalt',
  'Schleswig-Holstein',
  'Thüringen',
] as const;

export const Region = z.enum(REGIONS, { message: `must be one of the German states: ${REGIONS.join(', ')}` });
export type Region = z.infer<typeof Region>;

/** German postcodes are five digits; 01001 is the lowest one in use. */
export const Postcode = z
  .string()
  .regex(/^(?!00)\d{5}$/, { message: 'must be a German postcode (5 digits)' });
