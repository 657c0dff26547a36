import { randomUUID } from 'node:crypto';
import type { Prisma } from '@prisma/client';
import { z } from 'zod';
import { localDate } from '../../workflows/calendar';
import {
  MATCH_REFERENCE_PATTERN,
  matchReference,
  type Locale,
  type MatchSnapshot,
  type Participant,
} from '../../workflows/shared';
import { ZText } from '../../workflows/text';
import type { Database } from '../../prisma/client';

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
      .regex(MATCH_REFERENCE_PATTERN, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit')
      .describe("the program's own id for the match, unique within the program; the match's id is `<programId>:<id>`"),
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

export const personSelect = { id: true, name: true, email: true, locale: true, organization: true } as const;

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
  requestHash: true,
  registeredAt: true,
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
  id: z.string().describe('`<programId>:<reference>`: the id in URLs, and the workflow is `match:<id>`'),
  reference: z.string().describe("the program's own id for the match (the `id` it was registered with)"),
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

export function toMatchView(m: Omit<MatchRow, 'program'>): z.infer<typeof ZMatchView> {
  const person = (p: MatchRow['host']) => ({
    name: p.name,
    email: p.email,
    locale: p.locale,
    ...(p.organization ? { organization: p.organization } : {}),
  });
  return {
    id: m.id,
    reference: matchReference(m.id),
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

/**
 * A coordinator taking over a match, as the workflow knows them: the id of the program's person with that address,
 * or a new one. Nothing is stored here: the read model makes the person (with this id) once the workflow has taken
 * the handover, so a handover refused, or never taken because Temporal was down, leaves no record behind.
 */
export async function coordinatorParticipant(
  db: Database,
  matchId: string,
  coordinator: z.infer<typeof ZPersonInput>,
): Promise<Participant> {
  const { programId } = await db.match.findUniqueOrThrow({ where: { id: matchId }, select: { programId: true } });
  const known = await db.person.findUnique({
    where: { programId_email: { programId, email: coordinator.email } },
    select: { id: true },
  });
  return {
    personId: known?.id ?? randomUUID(),
    name: coordinator.name,
    email: coordinator.email,
    locale: coordinator.locale,
  };
}
