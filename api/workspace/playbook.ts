import type { Request, Response, Router } from 'express';
import { Prisma } from '@prisma/client';
import { may } from '../auth';
import type { ApiDeps } from '../deps';
import { fieldErrors } from '../errors';
import {
  currentPlaybook,
  playbookChanges,
  playbookSettings,
  savePlaybook,
  ZPlaybook,
  type TPlaybook,
} from '../services/playbooks';
import { programInScope } from '../services/scope';
import { fill, WORKSPACE_MESSAGES } from './messages';
import { doneNotice, type PageNotice } from './notices';
import { problemIn } from './problem-words';
import { contextOf, renderView, signedIn } from './render';
import type { PlaybookSnapshot } from '../../workflows/shared';

/** The playbook as the edit box shows it: every setting, without the version number. */
const asText = ({ version: _version, ...playbook }: PlaybookSnapshot) => JSON.stringify(playbook, null, 2);

type Reading = { ok: true; playbook: TPlaybook } | { ok: false; fields: Record<string, string> };

/** The edit box read as JSON and checked by the API's own schema (`ZPlaybook`): the same rules as PUT playbook. */
function readPlaybook(text: string, locale: 'ja' | 'en', field: string): Reading {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, fields: { [field]: problemIn('is not valid JSON', locale) } };
  }
  const parsed = ZPlaybook.safeParse(json);
  if (parsed.success) return { ok: true, playbook: parsed.data };
  return {
    ok: false,
    fields: Object.fromEntries(fieldErrors(parsed.error).map((e) => [e.field, problemIn(e.message, locale)])),
  };
}

/**
 * A program's playbook (支援プラン): every setting of the current version; for program managers and admins, an edit
 * box, then the changes setting by setting against the current version, and only then a button to save the new
 * version (which says which version it saves over, so two people editing at once cannot overwrite each other).
 */
export function playbookRoutes(router: Router, deps: ApiDeps): void {
  async function show(
    req: Request,
    res: Response,
    status: number,
    view: { text?: string; proposed?: TPlaybook; notice?: PageNotice; fields?: Record<string, string> } = {},
  ): Promise<void> {
    const principal = signedIn(res);
    const { locale } = contextOf(res);
    const program = await programInScope(deps.db, principal, String(req.params.id), 'read');
    const current = await currentPlaybook(deps.db, program.id);
    renderView(res, status, 'playbook', {
      nav: 'programs',
      wide: true,
      program,
      version: current.version,
      settings: playbookSettings(current),
      canEdit: may(principal, 'edit_playbook', program.id),
      text: view.text ?? asText(current),
      changes: view.proposed ? playbookChanges(current, view.proposed) : null,
      fields: view.fields ?? null,
      notice: view.notice ?? doneNotice(req, locale),
      back: req.originalUrl,
    });
  }

  router.get('/programs/:id/playbook', (req, res) => show(req, res, 200));

  /** The form's text, checked; a refusal is the page again with each wrong setting named, and the text as typed. */
  async function checked(req: Request, res: Response): Promise<TPlaybook | undefined> {
    const principal = signedIn(res);
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale];
    await programInScope(deps.db, principal, String(req.params.id), 'edit_playbook');
    const text = String((req.body as Record<string, unknown>).playbook ?? '');
    const reading = readPlaybook(text, locale, 'playbook');
    if (reading.ok) return reading.playbook;
    const problems = Object.entries(reading.fields).map(([f, p]) => `${f === 'playbook' ? t.playbook.field : f}: ${p}`);
    await show(req, res, 400, {
      text,
      fields: reading.fields,
      notice: { status: 400, kind: 'error', text: fill(t.invalidForm, { problems: problems.join(' / ') }) },
    });
    return undefined;
  }

  router.post('/programs/:id/playbook/preview', async (req, res) => {
    const proposed = await checked(req, res);
    if (proposed) await show(req, res, 200, { text: String((req.body as Record<string, unknown>).playbook), proposed });
  });

  router.post('/programs/:id/playbook', async (req, res) => {
    const proposed = await checked(req, res);
    if (!proposed) return;
    const t = WORKSPACE_MESSAGES[contextOf(res).locale];
    const programId = String(req.params.id);
    const text = String((req.body as Record<string, unknown>).playbook);
    const base = Number((req.body as Record<string, unknown>).base);
    const current = await currentPlaybook(deps.db, programId);
    if (current.version !== base) {
      // Someone saved meanwhile: show the changes against what is there now, and save nothing.
      const notice: PageNotice = {
        status: 409,
        kind: 'error',
        text: fill(t.playbook.stale, { version: current.version }),
      };
      return show(req, res, 409, { text, proposed, notice });
    }
    if (!playbookChanges(current, proposed).length) return show(req, res, 200, { text, proposed });
    try {
      await savePlaybook(deps.db, programId, proposed);
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) throw error;
      const latest = await currentPlaybook(deps.db, programId);
      const notice: PageNotice = {
        status: 409,
        kind: 'error',
        text: fill(t.playbook.stale, { version: latest.version }),
      };
      return show(req, res, 409, { text, proposed, notice });
    }
    res.redirect(303, `/workspace/programs/${encodeURIComponent(programId)}/playbook?done=playbook`);
  });
}
