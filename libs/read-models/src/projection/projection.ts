import { type FeedEvent } from '@feedwerk/contracts';
import { type StoreCheckpoint } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';

/**
 * A projection's name: its row in projection_live, its registry key, the admin API's name (the
 * admin API accepts the names in the contract's RebuildableProjection).
 */
export type ProjectionName = string;

/** A batch of the store in commit order, decoded for one fold. */
export interface StoreBatch<TEvent> {
  /** Stored events read, foldable or not (they all advance the checkpoint). */
  readonly count: number;
  /** The foldable ones: an undecodable event is skipped like the live projector's dead letters. */
  readonly events: readonly TEvent[];
  /** Where the batch ends; unchanged when it is empty. */
  readonly end: StoreCheckpoint;
}

/**
 * Builds one generation of a projection from the store, in commit order, as its only writer until
 * the switch. The rebuild engine drives it: `read` batches, `fold` them in memory, and now and then
 * `cut` what was folded and `write` that cut with the checkpoint (possibly on another connection
 * while the fold goes on: a cut must not change once taken).
 */
export interface GenerationBuilder<TEvent = unknown, TCut = unknown> {
  /**
   * The batch after `from`, at most `limit` stored events. Without `tx` it may run while a
   * checkpoint is being written (a read-ahead): the store's rows are immutable, so it returns what a
   * read in the next transaction would.
   */
  read(from: StoreCheckpoint, limit: number, tx?: EntityManager): Promise<StoreBatch<TEvent>>;
  /** Folds events into memory (no I/O). */
  fold(events: readonly TEvent[]): void;
  /** Takes what was folded since the last cut; the fold starts afresh from the same state. */
  cut(): TCut;
  /**
   * Writes a cut into the generation's tables. `checkpoint`: with a rebuild's checkpoint (bulk
   * loading allowed); `switch`: the small catch-up inside the switch transaction.
   */
  write(tx: EntityManager, cut: TCut, mode: 'checkpoint' | 'switch'): Promise<void>;
  /** In the switch transaction, after the last checkpoint's write: tidy up before the indexes come. */
  ready?(tx: EntityManager): Promise<void>;
}

/**
 * A projection: a pure fold of the store's events into tables, kept in generations. Generation 1
 * is what the migrations created; a rebuild builds generation N beside the live one and switches
 * `projection_live` over to it. The rebuild engine knows this interface only, never a projection's name.
 */
export interface Projection<TResult = unknown> {
  readonly name: ProjectionName;
  /** Its schema version (`activity@2`): the checkpoint key of generation 1 and its tables' prefix. */
  readonly version: string;
  /** Generation `generation`'s tables, in creation order (generation 1: the migrations'). */
  tables(generation: number): readonly string[];
  /** Tables a generation may have besides `tables` (left by an older builder), dropped with it. */
  leftovers?(generation: number): readonly string[];
  /**
   * A rebuild loads the tables without indexes (several times cheaper) and adds them just before
   * the switch; the builder's writes must then need no unique index.
   */
  readonly bulkLoad: boolean;
  /**
   * Events folded in memory between two checkpoints at most (default: the engine's). 1: every
   * batch is written as it is read.
   */
  readonly checkpointEvery?: number;
  /** Applies a live batch to the live generation in one transaction, exactly once per event. */
  handle(events: readonly FeedEvent[]): Promise<TResult>;
  /** A new, empty generation's own state rows (e.g. a feed counter in projection_state). */
  initGeneration?(tx: EntityManager, generation: number): Promise<void>;
  /**
   * A builder of `generation` standing at its checkpoint: empty when `resumed` is false, else with
   * the memory the fold needs, loaded from the generation's tables.
   */
  builder(tx: EntityManager, generation: number, resumed: boolean): Promise<GenerationBuilder>;
  /** In the switch transaction, once `projection_live` points at `generation`. */
  switched?(tx: EntityManager, generation: number): Promise<void>;
}

/** The projections a process rebuilds, by name. */
export type Projections = Readonly<Record<ProjectionName, Projection>>;
