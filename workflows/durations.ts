/**
 * Playbook durations are short strings a person can read and write: `14d`, `3d`, `1d12h`, `90m`, `30s`, `2w`.
 * Seconds are allowed so whole lifecycles can be run end to end in minutes.
 */
const UNIT_MS = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

export const DURATION_PATTERN = /^(?:\d+[wdhms])+$/;

/** Milliseconds in a duration such as `1d12h`; throws a RangeError for anything else. */
export function durationMs(duration: string): number {
  if (!DURATION_PATTERN.test(duration))
    throw new RangeError(`not a duration: ${JSON.stringify(duration)} (use e.g. 14d, 36h, 30s)`);
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)([wdhms])/g)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

export const DAY_MS = UNIT_MS.d;
