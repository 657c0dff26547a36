import path from 'node:path';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import { formatInstant } from '../../workflows/calendar';
import type { Locale } from '../../workflows/shared';
import type { Principal } from '../auth';
import { label, LABEL_SETS, type LabelSet } from './labels';
import { fill, WORKSPACE_MESSAGES, type WorkspaceMessages } from './messages';
import type { WebSession } from './sessions';

const views = new Eta({ views: path.join(__dirname, 'views'), autoEscape: true, cache: true });

/** Dates and times are shown in Japan's time zone, where programs run, with the zone named. */
export const WORKSPACE_TIME_ZONE = 'Asia/Tokyo';

/** What every workspace page knows about the request: who, in which language, and the form's CSRF value. */
export type WorkspaceContext = {
  locale: Locale;
  session: WebSession | null;
  principal: Principal | null;
  /** The value every form on the page posts as `csrf`. */
  csrf: string;
  /** The path and query, for "back here" links and the language switch. */
  here: string;
};

export function contextOf(res: Response): WorkspaceContext {
  return res.locals.workspace as WorkspaceContext;
}

/** The signed-in principal (the workspace's guard has already sent everyone else to sign in). */
export function signedIn(res: Response): Principal {
  const principal = contextOf(res).principal;
  if (!principal) throw new Error('workspace route reached without a principal');
  return principal;
}

/** Formatting every template gets as `it.fmt`. */
export function formattersFor(locale: Locale) {
  const tag = locale === 'ja' ? 'ja-JP' : 'en-GB';
  return {
    /** A calendar date (`YYYY-MM-DD` or a Date at UTC midnight). */
    date: (value: string | Date | null | undefined) => {
      if (!value) return '–';
      const iso = typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
      return new Intl.DateTimeFormat(tag, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
        new Date(`${iso}T00:00:00Z`),
      );
    },
    /** An instant in Japan's time, with the zone named. */
    dateTime: (value: string | Date | null | undefined) =>
      value ? formatInstant(typeof value === 'string' ? value : value.toISOString(), locale, WORKSPACE_TIME_ZONE) : '–',
    /** A rate 0–1 as a percentage with one decimal. */
    percent: (value: number | null | undefined) =>
      value === null || value === undefined ? '–' : `${(Math.round(value * 1000) / 10).toFixed(1)}%`,
    number: (value: number | null | undefined) =>
      value === null || value === undefined ? '–' : new Intl.NumberFormat(tag).format(value),
    /** `datetime-local` input value in Japan's time. */
    localInput: (ms: number) => {
      const parts = new Intl.DateTimeFormat('sv-SE', {
        timeZone: WORKSPACE_TIME_ZONE,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(ms));
      return parts.replace(' ', 'T');
    },
  };
}

/** Renders a workspace page (inside the layout) with the messages, labels and formatters of the request's language. */
export function renderView(res: Response, status: number, view: string, data: Record<string, unknown>): void {
  const ctx = contextOf(res);
  const t = WORKSPACE_MESSAGES[ctx.locale];
  const html = views.render(`./${view}`, {
    ...data,
    ctx,
    t,
    fill,
    fmt: formattersFor(ctx.locale),
    label: (set: LabelSet, value: string | null | undefined) => label(LABEL_SETS[set], value, ctx.locale),
  });
  res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
}

/** A page with a title and a sentence or two (and, optionally, a link onwards). */
export function renderNotice(
  res: Response,
  status: number,
  notice: { title: (t: WorkspaceMessages) => string; body: (t: WorkspaceMessages) => string },
  link?: { href: string; text: (t: WorkspaceMessages) => string },
): void {
  const t = WORKSPACE_MESSAGES[contextOf(res).locale];
  renderView(res, status, 'notice', {
    title: notice.title(t),
    message: notice.body(t),
    link: link && { href: link.href, text: link.text(t) },
  });
}

/** Where to go after a form: back to a workspace page the form named, never elsewhere. */
export function backTo(req: Request, fallback: string): string {
  const back = (req.body as Record<string, unknown> | undefined)?.back;
  return typeof back === 'string' && /^\/workspace(\/|\?|$)/.test(back) && !back.includes('//') ? back : fallback;
}
