/**
 * What the shell's health and metrics need of the app's message transport, which it does not know:
 * libs/transport provides it (TRANSPORT_PROBE) when the app composes a transport. An app without one
 * (the api only appends to the outbox) stays ready while the broker is down.
 */
export interface TransportProbe {
  /** The readiness check's name (`kafka`, `in-process`). */
  readonly kind: string;
  /** Every topic of the deployment: the admin app charts the lag of any group that reads them. */
  readonly topics: readonly string[];
  isHealthy(): Promise<boolean>;
  /** Lag per consumer group on these topics (of these groups, or of every group when none are named). */
  consumerLags(topics: readonly string[], groupIds?: readonly string[]): Promise<ReadonlyMap<string, number>>;
}

export const TRANSPORT_PROBE = Symbol('TransportProbe');
