import type { Request, Response, Router } from 'express';
import { refusalText, type RefusalDetail } from '../../workflows/refusals';
import { actorOf, type Actor } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, fieldErrors, retryLater } from '../errors';
import { fromArrival, runAction } from '../services/actions';
import {
  ESCALATION_ACTIONS,
  MATCH_ACTIONS,
  type CoordinatorAction,
  type EscalationActionPath,
  type MatchActionPath,
} from '../services/coordinator-actions';
import { escalationInScope, matchInScope } from '../services/scope';
import { LABEL_SETS, label, type LabelSet } from './labels';
import { showMatch } from './match';
import { fill, WORKSPACE_MESSAGES, type WorkspaceMessages } from './messages';
import type { PageNotice } from './notices';
import { problemIn } from './problem-words';
import { backTo, contextOf, formattersFor, signedIn } from './render';
import { showToday } from './today';
import type { Locale } from '../../workflows/shared';

type Form = Record<string, string>;
type DoneKey = keyof WorkspaceMessages['done'];

/** A `datetime-local` value (Japan's time, as the forms say) as an instant with its zone; anything else as typed. */
const instant = (value: string | undefined) =>
  value && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00+09:00` : value;
/** Empty optional fields are left out, as a JSON client would. */
const optional = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

/**
 * How a form becomes an action of the one table (`MATCH_ACTIONS`, `ESCALATION_ACTIONS` in
 * services/coordinator-actions.ts): the form is read into the very body the JSON API takes, which the action's schema
 * checks and the same workflow update runs, so a rule lives in one place: the workflow says yes, or no with its
 * reason, which the page shows in the person's words.
 */
type FormReading = {
  done: DoneKey;
  /** The form's id on the page (where a refusal is shown, with what was typed). */
  formId: (params: Record<string, string>) => string;
  body: (form: Form) => unknown;
};

const matchForm = (id: string) => () => id;

/** Every match action has a form, except scheduling a kickoff directly (the page proposes slots instead). */
const MATCH_FORMS: Record<Exclude<MatchActionPath, 'kickoff/schedule'>, FormReading> = {
  'kickoff/proposals': {
    done: 'propose',
    formId: matchForm('kickoff'),
    body: (f) => ({
      slots: ['slot1', 'slot2', 'slot3']
        .map((k) => optional(f[k]))
        .filter((v) => v !== undefined)
        .map((v) => ({ startsAt: instant(v), durationMinutes: Number(f.durationMinutes || 60) })),
      location: optional(f.location),
    }),
  },
  'kickoff/record': {
    done: 'record',
    formId: matchForm('kickoff-record'),
    body: (f) => ({ held: f.held === 'yes', reason: optional(f.reason) }),
  },
  'kickoff/cancel': {
    done: 'cancelKickoff',
    formId: matchForm('kickoff-cancel'),
    body: (f) => ({ reason: f.reason ?? '' }),
  },
  'contracts/:type': {
    done: 'contract',
    formId: (p) => `contract-${p.id}-${p.type}`,
    body: (f) => ({ status: f.status, reason: optional(f.reason) }),
  },
  'tasks/:taskId/done': {
    done: 'task',
    formId: (p) => `task-${p.taskId}`,
    body: (f) => ({ note: optional(f.note) }),
  },
  notes: {
    done: 'note',
    formId: matchForm('note'),
    body: (f) => ({ text: f.text ?? '', sentiment: optional(f.sentiment) && Number(f.sentiment) }),
  },
  pause: { done: 'pause', formId: matchForm('pause'), body: (f) => ({ reason: f.reason ?? '' }) },
  resume: { done: 'resume', formId: matchForm('resume'), body: () => ({}) },
  extend: { done: 'extend', formId: matchForm('extend'), body: (f) => ({ endDate: f.endDate ?? '' }) },
  reassign: {
    done: 'reassign',
    formId: matchForm('reassign'),
    body: (f) => ({ coordinator: { name: f.name ?? '', email: f.email ?? '', locale: f.locale || 'ja' } }),
  },
  'end-early': {
    done: 'endEarly',
    formId: matchForm('end-early'),
    body: (f) => ({ reason: f.reason, note: optional(f.note) }),
  },
  complete: { done: 'complete', formId: matchForm('complete'), body: (f) => ({ note: optional(f.note) }) },
  cancel: { done: 'cancel', formId: matchForm('cancel'), body: (f) => ({ reason: f.reason ?? '' }) },
};

const ESCALATION_FORMS: Record<EscalationActionPath, FormReading> = {
  ack: { done: 'ack', formId: (p) => `esc-${p.id}`, body: () => ({}) },
  resolve: { done: 'resolve', formId: (p) => `esc-${p.id}`, body: (f) => ({ note: f.note ?? '' }) },
  snooze: {
    done: 'snooze',
    formId: (p) => `esc-${p.id}`,
    body: (f) => ({ until: instant(f.until), reason: f.reason ?? '' }),
  },
};

/** The values a refusal names, in words: a status by its label, a date or instant as the pages show them. */
const REFUSAL_WORDS: Record<string, LabelSet> = {
  kickoffStatus: 'kickoffStatus',
  contractStatus: 'contractStatus',
  next: 'contractStatus',
  taskStatus: 'taskStatus',
  escalationStatus: 'escalationStatus',
  phase: 'phase',
};

/** The workflow's refusal in the person's language. */
export function refusalInWords(refusal: RefusalDetail, locale: Locale): string {
  const fmt = formattersFor(locale);
  return refusalText(refusal, locale, (name, value) => {
    const set = REFUSAL_WORDS[name];
    if (set) return label(LABEL_SETS[set], String(value), locale);
    if (name === 'startsAt') return fmt.dateTime(String(value));
    if (name === 'endDate') return fmt.date(String(value));
    return String(value);
  });
}

/** The newest timeline event of a match (its id), before an action. */
async function lastEvent(deps: ApiDeps, matchId: string): Promise<bigint> {
  const row = await deps.db.matchEvent.findFirst({ where: { matchId }, orderBy: { id: 'desc' }, select: { id: true } });
  return row?.id ?? 0n;
}

/**
 * Waits (briefly) until the workflow has written the action to the read model, so the next page shows it: the
 * timeline event the action recorded, by this person, newer than `after`. The syncer writes events and the match's
 * row in one transaction, so once the event is there the row is too. (The row's `updatedAt` is no sign: the workflow
 * writes the row for its own reasons too, e.g. just after the match opened.)
 */
async function readModelCaughtUp(deps: ApiDeps, matchId: string, after: bigint, by: Actor): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const written = await deps.db.matchEvent.findFirst({
      where: {
        matchId,
        id: { gt: after },
        AND: [
          { payload: { path: ['by', 'kind'], equals: by.kind } },
          { payload: { path: ['by', 'id'], equals: by.id } },
        ],
      },
      select: { id: true },
    });
    if (written) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const withDone = (back: string, done: DoneKey, anchor: string) => {
  const [path, query = ''] = back.split('#')[0]!.split('?');
  const params = new URLSearchParams(query);
  params.set('done', done);
  return `${path}?${params.toString()}#${anchor}`;
};

/** The action forms of the match page and Today. */
export function actionRoutes(router: Router, deps: ApiDeps): void {
  /** Shows the page the form was on again, with the refusal (and what was typed). */
  async function refuse(req: Request, res: Response, notice: PageNotice): Promise<void> {
    const back = backTo(req, '/workspace');
    const onMatch = /^\/workspace\/matches\/([^/?#]+)/.exec(back);
    if (onMatch) return showMatch(deps, req, res, decodeURIComponent(onMatch[1]!), notice);
    return showToday(deps, req, res, notice);
  }

  async function perform(
    req: Request,
    res: Response,
    action: CoordinatorAction,
    reading: FormReading,
    params: Record<string, string>,
    target: () => Promise<{ matchId: string }>,
  ): Promise<void> {
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale];
    const form = (req.body ?? {}) as Form;
    const formId = reading.formId(params);
    const { csrf: _csrf, ...typed } = form;
    const values: Record<string, string> = { ...typed, action: req.path.split('/').pop() ?? '' };
    const { matchId } = await target();
    const parsed = action.schema.safeParse(reading.body(form));
    if (!parsed.success) {
      const fields = Object.fromEntries(fieldErrors(parsed.error).map((e) => [e.field, problemIn(e.message, locale)]));
      const names = t.fields as Record<string, string>;
      const problems = Object.entries(fields).map(([field, problem]) => {
        const name = names[field.replace(/\[\d+\]/g, '').replace(/\..*$/, '')] ?? field;
        return `${name}: ${problem}`;
      });
      const text = fill(t.invalidForm, { problems: problems.join(' / ') });
      return refuse(req, res, { status: 400, kind: 'error', text, form: formId, values, fields });
    }
    const by = actorOf(signedIn(res));
    const before = await lastEvent(deps, matchId);
    try {
      await fromArrival(res.locals.arrivedAt, async () =>
        runAction(deps, matchId, action.update, await action.arg(deps, parsed.data, params), { by }),
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'unavailable') {
        // Temporal or its worker did not take it in time: the same page, with what was typed, to send again later.
        retryLater(res);
        return refuse(req, res, { status: 503, kind: 'error', text: t.notTaken, form: formId, values });
      }
      if (error instanceof AppError && (error.code === 'conflict' || error.code === 'rejected')) {
        const status = error.code === 'conflict' ? 409 : 422;
        return refuse(req, res, {
          status,
          kind: 'error',
          text: fill(t.refused, { reason: error.refusal ? refusalInWords(error.refusal, locale) : error.detail }),
          form: formId,
          values,
        });
      }
      throw error;
    }
    await readModelCaughtUp(deps, matchId, before, by);
    res.redirect(303, withDone(backTo(req, `/workspace/matches/${encodeURIComponent(matchId)}`), reading.done, formId));
  }

  for (const [path, reading] of Object.entries(MATCH_FORMS)) {
    const action = MATCH_ACTIONS[path as keyof typeof MATCH_FORMS];
    router.post(`/matches/:id/${path}`, (req, res) =>
      perform(req, res, action, reading, req.params as Record<string, string>, () =>
        matchInScope(deps.db, signedIn(res), String(req.params.id), 'act').then((m) => ({ matchId: m.id })),
      ),
    );
  }
  for (const [verb, reading] of Object.entries(ESCALATION_FORMS)) {
    const action = ESCALATION_ACTIONS[verb as EscalationActionPath];
    router.post(`/escalations/:id/${verb}`, (req, res) =>
      perform(req, res, action, reading, req.params as Record<string, string>, () =>
        escalationInScope(deps.db, signedIn(res), String(req.params.id), 'act'),
      ),
    );
  }
}
