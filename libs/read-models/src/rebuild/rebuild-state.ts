import { type StoreCheckpoint } from '@feedwerk/event-store';
import { type GenerationBuilder, type Projection, type StoreBatch } from '../projection/projection';
import { type RateSample } from './rebuild-rate';

/** Folded in memory after the builder's last checkpoint, not yet written. */
export interface Unflushed {
  /** Where the fold stands (the next checkpoint). */
  end: StoreCheckpoint;
  /** Stored events folded since the checkpoint. */
  count: number;
  /** The last batch read was short: the fold reached the readable frontier. */
  atFrontier: boolean;
}

/** The engine's memory of a rebuild; valid only while the row's checkpoint is `checkpoint`. */
export interface BuilderState {
  readonly projection: Projection;
  readonly builder: GenerationBuilder;
  /** The last checkpoint this builder committed (or loaded), and the events done up to it. */
  checkpoint: StoreCheckpoint;
  done: number;
  samples: RateSample[];
  /** The next batch, read (and decoded) while the previous one was being folded or written. */
  next?: Promise<StoreBatch<unknown>>;
  unflushed: Unflushed;
  /**
   * A checkpoint being written on another connection while the fold goes on (overlapped steps; at
   * most one at a time). Never rejects: a failure or a lost rebuild is left in `broken`.
   */
  writing?: Promise<void>;
  /** The overlapped write did not commit: this memory is ahead of the tables and must be dropped. */
  broken?: { readonly error?: unknown };
}
