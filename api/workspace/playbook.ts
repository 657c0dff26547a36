import express, { type Request, type Response, type Router } from 'express';
import { Prisma } from '@prisma/client';
import { may } from '../auth';
import type { ApiDeps } from '../deps';
import { fieldErrors } from '../errors';
import {
  currentPlaybook,
  MAX_PLAYBOOK_SETTINGS,
  playbookChanges,
  playbookSettings,
  savePlaybook,
  ZPlaybook,
  type TPlaybook,
} from '../services/playbooks';
import { programInScope } from '../services/scope';
import type { ScaleQuestion } from '../../workflows/checkin-questions';
import { QUESTION_SHORT } from './labels';
import { fill, WORKSPACE_MESSAGES } from './messages';
import { doneNotice, type PageNotice } from './notices';
import { problemIn } from './problem-words';
import { contextOf, renderView, signedIn } from './render';
import type { PlaybookSnapshot } from '../../workflows/shared';

/** The playbook as the edit box shows it: every setting, without the version number. */
const asText = ({ version: _version, ...playbook }: PlaybookSnapshot) => JSON.stringify(playbook, null, 2);

type Reading = { ok: true; playbook: TPlaybook } | { ok: false; fields: Record<string, string> };

/** A playbook checked by the API's own schema (`ZPlaybook`): the same rules as PUT playbook, each problem by setting. */
function check(json: unknown, locale: 'ja' | 'en'): Reading {
  const parsed = ZPlaybook.safeParse(json);
  if (parsed.success) return { ok: true, playbook: parsed.data };
  return {
    ok: false,
    fields: Object.fromEntries(fieldErrors(parsed.error).map((e) => [e.field, problemIn(e.message, locale)])),
  };
}

/** The JSON box read and checked. */
function readJson(text: string, locale: 'ja' | 'en', field: string): Reading {
  try {
    return check(JSON.parse(text), locale);
  } catch {
    return { ok: false, fields: { [field]: problemIn('is not valid JSON', locale) } };
  }
}

/** The name of a setting's field in the form. */
const FIELD = 'setting:';

/**
 * The playbook's forms: a field per setting of the largest playbook there can be, plus the form's own few (CSRF,
 * where to go back, which form), so that no valid playbook is too big to edit here. Other workspace forms keep the
 * smaller limit.
 */
export const playbookBody = express.urlencoded({
  extended: false,
  limit: '256kb',
  parameterLimit: MAX_PLAYBOOK_SETTINGS + 10,
});

/** A path such as `tasks[0].at.offset` as its keys and indexes. */
const segments = (path: string) =>
  [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? m[1]! : Number(m[2])));

/**
 * The form's fields laid over the playbook it was shown from: each setting by its path, read as the kind of value it
 * replaces (a number stays a number if it reads as one; otherwise the schema names the setting). Fields for settings
 * the playbook does not have are ignored; what the form cannot express (adding a task) is the JSON box's.
 */
function readFields(
  base: PlaybookSnapshot,
  body: Record<string, unknown>,
): { json: unknown; typed: Map<string, string> } {
  const { version: _version, ...json } = structuredClone(base) as PlaybookSnapshot & Record<string, unknown>;
  const typed = new Map<string, string>();
  for (const { path, value } of playbookSettings(base)) {
    const raw = body[FIELD + path];
    if (typeof raw !== 'string') continue;
    typed.set(path, raw);
    const before: unknown = JSON.parse(value);
    const text = raw.trim();
    const next =
      typeof before === 'number'
        ? text !== '' && Number.isFinite(Number(text))
          ? Number(text)
          : raw
        : typeof before === 'boolean'
          ? text === 'true'
          : raw;
    const keys = segments(path);
    let into = json as Record<string | number, unknown>;
    for (const key of keys.slice(0, -1)) into = into[key] as Record<string | number, unknown>;
    into[keys.at(-1)!] = next;
  }
  return { json, typed };
}

type FormSetting = {
  path: string;
  id: string;
  label: string | null;
  kind: 'text' | 'number' | 'boolean';
  value: string;
  problem: string | null;
};

/** The playbook with its settings in the schema's order (as stored, its keys come back in the database's order). */
function inSchemaOrder(playbook: PlaybookSnapshot): PlaybookSnapshot {
  const parsed = ZPlaybook.safeParse(playbook);
  return parsed.success ? { ...parsed.data, version: playbook.version } : playbook;
}

/** Settings the form leaves out: the risk model's format version can only be 1 (the JSON box still shows it). */
const NOT_IN_FORM = new Set(['riskModel.version']);

/** The form: one field per setting, in fieldsets by section, each labelled in the person's language where it can be. */
export function settingsForm(
  shown: PlaybookSnapshot,
  locale: 'ja' | 'en',
  typed: Map<string, string> | null,
  problems: Record<string, string> | null,
): { legend: string; settings: FormSetting[] }[] {
  const p = WORKSPACE_MESSAGES[locale].playbook;
  const sections: { legend: string; settings: FormSetting[] }[] = [];
  playbookSettings(shown).forEach(({ path, value }, i) => {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || NOT_IN_FORM.has(path)) return;
    const top = String(segments(path)[0]);
    const legend = p.sections[top] ?? top;
    const item = /^(.*?)\[(\d+)\]/.exec(path);
    const typical = /^riskModel\.typical\.(\w+)$/.exec(path)?.[1] as ScaleQuestion | undefined;
    const own =
      p.labels[path.replace(/\[\d+\]/g, '[]')] ??
      (typical && QUESTION_SHORT[typical]
        ? fill(p.typicalAnswer, { question: QUESTION_SHORT[typical][locale] })
        : null);
    const itemName = item && p.items[item[1]!];
    const label = own && itemName ? `${fill(itemName, { n: Number(item![2]) + 1 })} · ${own}` : (own ?? null);
    let section = sections.find((x) => x.legend === legend);
    if (!section) sections.push((section = { legend, settings: [] }));
    section.settings.push({
      path,
      id: `setting-${i}`,
      label,
      kind: typeof parsed === 'number' ? 'number' : typeof parsed === 'boolean' ? 'boolean' : 'text',
      value: typed?.get(path) ?? (typeof parsed === 'string' ? parsed : String(parsed)),
      problem: problems?.[path] ?? null,
    });
  });
  return sections;
}

/**
 * A program's playbook (支援プラン): every setting of the current version; for program managers and admins, a form
 * with a field per setting (and the whole as JSON, for adding or removing tasks), then the changes setting by setting
 * against the current version, and only then a button to save the new version (which says which version it saves
 * over, so two people editing at once cannot overwrite each other).
 */
export function playbookRoutes(router: Router, deps: ApiDeps): void {
  async function show(
    req: Request,
    res: Response,
    status: number,
    view: {
      text?: string;
      proposed?: TPlaybook;
      notice?: PageNotice;
      fields?: Record<string, string>;
      source?: 'form' | 'json';
      typed?: Map<string, string>;
    } = {},
  ): Promise<void> {
    const principal = signedIn(res);
    const { locale } = contextOf(res);
    const program = await programInScope(deps.db, principal, String(req.params.id), 'read');
    const current = await currentPlaybook(deps.db, program.id);
    const shown = view.proposed ? { ...view.proposed, version: current.version } : current;
    renderView(res, status, 'playbook', {
      nav: 'programs',
      wide: true,
      program,
      version: current.version,
      settings: playbookSettings(current),
      canEdit: may(principal, 'edit_playbook', program.id),
      form: settingsForm(
        inSchemaOrder(shown),
        locale,
        view.source === 'form' ? (view.typed ?? null) : null,
        view.source === 'form' ? (view.fields ?? null) : null,
      ),
      fieldPrefix: FIELD,
      text: view.text ?? asText(shown),
      changes: view.proposed ? playbookChanges(current, view.proposed) : null,
      fields: view.fields ?? null,
      source: view.source ?? null,
      notice: view.notice ?? doneNotice(req, locale),
      back: req.originalUrl,
    });
  }

  router.get('/programs/:id/playbook', (req, res) => show(req, res, 200));

  /**
   * What was sent, checked: the settings form (`from=form`) or the JSON box. A refusal is the page again with each
   * wrong setting named (beside its field, for the form), and what was typed kept.
   */
  async function checked(req: Request, res: Response): Promise<{ proposed: TPlaybook; text: string } | undefined> {
    const principal = signedIn(res);
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale];
    const program = await programInScope(deps.db, principal, String(req.params.id), 'edit_playbook');
    const body = req.body as Record<string, unknown>;
    const source = body.from === 'form' ? 'form' : 'json';
    let text: string;
    let reading: Reading;
    let typed: Map<string, string> | undefined;
    if (source === 'form') {
      const read = readFields(await currentPlaybook(deps.db, program.id), body);
      typed = read.typed;
      text = JSON.stringify(read.json, null, 2);
      reading = check(read.json, locale);
    } else {
      text = String(body.playbook ?? '');
      reading = readJson(text, locale, 'playbook');
    }
    if (reading.ok) return { proposed: reading.playbook, text };
    const problems = Object.entries(reading.fields).map(([f, p]) => `${f === 'playbook' ? t.playbook.field : f}: ${p}`);
    await show(req, res, 400, {
      text,
      fields: reading.fields,
      source,
      ...(typed ? { typed } : {}),
      notice: { status: 400, kind: 'error', text: fill(t.invalidForm, { problems: problems.join(' / ') }) },
    });
    return undefined;
  }

  router.post('/programs/:id/playbook/preview', async (req, res) => {
    const read = await checked(req, res);
    if (read) await show(req, res, 200, { text: read.text, proposed: read.proposed });
  });

  router.post('/programs/:id/playbook', async (req, res) => {
    const read = await checked(req, res);
    if (!read) return;
    const { proposed, text } = read;
    const t = WORKSPACE_MESSAGES[contextOf(res).locale];
    const programId = String(req.params.id);
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
