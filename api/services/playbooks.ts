import type { Prisma } from '@prisma/client';
import { z } from 'zod';
import type { Database } from '../../prisma/client';
import { DURATION_PATTERN, durationMs } from '../../workflows/durations';
import { DEFAULT_PLAYBOOK, DEFAULT_RISK_MODEL, type Playbook } from '../../workflows/playbook';
import type { PlaybookSnapshot } from '../../workflows/shared';
import { ZText } from '../../workflows/text';

const MAX_DURATION_MS = 3 * 365 * 86_400_000;
const ZDuration = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration such as 14d, 36h, 30s')
  .refine((d) => !DURATION_PATTERN.test(d) || durationMs(d) <= MAX_DURATION_MS, 'must be at most 3 years');
const ZClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM');
const ZLocalized = z.object({ ja: ZText.line({ max: 200 }), en: ZText.line({ max: 200 }) });
const ZKey = z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'must be lowercase letters, digits and _');

/** How many of each list a playbook may have. */
export const PLAYBOOK_LIMITS = { documents: 10, extraQuestions: 10, tasks: 20 } as const;

const M = DEFAULT_RISK_MODEL;
const ZNumber = (min: number, max: number, fallback: number) => z.number().min(min).max(max).default(fallback);
const ZTypical = ZNumber.bind(null, 1, 5);

/** The risk model's numbers (see `RiskModel` in workflows/playbook.ts); every one left out keeps its default. */
const ZRiskModel = z
  .object({
    version: z.literal(1).default(M.version),
    typical: z
      .object({
        working_style: ZTypical(M.typical.working_style),
        remote_tools: ZTypical(M.typical.remote_tools),
        priority: ZTypical(M.typical.priority),
        expectation: ZTypical(M.typical.expectation),
        task_clarity: ZTypical(M.typical.task_clarity),
        contract_admin: ZTypical(M.typical.contract_admin),
        satisfaction: ZTypical(M.typical.satisfaction),
      })
      .default(M.typical),
    priorWeight: ZNumber(0, 20, M.priorWeight),
    typicalWobble: ZNumber(0.1, 3, M.typicalWobble),
    wobblePriorWeight: ZNumber(0, 100, M.wobblePriorWeight),
    wobbleFloor: ZNumber(0.1, 3, M.wobbleFloor),
    wobbleClip: ZNumber(1, 10, M.wobbleClip),
    baselineTolerance: ZNumber(0.1, 10, M.baselineTolerance),
    allowance: ZNumber(0, 5, M.allowance),
    maxPerCheckin: ZNumber(0.1, 10, M.maxPerCheckin),
    carryOver: ZNumber(0, 1, M.carryOver),
    watchAt: ZNumber(0, 20, M.watchAt),
    escalateAt: ZNumber(0.1, 20, M.escalateAt),
    checkinsToEscalate: z.int().min(1).max(10).default(M.checkinsToEscalate),
    satisfactionWeight: ZNumber(0, 5, M.satisfactionWeight),
    otherSideWeight: ZNumber(0, 5, M.otherSideWeight),
    gapAllowance: ZNumber(0, 5, M.gapAllowance),
    silence: z
      .object({
        typicalAnswerRate: ZNumber(0, 1, M.silence.typicalAnswerRate),
        answerRateWeight: ZNumber(0, 50, M.silence.answerRateWeight),
        watchAt: ZNumber(0, 20, M.silence.watchAt),
        escalateAt: ZNumber(0.1, 20, M.silence.escalateAt),
        afterFalling: ZNumber(0, 5, M.silence.afterFalling),
      })
      .default(M.silence),
    bothSidesMissedInARow: z.int().min(1).max(10).default(M.bothSidesMissedInARow),
    clearAfter: z.int().min(1).max(10).default(M.clearAfter),
    cooldownRounds: z.int().min(0).max(26).default(M.cooldownRounds),
  })
  .default(M);

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * A playbook as a program manager writes it. Every field left out takes the default's value, at any depth (a PUT
 * of `{"checkins": {"cadence": "21d"}}` changes only the cadence); the saved version is complete.
 */
export const ZPlaybook = z
  .object({
    timeZone: ZText.token({ max: 64 })
      .refine(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo')
      .default(DEFAULT_PLAYBOOK.timeZone),
    sendingHours: z
      .object({
        start: ZClock.default(DEFAULT_PLAYBOOK.sendingHours.start),
        end: ZClock.default(DEFAULT_PLAYBOOK.sendingHours.end),
      })
      .default(DEFAULT_PLAYBOOK.sendingHours),
    sendDays: z.enum(['weekdays', 'all']).default(DEFAULT_PLAYBOOK.sendDays),
    skipHolidays: z.boolean().default(DEFAULT_PLAYBOOK.skipHolidays),
    kickoff: z
      .object({
        deadline: ZDuration.default(DEFAULT_PLAYBOOK.kickoff.deadline),
        reminderBefore: ZDuration.default(DEFAULT_PLAYBOOK.kickoff.reminderBefore),
      })
      .default(DEFAULT_PLAYBOOK.kickoff),
    contracts: z
      .object({
        documents: z
          .array(z.object({ type: ZKey, label: ZLocalized, required: z.boolean() }))
          .max(PLAYBOOK_LIMITS.documents)
          .refine((docs) => new Set(docs.map((d) => d.type)).size === docs.length, 'document types must be unique')
          .default(DEFAULT_PLAYBOOK.contracts.documents),
        due: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('before_kickoff') }),
            z.object({ kind: z.literal('after_start'), offset: ZDuration }),
          ])
          .default(DEFAULT_PLAYBOOK.contracts.due),
        reminderBefore: ZDuration.default(DEFAULT_PLAYBOOK.contracts.reminderBefore),
      })
      .default(DEFAULT_PLAYBOOK.contracts),
    checkins: z
      .object({
        cadence: ZDuration.default(DEFAULT_PLAYBOOK.checkins.cadence),
        firstAfterKickoff: ZDuration.default(DEFAULT_PLAYBOOK.checkins.firstAfterKickoff),
        reminderAfter: ZDuration.default(DEFAULT_PLAYBOOK.checkins.reminderAfter),
        closeAfter: ZDuration.default(DEFAULT_PLAYBOOK.checkins.closeAfter),
        extraQuestions: z
          .array(z.object({ id: ZKey, label: ZLocalized, kind: z.enum(['scale', 'text']) }))
          .max(PLAYBOOK_LIMITS.extraQuestions)
          .default([]),
      })
      .default(DEFAULT_PLAYBOOK.checkins),
    tasks: z
      .array(
        z.object({
          key: ZKey,
          label: ZLocalized,
          at: z.discriminatedUnion('anchor', [
            z.object({ anchor: z.literal('start'), offset: ZDuration }),
            z.object({ anchor: z.literal('term'), fraction: z.number().min(0).max(1) }),
            z.object({ anchor: z.literal('end'), before: ZDuration }),
            z.object({ anchor: z.literal('close'), offset: ZDuration }),
          ]),
          dueWithin: ZDuration,
        }),
      )
      .max(PLAYBOOK_LIMITS.tasks)
      .default(DEFAULT_PLAYBOOK.tasks),
    risk: z
      .object({
        gapPoints: z.int().min(1).max(4).default(DEFAULT_PLAYBOOK.risk.gapPoints),
        lowScore: z.int().min(1).max(4).default(DEFAULT_PLAYBOOK.risk.lowScore),
        dropPoints: z.int().min(1).max(4).default(DEFAULT_PLAYBOOK.risk.dropPoints),
        missedInARowHigh: z.int().min(1).max(10).default(DEFAULT_PLAYBOOK.risk.missedInARowHigh),
      })
      .default(DEFAULT_PLAYBOOK.risk),
    riskModel: ZRiskModel,
    escalation: z
      .object({ slaBusinessDays: z.int().min(1).max(30).default(DEFAULT_PLAYBOOK.escalation.slaBusinessDays) })
      .default(DEFAULT_PLAYBOOK.escalation),
  })
  .superRefine((p, ctx) => {
    // Fields that failed their own check are already listed; comparisons only between valid values.
    const clock = (v: string) => ZClock.safeParse(v).success;
    if (clock(p.sendingHours.start) && clock(p.sendingHours.end) && p.sendingHours.start >= p.sendingHours.end) {
      ctx.addIssue({ code: 'custom', path: ['sendingHours', 'end'], message: 'must be after start' });
    }
    const c = p.checkins;
    const ms = (v: string) => (DURATION_PATTERN.test(v) ? durationMs(v) : undefined);
    const [reminderAfter, closeAfter, cadence] = [ms(c.reminderAfter), ms(c.closeAfter), ms(c.cadence)];
    if (reminderAfter !== undefined && closeAfter !== undefined && reminderAfter >= closeAfter) {
      ctx.addIssue({ code: 'custom', path: ['checkins', 'reminderAfter'], message: 'must be shorter than closeAfter' });
    }
    if (closeAfter !== undefined && cadence !== undefined && closeAfter > cadence) {
      ctx.addIssue({ code: 'custom', path: ['checkins', 'closeAfter'], message: 'must not be longer than cadence' });
    }
    for (const [path, watch, escalate] of [
      [['riskModel', 'watchAt'], p.riskModel.watchAt, p.riskModel.escalateAt],
      [['riskModel', 'silence', 'watchAt'], p.riskModel.silence.watchAt, p.riskModel.silence.escalateAt],
    ] as const) {
      if (watch > escalate) ctx.addIssue({ code: 'custom', path: [...path], message: 'must not be above escalateAt' });
    }
    if (new Set(p.tasks.map((t) => t.key)).size !== p.tasks.length) {
      ctx.addIssue({ code: 'custom', path: ['tasks'], message: 'task keys must be unique' });
    }
  }) satisfies z.ZodType<Playbook, unknown>;
export type TPlaybook = z.infer<typeof ZPlaybook>;

/** The program's current playbook, or the default (version 0) when it has none yet. */
export async function currentPlaybook(
  db: Database | Prisma.TransactionClient,
  programId: string,
): Promise<PlaybookSnapshot> {
  const latest = await db.playbook.findFirst({
    where: { programId },
    orderBy: { version: 'desc' },
    select: { version: true, body: true },
  });
  if (!latest) return { ...DEFAULT_PLAYBOOK, version: 0 };
  const body = latest.body as Playbook;
  // A version saved before the risk model existed takes its defaults, like any section left out.
  return { ...body, riskModel: body.riskModel ?? DEFAULT_RISK_MODEL, version: latest.version };
}

/** Stores a new version; running matches keep the snapshot they started with. */
export async function savePlaybook(db: Database, programId: string, playbook: TPlaybook): Promise<PlaybookSnapshot> {
  return db.$transaction(async (tx) => {
    const latest = await tx.playbook.findFirst({
      where: { programId },
      orderBy: { version: 'desc' },
      select: { version: true },
    });
    const version = (latest?.version ?? 0) + 1;
    await tx.playbook.create({ data: { programId, version, body: playbook as Prisma.InputJsonObject } });
    return { ...playbook, version };
  });
}

/** A given version of a program's playbook (the snapshot a match started with); version 0 is the default. */
export async function playbookVersion(db: Database, programId: string, version: number): Promise<PlaybookSnapshot> {
  if (version === 0) return { ...DEFAULT_PLAYBOOK, version: 0 };
  const stored = await db.playbook.findUnique({
    where: { programId_version: { programId, version } },
    select: { body: true },
  });
  return stored ? { ...(stored.body as Playbook), version } : { ...DEFAULT_PLAYBOOK, version: 0 };
}

/** One setting that differs between two versions of a playbook: its path (`checkins.cadence`), before and after. */
export type PlaybookChange = { path: string; before: string | null; after: string | null };

/** Every setting (leaf) of a playbook by its path, as JSON text; array items by index (`tasks[1].dueWithin`). */
function settings(value: unknown, path = '', into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) value.forEach((v, i) => settings(v, `${path}[${i}]`, into));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) settings(v, path ? `${path}.${k}` : k, into);
  } else into.set(path, JSON.stringify(value));
  return into;
}

const withoutVersion = ({ version: _version, ...rest }: Playbook & { version?: number }) => rest;

/** Every setting of a playbook, by its path, as JSON text (the version number itself is not a setting). */
export function playbookSettings(playbook: Playbook): { path: string; value: string }[] {
  return [...settings(withoutVersion(playbook))].map(([path, value]) => ({ path, value }));
}

/** What a new version would change, setting by setting. */
export function playbookChanges(before: Playbook, after: Playbook): PlaybookChange[] {
  const [a, b] = [settings(withoutVersion(before)), settings(withoutVersion(after))];
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  return paths
    .filter((p) => a.get(p) !== b.get(p))
    .map((path) => ({ path, before: a.get(path) ?? null, after: b.get(path) ?? null }));
}

/**
 * A playbook with the most settings a valid one can have: every list at its longest, and a contract due a while after
 * the start (one setting more than before the kickoff).
 */
export const LARGEST_PLAYBOOK: TPlaybook = ZPlaybook.parse({
  contracts: {
    documents: Array.from({ length: PLAYBOOK_LIMITS.documents }, (_, i) => ({
      type: `document_${i}`,
      label: { ja: '書類', en: 'Document' },
      required: true,
    })),
    due: { kind: 'after_start', offset: '7d' },
  },
  checkins: {
    extraQuestions: Array.from({ length: PLAYBOOK_LIMITS.extraQuestions }, (_, i) => ({
      id: `question_${i}`,
      label: { ja: '質問', en: 'Question' },
      kind: 'scale',
    })),
  },
  tasks: Array.from({ length: PLAYBOOK_LIMITS.tasks }, (_, i) => ({
    key: `task_${i}`,
    label: { ja: 'タスク', en: 'Task' },
    at: { anchor: 'start', offset: '0d' },
    dueWithin: '7d',
  })),
});

/** How many settings a playbook can have at most: forms that carry a field per setting are sized by it. */
export const MAX_PLAYBOOK_SETTINGS = playbookSettings(LARGEST_PLAYBOOK).length;
