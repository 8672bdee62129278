/**
 * Crash points for the fault harness (docs/faults.md): `CRASH_AT=relay.afterSend` makes the process
 * SIGKILL itself when it reaches that window, so a test can hit "sent but not yet checkpointed"
 * exactly instead of hoping a random kill lands there. `CRASH_AT_COUNT=N` fires on the Nth hit
 * only (default 1); `CRASH_ACTION=stop` sends SIGSTOP instead (a process frozen mid-window, e.g. inside
 * an open append transaction). Unset, a crash point is one comparison with a constant.
 */
export const CRASH_POINTS = [
  'relay.afterSend',
  'projector.afterApply',
  'api.afterAppend',
  'api.inAppendTx',
] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

export interface CrashPointSettings {
  readonly CRASH_AT?: string | undefined;
  readonly CRASH_AT_COUNT?: string | undefined;
  readonly CRASH_ACTION?: string | undefined;
}

/** Builds the crash-point function for these settings; `signal` is how the process is stopped. */
export function crashPointsFrom(
  env: CrashPointSettings,
  signal: (name: 'SIGKILL' | 'SIGSTOP') => void = (name) => process.kill(process.pid, name),
): (name: CrashPointName) => void {
  const armed = new Set((env.CRASH_AT ?? '').split(',').filter((n) => n !== ''));
  if (armed.size === 0) return () => undefined;
  const unknown = [...armed].filter((n) => !(CRASH_POINTS as readonly string[]).includes(n));
  // A typo would make a fault run pass without ever crashing: refuse it loudly instead.
  if (unknown.length > 0) throw new Error(`CRASH_AT names unknown crash points: ${unknown.join(', ')}`);
  const after = Number(env.CRASH_AT_COUNT ?? '1');
  if (!Number.isSafeInteger(after) || after < 1)
    throw new Error('CRASH_AT_COUNT must be a whole number >= 1');
  const action = env.CRASH_ACTION === 'stop' ? 'SIGSTOP' : 'SIGKILL';
  let hits = 0;
  return (name) => {
    if (!armed.has(name)) return;
    hits += 1;
    // Only the Nth hit: a process frozen with CRASH_ACTION=stop and then continued must run on.
    if (hits !== after) return;
    process.stderr.write(`feedwerk: crash point ${name} reached (hit ${hits}): ${action}\n`);
    signal(action);
  };
}

/** The process's crash points, from its environment at start. */
export const crashPoint = crashPointsFrom(process.env);
