/**
 * How many partitions' batches a projector folds in one transaction. A fetch brings a batch for
 * every partition with new events; handled one partition at a time, each paid a transaction of its
 * own (a dozen round trips) while the others waited, and at 200 events/s over 6 partitions that
 * queueing was most of the projector's latency. Above the partitions one member owns it is simply
 * all of them.
 */
export const PROJECTOR_PARTITIONS_PER_CALL = 32;
