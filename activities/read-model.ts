import { Prisma } from '@prisma/client';
import type { Database } from '../prisma/client';
import type { MatchReadModel } from '../workflows/read-model';
import type { Participant, PendingEvent } from '../workflows/shared';
import type { ActivityDeps } from './deps';

export type SyncMatchInput = {
  matchId: string;
  /** Timeline events since the last sync; their keys make a retry write nothing twice. */
  events: PendingEvent[];
  model: MatchReadModel;
};

/** The timeline entry written in place of an event the database refused, so the sync goes on and it shows. */
export const EVENT_SKIPPED = 'read_model.event_skipped';

const date = (iso: string | null | undefined) => (iso ? new Date(iso) : null);
const json = (value: unknown) => value as Prisma.InputJsonValue;

/** What Postgres cannot store in text or jsonb: NUL, and (in jsonb) unpaired surrogates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A copy with every unstorable character (in values and keys) replaced by U+FFFD; the same input, the same copy. */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}

/**
 * Whether the database refused a value (bad data, not a connection or a conflict): such a write fails the same way
 * on every retry, so it must be skipped rather than retried.
 */
function isRefusedValue(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientValidationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return !/^P1|^P2024$|^P2028$|^P2034$/.test(error.code);
  // E.g. JSON Postgres will not parse; never a connection that failed.
  if (error instanceof Prisma.PrismaClientUnknownRequestError) {
    return !/connect|ECONN|terminat|timed? ?out|closed/i.test(error.message);
  }
  // Postgres's own refusal through the pg adapter: SQLSTATE class 22 (data exception) or 23 (integrity).
  const sqlState = (error as { cause?: { originalCode?: unknown } } | null)?.cause?.originalCode;
  return error instanceof Error && error.name === 'DriverAdapterError' && /^2[23]/.test(String(sqlState));
}

type Tx = Prisma.TransactionClient | Database;

const eventRow = (matchId: string, e: PendingEvent) => ({
  key: e.key,
  matchId,
  type: e.type,
  payload: json(e.payload),
  occurredAt: new Date(e.at),
});

/** When a sync's changes happened: its newest timeline event (workflow time), or now if it carries none. */
const changedAt = (events: PendingEvent[]) =>
  new Date(Math.max(...events.map((e) => Date.parse(e.at)).filter((t) => !Number.isNaN(t)), 0) || Date.now());

/**
 * The person of the match's program a (reassigned) coordinator is, made here once the workflow has taken the handover
 * (the API stores nobody before): with the id the workflow was given, unless another person already has it (ids a
 * test or an older workflow chose), and never twice for one address.
 */
async function coordinatorPerson(tx: Tx, programId: string, coordinator: Participant): Promise<{ id: string }> {
  const data = {
    programId,
    email: coordinator.email,
    name: coordinator.name,
    locale: coordinator.locale,
    role: 'coordinator',
  };
  const [made] = await tx.person.createManyAndReturn({
    data: [{ id: coordinator.personId, ...data }],
    skipDuplicates: true,
    select: { id: true },
  });
  return (
    made ??
    tx.person.upsert({
      where: { programId_email: { programId, email: coordinator.email } },
      create: data,
      update: {},
      select: { id: true },
    })
  );
}

/** An instant as UTC text (Prisma keeps \`DateTime\` as \`timestamp\` without a zone, in UTC); null stays null. */
const instant = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString() : null);

/** Columns of a row as \`json_to_recordset\` reads them, and the update of every one of them from \`excluded\`. */
const columns = (spec: string) => spec.split(',').map((c) => c.trim().split(' ')[0]!.replaceAll('"', ''));
const set = (spec: string) =>
  columns(spec)
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(', ');
const changed = (spec: string) =>
  `(${columns(spec)
    .map((c) => `t."${c}"`)
    .join(', ')}) IS DISTINCT FROM (${columns(spec)
    .map((c) => `excluded."${c}"`)
    .join(', ')})`;

const ROUND = `kind text, status text, "openedAt" timestamp(3), "closeAt" timestamp(3), "expiresAt" timestamp(3), answered jsonb`;
const ESCALATION = `type text, severity text, status text, level int, reasons jsonb, reason jsonb, evidence jsonb, "openedAt" timestamp(3), "dueAt" timestamp(3), "acknowledgedAt" timestamp(3), "snoozedUntil" timestamp(3), "snoozeReason" text, "resolvedAt" timestamp(3), "resolvedBy" text, resolution text`;
const TASK = `key text, label jsonb, status text, "openAt" timestamp(3), "dueAt" timestamp(3), "doneAt" timestamp(3), note text`;
const CONTRACT = `label jsonb, required boolean, status text, "dueAt" timestamp(3), reason text, "updatedAt" timestamp(3)`;
const list = (spec: string) =>
  columns(spec)
    .map((c) => `"${c}"`)
    .join(', ');

/**
 * The match's check-in rounds, escalations, tasks and contract documents as the read model has them, in one
 * statement: each row inserted or updated from the JSON array of its table, and a row that is already so left as it
 * is (not rewritten: an escalation's \`updatedAt\` moves only when the escalation changed).
 */
const ROWS_SQL = `
WITH rounds AS (
  INSERT INTO "CheckinRound" AS t ("matchId", round, ${list(ROUND)})
  SELECT $1, round, ${list(ROUND)} FROM json_to_recordset($2::json) AS x(round int, ${ROUND})
  ON CONFLICT ("matchId", round) DO UPDATE SET ${set(ROUND)} WHERE ${changed(ROUND)}
), escalations AS (
  INSERT INTO "Escalation" AS t (id, "matchId", ${list(ESCALATION)}, "updatedAt")
  SELECT id, $1, ${list(ESCALATION)}, $6::timestamp(3) FROM json_to_recordset($3::json) AS x(id text, ${ESCALATION})
  ON CONFLICT (id) DO UPDATE SET ${set(ESCALATION)}, "updatedAt" = excluded."updatedAt" WHERE ${changed(ESCALATION)}
), tasks AS (
  INSERT INTO "CoordinatorTask" AS t (id, "matchId", ${list(TASK)})
  SELECT id, $1, ${list(TASK)} FROM json_to_recordset($4::json) AS x(id text, ${TASK})
  ON CONFLICT (id) DO UPDATE SET ${set(TASK)} WHERE ${changed(TASK)}
)
INSERT INTO "ContractDocument" AS t ("matchId", type, ${list(CONTRACT)})
SELECT $1, type, ${list(CONTRACT)} FROM json_to_recordset($5::json) AS x(type text, ${CONTRACT})
ON CONFLICT ("matchId", type) DO UPDATE SET ${set(CONTRACT)} WHERE ${changed(CONTRACT)}`;

/**
 * The match's row and the rows beside it (rounds, escalations, tasks, contracts) as the read model says; a health
 * that changed is also kept as a sample at `at` (the program's health over time).
 */
async function writeModel(tx: Tx, matchId: string, model: MatchReadModel, at: Date): Promise<void> {
  const { programId, healthScore, healthBand } = await tx.match.findUniqueOrThrow({
    where: { id: matchId },
    select: { programId: true, healthScore: true, healthBand: true },
  });
  if (healthScore !== model.health.score || healthBand !== model.health.band) {
    await tx.healthSample.create({ data: { matchId, at, score: model.health.score, band: model.health.band } });
  }
  const person = await coordinatorPerson(tx, programId, model.coordinator);
  const lastAnswered = model.checkins.lastRoundAnswered;
  await tx.match.update({
    where: { id: matchId },
    data: {
      phase: model.phase,
      status: model.status,
      endDate: new Date(`${model.endDate}T00:00:00Z`),
      coordinatorId: person.id,
      paused: model.paused,
      healthScore: model.health.score,
      healthBand: model.health.band,
      healthTrend: model.health.trend,
      signals: json(model.health.signals),
      riskLevel: model.risk?.level ?? null,
      riskCauses: model.risk?.causes.map((c) => c.cause) ?? [],
      risk: model.risk ? json(model.risk) : Prisma.DbNull,
      kickoffStatus: model.kickoff.status,
      kickoffProposal: model.kickoff.proposal,
      kickoffSlots: json(model.kickoff.slots),
      kickoffLocation: model.kickoff.location ?? null,
      kickoffAt: date(model.kickoff.startsAt),
      kickoffDeadlineAt: date(model.kickoff.deadlineAt),
      kickoffHeldAt: date(model.kickoff.heldAt),
      checkinsCompleted: model.checkins.completedRounds,
      checkinsAsked: model.checkins.asked,
      checkinsAnswered: model.checkins.answered,
      lastCheckinAt: date(model.checkins.lastRoundAt),
      lastCheckinResponse: model.checkins.completedRounds
        ? lastAnswered.length === 2
          ? 'both'
          : (lastAnswered[0] ?? 'none')
        : null,
      openEscalations: model.escalations.filter((e) => e.status !== 'resolved').length,
      nextStepAt: date(model.nextStep?.at),
      nextStep: model.nextStep?.what ?? null,
      outcomeReason: model.outcome?.reason ?? null,
      closedAt: date(model.outcome?.at),
      playbookVersion: model.playbookVersion,
      deliveryProblems: json(model.deliveryProblems),
    },
  });
  const { lastClosed, current } = model.checkins;
  const rounds = [
    ...(lastClosed && lastClosed.round !== current?.round ? [{ ...lastClosed, status: 'closed' as const }] : []),
    ...(current ? [current] : []),
  ];
  await tx.$executeRawUnsafe(
    ROWS_SQL,
    matchId,
    JSON.stringify(
      rounds.map((r) => ({
        round: r.round,
        kind: r.kind,
        status: r.status,
        openedAt: instant(r.openedAt),
        closeAt: instant(r.closeAt),
        expiresAt: instant(r.expiresAt),
        answered: r.answered,
      })),
    ),
    JSON.stringify(
      model.escalations.map((e) => ({
        id: e.id,
        type: e.type,
        severity: e.severity,
        status: e.status,
        level: e.level,
        reasons: e.reasons,
        reason: e.reason ?? null,
        evidence: e.evidence,
        openedAt: instant(e.openedAt),
        dueAt: instant(e.dueAt),
        acknowledgedAt: instant(e.acknowledgedAt),
        snoozedUntil: instant(e.snoozedUntil),
        snoozeReason: e.snoozeReason ?? null,
        resolvedAt: instant(e.resolvedAt),
        resolvedBy: e.resolution?.by ?? null,
        resolution: e.resolution?.note ?? null,
      })),
    ),
    JSON.stringify(
      model.tasks.map((t) => ({
        id: t.id,
        key: t.key,
        label: t.label,
        status: t.status,
        openAt: instant(t.openAt),
        dueAt: instant(t.dueAt),
        doneAt: instant(t.doneAt),
        note: t.note ?? null,
      })),
    ),
    JSON.stringify(
      model.contracts.map((c) => ({
        type: c.type,
        label: c.label,
        required: c.required,
        status: c.status,
        dueAt: instant(c.dueAt),
        reason: c.reason ?? null,
        updatedAt: instant(c.updatedAt),
      })),
    ),
    new Date().toISOString(),
  );
}

export function createReadModelActivities({ db }: ActivityDeps) {
  /** Writes what the database takes when the batch as a whole was refused: each event alone, skipping the bad ones. */
  async function writeOneByOne(matchId: string, events: PendingEvent[], model: MatchReadModel): Promise<void> {
    await db.$transaction((tx) => writeModel(tx, matchId, model, changedAt(events)));
    for (const e of events) {
      try {
        await db.matchEvent.createMany({ data: [eventRow(matchId, e)], skipDuplicates: true });
      } catch (error) {
        if (!isRefusedValue(error)) throw error;
        const reason = (error instanceof Error ? error.message : String(error)).split('\n').filter(Boolean).at(-1);
        await db.matchEvent.createMany({
          data: [
            {
              key: `${e.key}/skipped`,
              matchId,
              type: EVENT_SKIPPED,
              payload: json(storable({ key: e.key, type: e.type, reason: reason?.slice(0, 500) ?? 'refused' })),
              occurredAt: Number.isNaN(Date.parse(e.at)) ? new Date() : new Date(e.at),
            },
          ],
          skipDuplicates: true,
        });
      }
    }
  }

  return {
    /**
     * Writes the match's timeline events and its current read model (status, health, escalations, tasks,
     * contracts) in one transaction. Text Postgres cannot store is replaced first; an event the database still
     * refuses is skipped and recorded on the timeline as `read_model.event_skipped`, so no event can hold the read
     * model back.
     */
    async syncMatch(input: SyncMatchInput): Promise<void> {
      const { matchId, events, model } = storable(input);
      try {
        await db.$transaction(async (tx) => {
          if (events.length) {
            await tx.matchEvent.createMany({ data: events.map((e) => eventRow(matchId, e)), skipDuplicates: true });
          }
          await writeModel(tx, matchId, model, changedAt(events));
        });
      } catch (error) {
        if (!isRefusedValue(error)) throw error;
        await writeOneByOne(matchId, events, model);
      }
    },
  };
}
