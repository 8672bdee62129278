/**
 * What the shell's metrics need of the event store, which it does not know: libs/event-store
 * provides it (STORE_PROBE) in every app that composes the store.
 */
export interface StoreProbe {
  /** The store's head and a reader's checkpoint position (null before its first), read in one snapshot. */
  progress(checkpoint: string): Promise<{ readonly head: number; readonly checkpoint: number | null }>;
}

export const STORE_PROBE = Symbol('StoreProbe');
