import { Prisma } from '@prisma/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import type { matchWorkflow } from '../../workflows';
import { localDate } from '../../workflows/calendar';
import {
  MATCH_ID_PATTERN,
  matchWorkflowId,
  searchAttributes,
  type Locale,
  type MatchSnapshot,
  type Participant,
} from '../../workflows/shared';
import type { Database } from '../../prisma/client';
import type { ApiDeps } from '../deps';
import { AppError, isTemporalUnreachable } from '../errors';
import { ZText } from '../../workflows/text';
import { currentPlaybook } from './playbooks';

const ZIsoDate = z.iso.date({ error: 'must be a date as YYYY-MM-DD' });

export const ZPersonInput = z.object({
  name: ZText.line({ max: 200 }),
  email: ZText.email(),
  locale: z.enum(['ja', 'en']).default('ja'),
});

export const ZCreateMatchRequest = z
  .object({
    id: z
      .string()
      .regex(MATCH_ID_PATTERN, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
    programId: ZText.token({ max: 64 }),
    title: ZText.line({ max: 200 }),
    region: ZText.line({ max: 100 }).optional(),
    startDate: ZIsoDate,
    endDate: ZIsoDate.optional(),
    /** An exact end instant instead of an end date: for short engagements and for running a lifecycle in minutes. */
    endsAt: z.iso.datetime({ offset: true, error: 'must be an ISO date-time with a zone' }).optional(),
    host: ZPersonInput.extend({ organization: ZText.line({ max: 200 }) }),
    talent: ZPersonInput,
    coordinator: ZPersonInput,
  })
  // Cross-field checks run even when other fields are wrong, so one answer lists every problem; each check looks
  // only at fields that are themselves valid.
  .superRefine(
    (m, ctx) => {
      const valid = (schema: z.ZodType, value: unknown) => value !== undefined && schema.safeParse(value).success;
      const start = valid(ZIsoDate, m.startDate) ? m.startDate : undefined;
      const end = valid(ZIsoDate, m.endDate) ? m.endDate : undefined;
      const endsAt = valid(z.iso.datetime({ offset: true }), m.endsAt) ? m.endsAt : undefined;
      if (m.endDate === undefined && m.endsAt === undefined) {
        ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'is required (or give endsAt)' });
      }
      if (m.endDate !== undefined && m.endsAt !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'give either endDate or endsAt, not both' });
      }
      if (start && end && end <= start)
        ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must be after startDate' });
      if (start && endsAt && localDate(Date.parse(endsAt), MATCH_DATE_ZONE) < start) {
        ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must not be before startDate' });
      }
      const hostEmail = m.host?.email;
      if (typeof hostEmail === 'string' && hostEmail !== '' && hostEmail === m.talent?.email) {
        ctx.addIssue({ code: 'custom', path: ['talent', 'email'], message: 'must differ from the host' });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  // With endsAt, the end date is the day it falls on (in Japan, where match dates are kept).
  .transform((m) => ({ ...m, endDate: m.endDate ?? localDate(Date.parse(m.endsAt!), MATCH_DATE_ZONE) }));
export type TCreateMatchRequest = z.input<typeof ZCreateMatchRequest>;
export type TMatchInput = z.output<typeof ZCreateMatchRequest>;

/** The zone calendar dates of matches are read in when an exact instant is given. */
const MATCH_DATE_ZONE = 'Asia/Tokyo';

const personSelect = { id: true, name: true, email: true, locale: true, organization: true } as const;

export const matchSelect = {
  id: true,
  programId: true,
  title: true,
  region: true,
  startDate: true,
  endDate: true,
  endsAt: true,
  status: true,
  phase: true,
  createdAt: true,
  program: { select: { name: true, managers: { select: { person: { select: personSelect } } } } },
  host: { select: personSelect },
  talent: { select: personSelect },
  coordinator: { select: personSelect },
} satisfies Prisma.MatchSelect;

export type MatchRow = Prisma.MatchGetPayload<{ select: typeof matchSelect }>;

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

const ZPersonView = z.object({
  name: z.string(),
  email: z.string(),
  locale: z.string(),
  organization: z.string().optional(),
});

/** A match as the API shows it. */
export const ZMatchView = z.object({
  id: z.string(),
  programId: z.string(),
  title: z.string(),
  region: z.string().nullable(),
  startDate: z.string(),
  endDate: z.string(),
  endsAt: z.string().nullable(),
  status: z.enum(['open', 'paused', 'completed', 'terminated_early', 'cancelled']),
  phase: z.enum(['onboarding', 'active', 'wrap_up', 'closed']),
  host: ZPersonView,
  talent: ZPersonView,
  coordinator: ZPersonView,
  createdAt: z.string(),
});

export function toMatchView(m: MatchRow): z.infer<typeof ZMatchView> {
  const person = (p: MatchRow['host']) => ({
    name: p.name,
    email: p.email,
    locale: p.locale,
    ...(p.organization ? { organization: p.organization } : {}),
  });
  return {
    id: m.id,
    programId: m.programId,
    title: m.title,
    region: m.region,
    startDate: isoDate(m.startDate),
    endDate: isoDate(m.endDate),
    endsAt: m.endsAt?.toISOString() ?? null,
    status: m.status as z.infer<typeof ZMatchView>['status'],
    phase: m.phase as z.infer<typeof ZMatchView>['phase'],
    host: person(m.host),
    talent: person(m.talent),
    coordinator: person(m.coordinator),
    createdAt: m.createdAt.toISOString(),
  };
}

function participant(p: MatchRow['host']): Participant {
  return {
    personId: p.id,
    name: p.name,
    email: p.email,
    locale: p.locale as Locale,
    ...(p.organization ? { organization: p.organization } : {}),
  };
}

/** The snapshot a match workflow starts with. */
export function toSnapshot(m: MatchRow): MatchSnapshot {
  return {
    id: m.id,
    programId: m.programId,
    programName: m.program.name,
    title: m.title,
    startDate: isoDate(m.startDate),
    endDate: isoDate(m.endDate),
    ...(m.endsAt ? { endsAt: m.endsAt.toISOString() } : {}),
    host: participant(m.host),
    talent: participant(m.talent),
    coordinator: participant(m.coordinator),
    programManagers: m.program.managers.map((pm) => participant(pm.person)),
  };
}

/** A coordinator taking over a match, as the workflow knows them: a person of the read model first. */
export async function coordinatorParticipant(
  db: Database,
  coordinator: z.infer<typeof ZPersonInput>,
): Promise<Participant> {
  const person = await db.person.upsert({
    where: { email: coordinator.email },
    create: { email: coordinator.email, name: coordinator.name, locale: coordinator.locale, role: 'coordinator' },
    update: {},
    select: { id: true },
  });
  return { personId: person.id, name: coordinator.name, email: coordinator.email, locale: coordinator.locale };
}

/** What registering a match needs: the database and a Temporal client (the API and the CLI both have them). */
export type MatchStarter = Pick<ApiDeps, 'db' | 'temporal' | 'taskQueue'>;

/** Writes a match and its people (created or updated by email) in one transaction. */
export async function storeMatch(db: Database, input: TMatchInput): Promise<MatchRow> {
  return db.$transaction(async (tx) => {
    const upsertPerson = (p: z.infer<typeof ZPersonInput> & { organization?: string }, role: string) =>
      tx.person.upsert({
        where: { email: p.email },
        create: { email: p.email, name: p.name, locale: p.locale, role, organization: p.organization ?? null },
        // An existing person is left as they are: a match in one program must not rename or re-language someone who
        // also takes part in another.
        update: {},
        select: { id: true },
      });
    const host = await upsertPerson(input.host, 'host');
    const talent = await upsertPerson(input.talent, 'talent');
    const coordinator = await upsertPerson(input.coordinator, 'coordinator');
    return tx.match.create({
      data: {
        id: input.id,
        programId: input.programId,
        title: input.title,
        region: input.region ?? null,
        startDate: new Date(`${input.startDate}T00:00:00Z`),
        endDate: new Date(`${input.endDate}T00:00:00Z`),
        endsAt: input.endsAt ? new Date(input.endsAt) : null,
        hostId: host.id,
        talentId: talent.id,
        coordinatorId: coordinator.id,
        workflowId: matchWorkflowId(input.id),
        cohort: input.startDate.slice(0, 7),
      },
      select: matchSelect,
    });
  });
}

/**
 * Stores a match and starts its workflow. A duplicate id is a 409; if Temporal cannot be reached the stored match is
 * removed again and the caller gets a 503, so a match exists only when its workflow does.
 */
export async function createMatch(deps: MatchStarter, input: TMatchInput): Promise<MatchRow> {
  const { db, temporal } = deps;
  const program = await db.program.findUnique({ where: { id: input.programId }, select: { id: true } });
  if (!program) {
    throw new AppError('validation_failed', 'The body has 1 invalid field(s).', [
      { field: 'programId', message: 'no program with this id' },
    ]);
  }
  const workflowId = matchWorkflowId(input.id);
  let row: MatchRow | undefined;
  for (let attempt = 1; !row; attempt++) {
    try {
      row = await storeMatch(db, input);
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) throw error;
      if (await db.match.findUnique({ where: { id: input.id }, select: { id: true } })) {
        throw new AppError('conflict', `A match with id "${input.id}" already exists.`);
      }
      // A person was registered by a concurrent request at the same moment; the next attempt finds them.
      if (attempt >= 3) throw error;
    }
  }

  const playbook = await currentPlaybook(db, input.programId);
  try {
    await temporal.workflow.start<typeof matchWorkflow>('matchWorkflow', {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [{ match: toSnapshot(row), playbook }],
      typedSearchAttributes: [
        { key: searchAttributes.programId, value: row.programId },
        { key: searchAttributes.status, value: row.status },
      ],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      // A workflow with this id ran before (its match row was deleted since); keep the row out of the read model.
      await db.match.delete({ where: { id: row.id } });
      throw new AppError('conflict', `A match workflow with id "${workflowId}" already exists.`);
    }
    await db.match.delete({ where: { id: row.id } }).catch(() => undefined);
    if (isTemporalUnreachable(error)) {
      throw new AppError(
        'unavailable',
        'The workflow service cannot be reached; the match was not created. Try again.',
      );
    }
    // Anything else (e.g. search attributes not registered) is a setup problem: logged, answered as a 500.
    throw error;
  }
  return row;
}
