import { z } from 'zod';
import { type EventType } from '../catalog';
import { EmploymentType, JobLocation, JobSource } from '../events/job-posted.event';
import { safeText, slug } from '../text';

/**
 * Frozen zod definitions of event versions that are no longer current. A version that was ever
 * stored or published keeps its schema file forever, so its definition moves here (unchanged)
 * when the event's `version` is bumped; the contract test fails when a version has no schema.
 * Written as zod, not as a frozen JSON file, so the drift and compatibility checks treat old and
 * current versions alike (a breaking change to a shared part such as JobLocation shows up on
 * every version that uses it).
 */
export const legacyEventSchemas: Partial<Record<EventType, Readonly<Record<number, z.ZodType>>>> = {
  JobPosted: {
    /** JobPosted v1 (before salary and remote work were known; upcast: salary null, on site). */
    1: z.strictObject({
      jobId: z.uuid(),
      employerId: z.uuid(),
      title: safeText(3, 200),
      description: safeText(10, 20_000, { multiline: true }),
      location: JobLocation,
      category: slug,
      employmentType: EmploymentType,
      portal: slug,
      source: JobSource,
    }),
  },
};

/** Frozen public payload versions (none yet: every public type is still at v1). */
export const legacyPublicSchemas: Readonly<Record<string, Readonly<Record<number, z.ZodType>>>> = {};
