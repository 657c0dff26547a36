// No imports: `config/env.ts` reads this default, and `prisma.config.ts` loads that file before the Prisma client is
// generated, so nothing here may reach `@prisma/client`.

/**
 * How long Postgres lets a statement of bansou's connections run (or wait on a lock), and a transaction sit idle,
 * unless set otherwise (`DATABASE_STATEMENT_TIMEOUT_SECONDS`). What bansou runs is indexed and small (a page of a
 * list or an export, a match's detail, a sync), but for two that read a whole table: a program's KPIs read its matches
 * (4–5 ms for 10,000), and the metrics count skipped emails over the whole timeline (0.35–0.40 s for 3 million events,
 * 10,000 matches of 300; load 7), which would reach 15 s near 100 million events. A transaction of `sqlTransaction` has
 * its own, shorter, bound; migrations run on their own connection (`prisma migrate deploy`), without it.
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
