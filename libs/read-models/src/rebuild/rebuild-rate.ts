/** A rebuild's progress at a moment: the rate is measured over recent samples. */
export interface RateSample {
  readonly at: number;
  readonly done: number;
}

const RATE_WINDOW_MS = 5_000;

/** Events per second over the last RATE_WINDOW_MS, with the samples to keep. */
export function rateOf(
  previous: readonly RateSample[],
  done: number,
): { rate: number; samples: RateSample[] } {
  const now = Date.now();
  // Checkpoints can be further apart than the window: then the rate is since the previous one.
  const all = [...previous, { at: now, done }];
  const recent = all.filter((s) => now - s.at <= RATE_WINDOW_MS);
  const samples = recent.length >= 2 ? recent : all.slice(-2);
  const first = samples[0]!;
  const rate = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
  return { rate, samples };
}
