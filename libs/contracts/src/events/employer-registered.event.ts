import { z } from 'zod';
import { defineEvent } from '../define-event';
import { httpsUrl, safeText } from '../text';

/**
 * A company signed up as an employer. Read by the activity projection ("Neue Anmeldung
 * Arbeitgeber"), the employer read model and analytics. The company name is public business data;
 * the employer's credentials never enter an event.
 */
export const EmployerRegistered = defineEvent({
  type: 'EmployerRegistered',
  version: 1,
  category: 'employers',
  description: 'A company registered as an employer on Feedwerk.',
  schema: z.strictObject({
    employerId: z.uuid(),
    name: safeText(2, 200),
    website: httpsUrl,
    city: safeText(2, 100),
  }),
});
