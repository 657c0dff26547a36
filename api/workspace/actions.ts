import type { Request, Response, Router } from 'express';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import {
  acknowledgeEscalationUpdate,
  addNoteUpdate,
  cancelKickoffUpdate,
  cancelMatchUpdate,
  completeMatchUpdate,
  completeTaskUpdate,
  endEarlyUpdate,
  extendUpdate,
  pauseUpdate,
  proposeKickoffSlotsUpdate,
  reassignUpdate,
  recordKickoffUpdate,
  resolveEscalationUpdate,
  resumeUpdate,
  setContractStatusUpdate,
  snoozeEscalationUpdate,
  type ActionResult,
} from '../../workflows/shared';
import { actorOf } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, fieldErrors } from '../errors';
import {
  ZAddNote,
  ZCancelKickoff,
  ZCancelMatch,
  ZCompleteMatch,
  ZContractStatusChange,
  ZEndEarly,
  ZExtend,
  ZPause,
  ZProposeKickoffSlotsRequest,
  ZRecordKickoff,
  ZResume,
} from '../../workflows/messages';
import { ZCompleteTaskBody, ZReassignBody } from '../routes/actions';
import { ZResolve, ZSnooze } from '../routes/escalations';
import { runAction } from '../services/actions';
import { coordinatorParticipant } from '../services/matches';
import { escalationInScope, matchInScope } from '../services/scope';
import { showMatch } from './match';
import { fill, WORKSPACE_MESSAGES, type WorkspaceMessages } from './messages';
import type { PageNotice } from './notices';
import { backTo, contextOf, signedIn } from './render';
import { showToday } from './today';

type Form = Record<string, string>;
type DoneKey = keyof WorkspaceMessages['done'];

/** A `datetime-local` value (Japan's time, as the forms say) as an instant with its zone; anything else as typed. */
const instant = (value: string | undefined) =>
  value && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00+09:00` : value;
/** Empty optional fields are left out, as a JSON client would. */
const optional = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

/**
 * One form per coordinator action. Each reads the form into the very body the JSON API takes, checks it with the
 * API's schema and runs the same workflow update (`runAction`), so a rule lives in one place: the workflow says
 * yes, or no with its reason, which the page shows in words.
 */
type FormAction = {
  done: DoneKey;
  /** The form's id on the page (where a refusal is shown, with what was typed). */
  formId: (params: Record<string, string>) => string;
  schema: z.ZodType;
  body: (form: Form) => unknown;
  update: UpdateDefinition<ActionResult, [never]>;
  arg: (deps: ApiDeps, body: never, params: Record<string, string>) => unknown;
};

const matchForm = (id: string) => () => id;
const same = (_deps: ApiDeps, body: unknown) => body;

const MATCH_ACTIONS: Record<string, FormAction> = {
  'kickoff/proposals': {
    done: 'propose',
    formId: matchForm('kickoff'),
    schema: ZProposeKickoffSlotsRequest,
    body: (f) => ({
      slots: ['slot1', 'slot2', 'slot3']
        .map((k) => optional(f[k]))
        .filter((v) => v !== undefined)
        .map((v) => ({ startsAt: instant(v), durationMinutes: Number(f.durationMinutes || 60) })),
      location: optional(f.location),
    }),
    update: proposeKickoffSlotsUpdate as FormAction['update'],
    arg: same,
  },
  'kickoff/record': {
    done: 'record',
    formId: matchForm('kickoff-record'),
    schema: ZRecordKickoff,
    body: (f) => ({ held: f.held === 'yes', reason: optional(f.reason) }),
    update: recordKickoffUpdate as FormAction['update'],
    arg: same,
  },
  'kickoff/cancel': {
    done: 'cancelKickoff',
    formId: matchForm('kickoff-cancel'),
    schema: ZCancelKickoff,
    body: (f) => ({ reason: f.reason ?? '' }),
    update: cancelKickoffUpdate as FormAction['update'],
    arg: same,
  },
  'contracts/:type': {
    done: 'contract',
    formId: (p) => `contract-${p.id}-${p.type}`,
    schema: ZContractStatusChange,
    body: (f) => ({ status: f.status, reason: optional(f.reason) }),
    update: setContractStatusUpdate as FormAction['update'],
    arg: (_deps, body: z.infer<typeof ZContractStatusChange>, p) => ({ type: p.type, ...body }),
  },
  'tasks/:taskId/done': {
    done: 'task',
    formId: (p) => `task-${p.taskId}`,
    schema: ZCompleteTaskBody,
    body: (f) => ({ note: optional(f.note) }),
    update: completeTaskUpdate as FormAction['update'],
    arg: (_deps, body: z.infer<typeof ZCompleteTaskBody>, p) => ({ taskId: p.taskId, note: body.note }),
  },
  notes: {
    done: 'note',
    formId: matchForm('note'),
    schema: ZAddNote,
    body: (f) => ({ text: f.text ?? '', sentiment: optional(f.sentiment) && Number(f.sentiment) }),
    update: addNoteUpdate as FormAction['update'],
    arg: same,
  },
  pause: {
    done: 'pause',
    formId: matchForm('pause'),
    schema: ZPause,
    body: (f) => ({ reason: f.reason ?? '' }),
    update: pauseUpdate as FormAction['update'],
    arg: same,
  },
  resume: {
    done: 'resume',
    formId: matchForm('resume'),
    schema: ZResume,
    body: () => ({}),
    update: resumeUpdate as FormAction['update'],
    arg: () => ({}),
  },
  extend: {
    done: 'extend',
    formId: matchForm('extend'),
    schema: ZExtend,
    body: (f) => ({ endDate: f.endDate ?? '' }),
    update: extendUpdate as FormAction['update'],
    arg: same,
  },
  reassign: {
    done: 'reassign',
    formId: matchForm('reassign'),
    schema: ZReassignBody,
    body: (f) => ({ coordinator: { name: f.name ?? '', email: f.email ?? '', locale: f.locale || 'ja' } }),
    update: reassignUpdate as FormAction['update'],
    arg: async (deps, body: z.infer<typeof ZReassignBody>, p) => ({
      coordinator: await coordinatorParticipant(deps.db, p.id!, body.coordinator),
    }),
  },
  'end-early': {
    done: 'endEarly',
    formId: matchForm('end-early'),
    schema: ZEndEarly,
    body: (f) => ({ reason: f.reason, note: optional(f.note) }),
    update: endEarlyUpdate as FormAction['update'],
    arg: same,
  },
  complete: {
    done: 'complete',
    formId: matchForm('complete'),
    schema: ZCompleteMatch,
    body: (f) => ({ note: optional(f.note) }),
    update: completeMatchUpdate as FormAction['update'],
    arg: same,
  },
  cancel: {
    done: 'cancel',
    formId: matchForm('cancel'),
    schema: ZCancelMatch,
    body: (f) => ({ reason: f.reason ?? '' }),
    update: cancelMatchUpdate as FormAction['update'],
    arg: same,
  },
};

const ESCALATION_ACTIONS: Record<string, FormAction> = {
  ack: {
    done: 'ack',
    formId: (p) => `esc-${p.id}`,
    schema: z.object({}),
    body: () => ({}),
    update: acknowledgeEscalationUpdate as FormAction['update'],
    arg: (_deps, _body, p) => ({ escalationId: p.id }),
  },
  resolve: {
    done: 'resolve',
    formId: (p) => `esc-${p.id}`,
    schema: ZResolve,
    body: (f) => ({ note: f.note ?? '' }),
    update: resolveEscalationUpdate as FormAction['update'],
    arg: (_deps, body: { note: string }, p) => ({ escalationId: p.id, note: body.note }),
  },
  snooze: {
    done: 'snooze',
    formId: (p) => `esc-${p.id}`,
    schema: ZSnooze,
    body: (f) => ({ until: instant(f.until), reason: f.reason ?? '' }),
    update: snoozeEscalationUpdate as FormAction['update'],
    arg: (_deps, body: { until: string; reason: string }, p) => ({
      escalationId: p.id,
      until: new Date(body.until).toISOString(),
      reason: body.reason,
    }),
  },
};

/** Waits (briefly) until the workflow has written the read model after the action, so the next page shows it. */
async function readModelCaughtUp(deps: ApiDeps, matchId: string, since: Date): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const row = await deps.db.match.findUnique({ where: { id: matchId }, select: { updatedAt: true } });
    if (!row || row.updatedAt > since) return;
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
    action: FormAction,
    params: Record<string, string>,
    target: () => Promise<{ matchId: string }>,
  ): Promise<void> {
    const t = WORKSPACE_MESSAGES[contextOf(res).locale];
    const form = (req.body ?? {}) as Form;
    const formId = action.formId(params);
    const { csrf: _csrf, ...typed } = form;
    const values: Record<string, string> = { ...typed, action: req.path.split('/').pop() ?? '' };
    const { matchId } = await target();
    const parsed = action.schema.safeParse(action.body(form));
    if (!parsed.success) {
      const fields = Object.fromEntries(fieldErrors(parsed.error).map((e) => [e.field, e.message]));
      const text = `${t.invalidForm} (${Object.keys(fields).join(', ')})`;
      return refuse(req, res, { status: 400, kind: 'error', text, form: formId, values, fields });
    }
    const before = new Date();
    try {
      await runAction(
        deps,
        matchId,
        action.update,
        (await action.arg(deps, parsed.data as never, params)) as never,
        actorOf(signedIn(res)),
      );
    } catch (error) {
      if (error instanceof AppError && (error.code === 'conflict' || error.code === 'rejected')) {
        const status = error.code === 'conflict' ? 409 : 422;
        return refuse(req, res, {
          status,
          kind: 'error',
          text: fill(t.refused, { reason: error.detail }),
          form: formId,
          values,
        });
      }
      throw error;
    }
    await readModelCaughtUp(deps, matchId, before);
    res.redirect(303, withDone(backTo(req, `/workspace/matches/${encodeURIComponent(matchId)}`), action.done, formId));
  }

  for (const [path, action] of Object.entries(MATCH_ACTIONS)) {
    router.post(`/matches/:id/${path}`, (req, res) =>
      perform(req, res, action, req.params as Record<string, string>, () =>
        matchInScope(deps.db, signedIn(res), String(req.params.id), 'act').then((m) => ({ matchId: m.id })),
      ),
    );
  }
  for (const [verb, action] of Object.entries(ESCALATION_ACTIONS)) {
    router.post(`/escalations/:id/${verb}`, (req, res) =>
      perform(req, res, action, req.params as Record<string, string>, () =>
        escalationInScope(deps.db, signedIn(res), String(req.params.id), 'act'),
      ),
    );
  }
}
