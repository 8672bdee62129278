import { type FeedEvent, type Region, type TickerKind } from '@feedwerk/contracts';

/** What one event contributes to the box "Neueste Aktivitäten", before it gets a feed position. */
export interface ActivityDraft {
  readonly kind: TickerKind;
  readonly portal: string | null;
  readonly region: Region | null;
  readonly category: string | null;
  readonly count: number;
}

/**
 * The activity projection's rule, pure: which public line an event becomes, if any. Only public
 * fields are copied; anything personal never reaches a ticker item because no field for it exists.
 */
export function activityOf(event: FeedEvent): ActivityDraft | null {
  switch (event.type) {
    case 'JobPosted':
      return {
        kind: event.data.source === 'import' ? 'job.imported' : 'job.posted',
        portal: event.data.portal,
        region: event.data.location.region,
        category: event.data.category,
        count: 1,
      };
    case 'EmployerRegistered':
      // Site-wide: an employer is not tied to one portal, so every portal's box shows the sign-up.
      return { kind: 'employer.registered', portal: null, region: null, category: null, count: 1 };
    // Their ticker lines arrive with the live-ticker issue; until then they show nothing.
    case 'JobUpdated':
    case 'JobClosed':
    case 'JobsRefreshed':
    case 'BlogPostPublished':
    case 'CvUploaded':
    case 'CandidateErased':
      return null;
  }
}
