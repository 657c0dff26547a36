import { createHash } from 'node:crypto';
import type { Prisma } from '@prisma/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { sqlRowsWithin, type Database } from '../../prisma/client';
import type { matchWorkflow } from '../../workflows';
import {
  matchIdFor,
  matchReference,
  matchWorkflowId,
  searchAttributes,
  type PlaybookSnapshot,
} from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import { AppError, isTemporalUnreachable } from '../errors';
import { canonical } from '../idempotency';
import { beforeDeadline, temporalDeadline } from './actions';
import { matchSelect, toSnapshot, type MatchRow, type TMatchInput } from './matches';
import type { PersonInput } from './people';
import { currentPlaybook } from './playbooks';

/**
 * Registering a match takes two systems: its row in Postgres and its workflow in Temporal. It is done in an order
 * that any failure leaves either nothing, or a row marked "registering" that a retry of the same request (or the
 * reconciler, `reconcileRegistrations`) finishes:
 *
 * 1. Temporal is asked whether `match:<id>` exists. If it cannot be reached, nothing has been stored: 503.
 * 2. The row is stored with `registeredAt = null` and the hash of the request.
 * 3. The workflow is started with that hash in its memo. When the start's reply is lost (a timeout: the workflow may
 *    have started), the row stays registering and the caller gets a 503 saying so.
 * 4. The row is marked registered.
 *
 * The same request again returns the same match whatever happened in between; another request with the same id is a
 * 409. A workflow found with this id is taken as this registration's own only when its memo carries the same hash.
 */

/** What registering a match needs: the database and a Temporal client (the API and the CLI both have them). */
export type MatchStarter = Pick<ApiDeps, 'db' | 'temporal' | 'taskQueue' | 'temporalDeadlineMs'>;

/** The memo key on a match workflow that names the registration that started it. */
export const REGISTRATION_MEMO = 'registration';

/** Rows this young are left to the request that is registering them; the reconciler takes older ones. */
export const REGISTRATION_SETTLE_MS = 60_000;

/** The hash of a registration request as read (normalised emails, defaults filled, the end instant in UTC). */
export function requestHash(input: TMatchInput): string {
  const normal = { ...input, endsAt: input.endsAt ? new Date(input.endsAt).toISOString() : undefined };
  return createHash('sha256')
    .update(JSON.stringify(canonical(normal)))
    .digest('hex');
}

/**
 * Where the matches that requests name (a program and its own id for the match) are stored: under
 * `<program>:<reference>`, or, registered before ids were per program, under the reference alone, in that program only
 * (so another program's match is never found). `keyOf` tells which request a row found is for.
 */
export const matchesOf = (inputs: Pick<TMatchInput, 'programId' | 'id'>[]) =>
  ({
    OR: [
      { id: { in: inputs.map((input) => matchIdFor(input.programId, input.id)) } },
      { id: { in: inputs.map((input) => input.id) }, programId: { in: [...new Set(inputs.map((i) => i.programId))] } },
    ],
  }) satisfies Prisma.MatchWhereInput;

/** `<program>:<reference>` of a stored match: its id, or the id it would have now if registered before. */
export const keyOf = (row: { id: string; programId: string }) => matchIdFor(row.programId, matchReference(row.id));

/**
 * Stores a match and its people in one statement: each person is the program's record with that email, or a new one
 * (an existing record is left as it is, as `personOf` leaves it), and the match row with their ids; it answers with
 * the row as `matchSelect` reads it. One statement is one round trip and atomic without a transaction: under load a
 * registration no longer holds a connection through the round trips of an interactive transaction, each compiled by
 * Prisma. With a hash, the row is stored as registering.
 */
const STORE_MATCH_SQL = `
WITH given AS (
  SELECT DISTINCT ON (email) email, name, locale, role, organization
  FROM json_to_recordset($2::json) AS g(n int, email text, name text, locale text, role text, organization text)
  ORDER BY email, n
), people AS (
  INSERT INTO "Person" (id, "programId", email, name, locale, role, organization, "createdAt")
  SELECT gen_random_uuid()::text, $1, email, name, locale, role, organization, $14::timestamp(3) FROM given
  ON CONFLICT ("programId", email) DO UPDATE SET email = EXCLUDED.email
  RETURNING id, email, name, locale, organization
), made AS (
  INSERT INTO "Match" (id, "programId", title, region, "startDate", "endDate", "endsAt", "hostId", "talentId",
    "coordinatorId", "workflowId", cohort, "requestHash", "registeredAt", "createdAt", "updatedAt")
  SELECT $3, $1, $4, $5, $6::date, $7::date, $8::timestamp(3),
    (SELECT id FROM people WHERE email = $9), (SELECT id FROM people WHERE email = $10),
    (SELECT id FROM people WHERE email = $11), $12, $13, $15,
    CASE WHEN $15::text IS NULL THEN $14::timestamp(3) END, $14::timestamp(3), $14::timestamp(3)
  RETURNING id, "programId", title, region, "startDate", "endDate", "endsAt", status, phase, "createdAt",
    "requestHash", "registeredAt"
)
SELECT made.*, program.name AS "programName",
  (SELECT json_agg(json_build_object('id', id, 'email', email, 'name', name, 'locale', locale,
    'organization', organization)) FROM people) AS people,
  (SELECT coalesce(json_agg(json_build_object('id', pe.id, 'email', pe.email, 'name', pe.name, 'locale', pe.locale,
    'organization', pe.organization) ORDER BY pe.id), '[]')
   FROM "ProgramManager" pm JOIN "Person" pe ON pe.id = pm."personId" WHERE pm."programId" = $1) AS managers
FROM made JOIN "Program" program ON program.id = made."programId"`;

/** How long storing a match may take before it is given up (rolled back) and the caller told to try again. */
const STORE_TIMEOUT_MS = 5000;

type StoredPerson = MatchRow['host'];
type StoredMatch = Omit<MatchRow, 'program' | 'host' | 'talent' | 'coordinator'> & {
  programName: string;
  people: StoredPerson[];
  managers: StoredPerson[];
};

/** Writes a match and its people (the program's records, found by email) at once; with a hash, as registering. */
export async function storeMatch(db: Database, input: TMatchInput, registration?: string): Promise<MatchRow> {
  const id = matchIdFor(input.programId, input.id);
  const roles = ['host', 'talent', 'coordinator'] as const;
  const given = roles.map((role, n) => {
    const p: PersonInput = input[role];
    return { n, email: p.email, name: p.name, locale: p.locale, role, organization: p.organization ?? null };
  });
  const [row] = await sqlRowsWithin<StoredMatch>(db, STORE_TIMEOUT_MS, STORE_MATCH_SQL, [
    input.programId,
    JSON.stringify(given),
    id,
    input.title,
    input.region ?? null,
    input.startDate,
    input.endDate,
    input.endsAt ? new Date(input.endsAt).toISOString() : null,
    input.host.email,
    input.talent.email,
    input.coordinator.email,
    matchWorkflowId(id),
    input.startDate.slice(0, 7),
    new Date().toISOString(),
    registration ?? null,
  ]);
  const { programName, people, managers, ...match } = row!;
  const person = (email: string) => {
    const { id, name, locale, organization } = people.find((p) => p.email === email)!;
    return { id, name, email, locale, organization };
  };
  return {
    ...match,
    program: { name: programName, managers: managers.map((m) => ({ person: m })) },
    host: person(input.host.email),
    talent: person(input.talent.email),
    coordinator: person(input.coordinator.email),
  };
}

/** Whether Postgres refused a row `storeMatch` wrote for a unique constraint (SQLSTATE 23505). */
const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | undefined)?.code === '23505';

const conflict = (id: string) =>
  new AppError('conflict', `A match with id "${id}" already exists, with other details than this request's.`);

const unreachable = (id: string, stored: boolean) =>
  new AppError(
    'unavailable',
    stored
      ? `Temporal did not confirm that the workflow of match "${id}" started. The match is saved and will start as ` +
          'soon as Temporal answers; sending the same request again returns it.'
      : 'Temporal (the workflow service) cannot be reached; the match was not registered. Try again.',
  );

type Found = { registration: string | undefined } | undefined;

/** The workflow `match:<id>` as far as registration cares: absent, or present with the registration in its memo. */
async function findWorkflow(deps: MatchStarter, id: string, deadline: number): Promise<Found> {
  try {
    const description = await beforeDeadline(deps.temporal, deadline, () =>
      deps.temporal.workflow.getHandle(matchWorkflowId(id)).describe(),
    );
    const registration = description.memo?.[REGISTRATION_MEMO];
    return { registration: typeof registration === 'string' ? registration : undefined };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

async function markRegistered(db: Database, row: MatchRow): Promise<MatchRow> {
  const { registeredAt } = await db.match.update({
    where: { id: row.id },
    data: { registeredAt: new Date() },
    select: { registeredAt: true },
  });
  return { ...row, registeredAt };
}

/**
 * Starts the workflow of a registering row (or finds the one this registration started) and marks the row
 * registered. A workflow of another registration under this id makes the row's registration impossible: the row is
 * removed and the caller gets a 409.
 */
export async function completeRegistration(
  deps: MatchStarter,
  row: MatchRow,
  deadline: number,
  programPlaybook?: Promise<PlaybookSnapshot>,
): Promise<MatchRow> {
  const { db, temporal } = deps;
  const playbook = await (programPlaybook ?? currentPlaybook(db, row.programId));
  try {
    await beforeDeadline(temporal, deadline, () =>
      temporal.workflow.start<typeof matchWorkflow>('matchWorkflow', {
        workflowId: matchWorkflowId(row.id),
        taskQueue: deps.taskQueue,
        args: [{ match: toSnapshot(row), playbook }],
        memo: { [REGISTRATION_MEMO]: row.requestHash ?? '' },
        typedSearchAttributes: [
          { key: searchAttributes.programId, value: row.programId },
          { key: searchAttributes.status, value: row.status },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      // Started before: by this registration (a reply lost on the way) or by another one.
      const found = await findWorkflow(deps, row.id, deadline).catch((e: unknown) => {
        throw isTemporalUnreachable(e) ? unreachable(row.id, true) : e;
      });
      if (!found || !row.requestHash || found.registration !== row.requestHash) {
        await db.match.delete({ where: { id: row.id } });
        throw new AppError('conflict', `A match workflow with id "${matchWorkflowId(row.id)}" already exists.`);
      }
    } else if (isTemporalUnreachable(error)) {
      // The start may or may not have reached Temporal: the row stays registering, to be finished.
      throw unreachable(row.id, true);
    } else {
      // Temporal answered with an error (a setup problem such as unregistered search attributes): nothing started.
      await db.match.delete({ where: { id: row.id } }).catch(() => undefined);
      throw error;
    }
  }
  return markRegistered(db, row);
}

/**
 * Registers a match: stores it and starts its workflow, idempotently (see the top of this file). Answers within the
 * request's Temporal deadline (`temporalDeadline`): half of what is left for asking whether the workflow exists, the
 * rest for starting it.
 */
export async function registerMatch(deps: MatchStarter, input: TMatchInput): Promise<MatchRow> {
  const { db } = deps;
  const deadline = temporalDeadline(deps);
  const hash = requestHash(input);
  const id = matchIdFor(input.programId, input.id);
  // Whether the row is stored is asked without its relations; they are read only for a row found (a retry).
  const stored = async () => {
    const rows = await db.match.findMany({
      where: matchesOf([input]),
      select: { id: true, programId: true },
      orderBy: { createdAt: 'asc' },
    });
    const found = rows.find((m) => keyOf(m) === id);
    return found && ((await db.match.findUnique({ where: { id: found.id }, select: matchSelect })) ?? undefined);
  };
  // What a new registration needs is asked at once (a retry of a registered one does not wait for Temporal's answer,
  // nor fail when Temporal cannot be reached): the program, the row, the workflow, the playbook.
  const workflow = findWorkflow(deps, id, Date.now() + (deadline - Date.now()) / 2).then(
    (found) => ({ found }),
    (error: unknown) => ({ error }),
  );
  const playbook = currentPlaybook(db, input.programId);
  playbook.catch(() => undefined);
  const [program, existing] = await Promise.all([
    db.program.findUnique({ where: { id: input.programId }, select: { id: true } }),
    stored(),
  ]);
  if (!program) {
    throw new AppError('validation_failed', 'The body has 1 invalid field(s).', [
      { field: 'programId', message: 'no program with this id' },
    ]);
  }
  let row = existing;
  if (!row) {
    // Nothing is stored before Temporal has answered: if it cannot be reached, nothing is left behind.
    const asked = await workflow;
    if ('error' in asked) throw isTemporalUnreachable(asked.error) ? unreachable(id, false) : asked.error;
    const { found } = asked;
    // A workflow with this id but no row: another registration's, whose row is gone (the reconciler writes it back).
    if (found && found.registration !== hash) {
      throw new AppError('conflict', `A match workflow with id "${matchWorkflowId(id)}" already exists.`);
    }
    for (let attempt = 1; !row; attempt++) {
      try {
        row = await storeMatch(db, input, hash);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The same id registered at the same moment (the check below decides), or a person created meanwhile.
        row = await stored();
        if (!row && attempt >= 3) throw error;
      }
    }
  }
  if (row.requestHash !== hash) throw conflict(row.id);
  if (row.registeredAt) return row;
  return completeRegistration(deps, row, deadline, playbook);
}
