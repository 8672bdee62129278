import { checkpointKey, generationSuffix } from '../generations/generations';

/** The activity projection's schema version: generation 1's checkpoint key and its tables' version. */
export const ACTIVITY_VERSION = 'activity@2';

export interface ActivityTables {
  /** Checkpoint key in projection_state / projection_streams. */
  readonly name: string;
  readonly changes: string;
  readonly items: string;
  readonly slots: string;
  readonly members: string;
  /**
   * Stream versions staged by a builder of the previous version (no index: appended per
   * checkpoint, merged into projection_streams before the switch; builders now write them with
   * each checkpoint). Not one of the generation's tables.
   */
  readonly stagedVersions: string;
}

/** Generation `generation`'s tables (1: the migrations'; N > 1: `_g<N>`). */
export function activityTables(generation: number): ActivityTables {
  const s = generationSuffix(generation);
  return {
    name: checkpointKey(ACTIVITY_VERSION, generation),
    changes: `rm_activity_v2_changes${s}`,
    items: `rm_activity_v2_items${s}`,
    slots: `rm_activity_v2_slots${s}`,
    members: `rm_activity_v2_members${s}`,
    stagedVersions: `rm_activity_v2_staged_versions${s}`,
  };
}

/**
 * Generation 1 of the activity projection: its name is also its checkpoint key (projection_state,
 * projection_streams); its tables carry the version. Rebuilds build further generations beside it
 * (`activityTables(n)`); readers and writers resolve the live one per transaction.
 */
export const ACTIVITY = activityTables(1);
