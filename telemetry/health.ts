import { reasonOf, type Log } from './log';

const CHECK_TIMEOUT_MS = 3000;
/**
 * How long one round of checks answers every caller. Probes and dashboards may call often; each round opens an SMTP
 * connection and asks Temporal and Postgres, so callers within this window share one round instead.
 */
export const HEALTH_CACHE_MS = 5000;

export type CheckStatus = { status: 'up' | 'down' };
export type HealthRound<N extends string> = { status: 'ok' | 'down'; down: N[]; checks: Record<N, CheckStatus> };

function withTimeout(check: () => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    check().then(
      () => (clearTimeout(timer), resolve()),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

/**
 * Checks of a process's dependencies (each resolves when its dependency answers), run together with a time limit
 * each; the round in progress or last finished answers every caller until it is older than HEALTH_CACHE_MS. A failed
 * check is logged with its reason; callers say only what is down.
 */
export function healthChecks<N extends string>(
  checks: Record<N, () => Promise<unknown>>,
  log: Log,
): () => Promise<HealthRound<N>> {
  async function runChecks(): Promise<HealthRound<N>> {
    const results = await Promise.all(
      (Object.entries(checks) as [N, () => Promise<unknown>][]).map(async ([name, check]) => {
        try {
          await withTimeout(check);
          return [name, { status: 'up' as const }] as const;
        } catch (error) {
          log.warn({ check: name, reason: reasonOf(error) }, 'health check failed');
          return [name, { status: 'down' as const }] as const;
        }
      }),
    );
    const down = results.filter(([, r]) => r.status === 'down').map(([name]) => name);
    return {
      status: down.length ? 'down' : 'ok',
      down,
      checks: Object.fromEntries(results) as Record<N, CheckStatus>,
    };
  }
  let latest: { startedAt: number; result: Promise<HealthRound<N>> } | undefined;
  return () => {
    const now = Date.now();
    if (!latest || now - latest.startedAt >= HEALTH_CACHE_MS) latest = { startedAt: now, result: runChecks() };
    return latest.result;
  };
}

/** Ready to take work: every check named in `needed` is up (the others are only reported), and not stopping. */
export function readinessOf<N extends string>(round: HealthRound<N>, needed: N[], stopping: boolean) {
  const ready = !stopping && needed.every((name) => round.checks[name].status === 'up');
  return {
    status: ready ? ('ready' as const) : stopping ? ('stopping' as const) : ('not_ready' as const),
    checks: round.checks,
  };
}
