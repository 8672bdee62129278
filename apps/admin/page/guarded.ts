import { say } from './dom';

/**
 * An event handler that runs an action and shows its error (never a stack) in the section's status
 * line; a form's submit is handled here, not by the browser.
 */
export function guarded(statusId: string, action: () => Promise<void>): (event?: Event) => void {
  return (event) => {
    event?.preventDefault();
    action().catch((error: unknown) =>
      say(statusId, error instanceof Error ? error.message : String(error), 'error'),
    );
  };
}
