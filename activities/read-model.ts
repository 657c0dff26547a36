import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sqlTransaction, type SqlTransaction } from '../prisma/client';
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

/** A value no retry can store (an event's time that is no instant): the event is skipped, as the database's refusals are. */
class RefusedValue extends Error {}

/**
 * Whether the database refused a value (bad data, not a connection or a conflict): such a write fails the same way
 * on every retry, so it must be skipped rather than retried. Postgres's own refusals are SQLSTATE class 22 (data
 * exception) and 23 (integrity).
 */
function isRefusedValue(error: unknown): boolean {
  if (error instanceof RefusedValue) return true;
  return error instanceof pg.DatabaseError && /^2[23]/.test(error.code ?? '');
}

/** The timeline's events, in order, as one statement writes them; an event already written (its key) is left as it is. */
const EVENTS_SQL = `
INSERT INTO "MatchEvent" (key, "matchId", type, payload, "occurredAt")
SELECT e->>'key', $1, e->>'type', coalesce((e->'payload')::jsonb, '{}'), (e->>'at')::timestamp(3)
FROM json_array_elements($2::json) WITH ORDINALITY AS x(e, n) ORDER BY n
ON CONFLICT (key) DO NOTHING`;

type EventRow = { key: string; type: string; payload: unknown; at: string };

function writeEvents(tx: SqlTransaction, matchId: string, events: EventRow[]): Promise<number> {
  return tx.write(EVENTS_SQL, [matchId, JSON.stringify(events)]);
}

/** An event as the timeline stores it; its time in UTC, as Prisma keeps \`DateTime\`. */
function eventRow(e: PendingEvent): EventRow {
  const at = Date.parse(e.at);
  if (Number.isNaN(at)) throw new RefusedValue(`the event's time is no instant: ${JSON.stringify(e.at).slice(0, 100)}`);
  return { key: e.key, type: e.type, payload: e.payload, at: new Date(at).toISOString() };
}

/** When a sync's changes happened: its newest timeline event (workflow time), or now if it carries none. */
const changedAt = (events: PendingEvent[]) =>
  new Date(Math.max(...events.map((e) => Date.parse(e.at)).filter((t) => !Number.isNaN(t)), 0) || Date.now());

/**
 * The coordinator's person: made with the given id unless a person has it already (or the program has one with that
 * address), then the program's person with that address.
 */
const PERSON_SQL = `
WITH made AS (
  INSERT INTO "Person" (id, "programId", email, name, locale, role, "createdAt")
  VALUES ($1, $2, $3, $4, $5, 'coordinator', $6)
  ON CONFLICT DO NOTHING RETURNING id
)
SELECT id FROM made UNION ALL (SELECT id FROM "Person" WHERE "programId" = $2 AND email = $3) LIMIT 1`;

/**
 * The person of the match's program a (reassigned) coordinator is, made here once the workflow has taken the handover
 * (the API stores nobody before): with the id the workflow was given, unless another person already has it (ids a
 * test or an older workflow chose), and never twice for one address.
 */
async function coordinatorPerson(tx: SqlTransaction, programId: string, coordinator: Participant): Promise<string> {
  for (const id of [coordinator.personId, randomUUID(), randomUUID()]) {
    const values = [id, programId, coordinator.email, coordinator.name, coordinator.locale, new Date().toISOString()];
    const [person] = await tx.rows<{ id: string }>(PERSON_SQL, values);
    if (person) return person.id;
  }
  throw new Error("the coordinator's person could be neither found nor made");
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

const MATCH_SQL = `SELECT "programId", "healthScore", "healthBand" FROM "Match" WHERE id = $1`;
const HEALTH_SAMPLE_SQL = `INSERT INTO "HealthSample" ("matchId", at, score, band) VALUES ($1, $2, $3, $4)`;

/** The read model's columns of the match's row, in the order of \`MATCH_UPDATE_SQL\`'s values after the id. */
const MODEL_COLUMNS = [
  'phase',
  'status',
  'endDate',
  'coordinatorId',
  'paused',
  'healthScore',
  'healthBand',
  'healthTrend',
  'signals',
  'riskLevel',
  'riskCauses',
  'risk',
  'kickoffStatus',
  'kickoffProposal',
  'kickoffSlots',
  'kickoffLocation',
  'kickoffAt',
  'kickoffDeadlineAt',
  'kickoffHeldAt',
  'checkinsCompleted',
  'checkinsAsked',
  'checkinsAnswered',
  'lastCheckinAt',
  'lastCheckinResponse',
  'openEscalations',
  'nextStepAt',
  'nextStep',
  'outcomeReason',
  'closedAt',
  'playbookVersion',
  'deliveryProblems',
  'updatedAt',
] as const;
const MATCH_UPDATE_SQL = `UPDATE "Match" SET ${MODEL_COLUMNS.map((c, i) => `"${c}" = $${i + 2}`).join(', ')} WHERE id = $1`;

/** A value for a \`jsonb\` column (pg would write an array as a Postgres array). */
const jsonb = (value: unknown) => JSON.stringify(value);

/**
 * The match's row and the rows beside it (rounds, escalations, tasks, contracts) as the read model says; a health
 * that changed is also kept as a sample at `at` (the program's health over time).
 */
async function writeModel(tx: SqlTransaction, matchId: string, model: MatchReadModel, at: Date): Promise<void> {
  const [match] = await tx.rows<{ programId: string; healthScore: number | null; healthBand: string }>(MATCH_SQL, [
    matchId,
  ]);
  if (!match) throw new Error('the match has no row to keep its read model in');
  if (match.healthScore !== model.health.score || match.healthBand !== model.health.band) {
    await tx.write(HEALTH_SAMPLE_SQL, [matchId, at.toISOString(), model.health.score, model.health.band]);
  }
  const coordinatorId = await coordinatorPerson(tx, match.programId, model.coordinator);
  const lastAnswered = model.checkins.lastRoundAnswered;
  const columns: Record<(typeof MODEL_COLUMNS)[number], unknown> = {
    phase: model.phase,
    status: model.status,
    endDate: model.endDate,
    coordinatorId,
    paused: model.paused,
    healthScore: model.health.score,
    healthBand: model.health.band,
    healthTrend: model.health.trend,
    signals: jsonb(model.health.signals),
    riskLevel: model.risk?.level ?? null,
    riskCauses: model.risk?.causes.map((c) => c.cause) ?? [],
    risk: model.risk ? jsonb(model.risk) : null,
    kickoffStatus: model.kickoff.status,
    kickoffProposal: model.kickoff.proposal,
    kickoffSlots: jsonb(model.kickoff.slots),
    kickoffLocation: model.kickoff.location ?? null,
    kickoffAt: instant(model.kickoff.startsAt),
    kickoffDeadlineAt: instant(model.kickoff.deadlineAt),
    kickoffHeldAt: instant(model.kickoff.heldAt),
    checkinsCompleted: model.checkins.completedRounds,
    checkinsAsked: model.checkins.asked,
    checkinsAnswered: model.checkins.answered,
    lastCheckinAt: instant(model.checkins.lastRoundAt),
    lastCheckinResponse: model.checkins.completedRounds
      ? lastAnswered.length === 2
        ? 'both'
        : (lastAnswered[0] ?? 'none')
      : null,
    openEscalations: model.escalations.filter((e) => e.status !== 'resolved').length,
    nextStepAt: instant(model.nextStep?.at),
    nextStep: model.nextStep?.what ?? null,
    outcomeReason: model.outcome?.reason ?? null,
    closedAt: instant(model.outcome?.at),
    playbookVersion: model.playbookVersion,
    deliveryProblems: jsonb(model.deliveryProblems),
    updatedAt: new Date().toISOString(),
  };
  await tx.write(MATCH_UPDATE_SQL, [matchId, ...MODEL_COLUMNS.map((c) => columns[c])]);
  const { lastClosed, current } = model.checkins;
  const rounds = [
    ...(lastClosed && lastClosed.round !== current?.round ? [{ ...lastClosed, status: 'closed' as const }] : []),
    ...(current ? [current] : []),
  ];
  await tx.write(ROWS_SQL, [
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
  ]);
}

export function createReadModelActivities({ db }: ActivityDeps) {
  /** Writes what the database takes when the batch as a whole was refused: each event alone, skipping the bad ones. */
  async function writeOneByOne(matchId: string, events: PendingEvent[], model: MatchReadModel): Promise<void> {
    await sqlTransaction(db, (tx) => writeModel(tx, matchId, model, changedAt(events)));
    for (const e of events) {
      try {
        await sqlTransaction(db, (tx) => writeEvents(tx, matchId, [eventRow(e)]));
      } catch (error) {
        if (!isRefusedValue(error)) throw error;
        const reason = (error instanceof Error ? error.message : String(error)).split('\n').filter(Boolean).at(-1);
        const at = Number.isNaN(Date.parse(e.at)) ? new Date() : new Date(e.at);
        const skipped = {
          key: `${e.key}/skipped`,
          type: EVENT_SKIPPED,
          payload: storable({ key: e.key, type: e.type, reason: reason?.slice(0, 500) ?? 'refused' }),
          at: at.toISOString(),
        };
        await sqlTransaction(db, (tx) => writeEvents(tx, matchId, [skipped]));
      }
    }
  }

  return {
    /**
     * Writes the match's timeline events and its current read model (status, health, escalations, tasks,
     * contracts) in one transaction. Text Postgres cannot store is replaced first; an event the database still
     * refuses is skipped and recorded on the timeline as `read_model.event_skipped`, so no event can hold the read
     * model back. Plain SQL, one prepared statement per table (a sync follows every change of every match).
     */
    async syncMatch(input: SyncMatchInput): Promise<void> {
      const { matchId, events, model } = storable(input);
      try {
        await sqlTransaction(db, async (tx) => {
          if (events.length) await writeEvents(tx, matchId, events.map(eventRow));
          await writeModel(tx, matchId, model, changedAt(events));
        });
      } catch (error) {
        if (!isRefusedValue(error)) throw error;
        await writeOneByOne(matchId, events, model);
      }
    },
  };
}
