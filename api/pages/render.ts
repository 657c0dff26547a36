import { createHmac } from 'node:crypto';
import { signedByAny } from '../../activities/links';
import path from 'node:path';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import { LOCALES, type Locale } from '../../workflows/shared';
import { retryLater } from '../errors';
import { PAGE_MESSAGES, type PageMessages } from './messages';

const views = new Eta({ views: path.join(__dirname, 'views'), autoEscape: true, cache: true });

/** Renders a page template with the page messages of `locale` as `it.t`. */
export function renderPage(
  res: Response,
  status: number,
  view: string,
  locale: Locale,
  data: Record<string, unknown>,
): void {
  const html = views.render(`./${view}`, { ...data, t: PAGE_MESSAGES[locale] });
  res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
}

/** A page with a title and a message (thanks, closed, expired, invalid link, try again). */
export function renderMessage(
  res: Response,
  status: number,
  locale: Locale,
  message: { title: (t: PageMessages) => string; body: (t: PageMessages) => string },
  extra: Record<string, unknown> = {},
): void {
  const t = PAGE_MESSAGES[locale];
  renderPage(res, status, 'message', locale, { title: message.title(t), message: message.body(t), ...extra });
}

/** Fields of the pages' forms where people write their own words (the rest are choices and hidden values). */
const FREE_TEXT_FIELD = /^(comment|note|extra_[a-z0-9_]+)$/;

/**
 * A dependency is down (Postgres, Temporal). A page post gets a page in the language the form was shown in (its
 * hidden `lang`) that says the answer was not saved and holds what was typed, ready to send again; any other request
 * gets "try again in a minute". Both with `Retry-After`.
 */
export function renderUnavailable(req: Request, res: Response): void {
  retryLater(res);
  const form = req.method === 'POST' && typeof req.body === 'object' && req.body !== null ? req.body : undefined;
  const lang = (form as Record<string, unknown> | undefined)?.lang;
  const locale = LOCALES.includes(lang as Locale) ? (lang as Locale) : browserLocale(req);
  if (!form) {
    return renderMessage(res, 503, locale, { title: (t) => t.retryTitle, body: (t) => t.retryBody });
  }
  const fields = Object.entries(form as Record<string, string | string[]>).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => ({ name, value: String(v) })),
  );
  const t = PAGE_MESSAGES[locale];
  renderPage(res, 503, 'not-saved', locale, {
    title: t.notSavedTitle,
    message: t.notSavedBody,
    action: req.originalUrl.split('?')[0],
    fields,
    texts: fields
      .filter((f) => FREE_TEXT_FIELD.test(f.name) && !/^\d+$/.test(f.value) && f.value.trim())
      .map((f) => f.value),
  });
}

/** The language for someone we do not know yet (a bad link): Japanese unless the browser prefers English. */
export function browserLocale(req: Request): Locale {
  return req.acceptsLanguages('ja', 'en') === 'en' ? 'en' : 'ja';
}

/**
 * The form's CSRF value: an HMAC of the link token, so only a page this server rendered for that link can post to
 * it. (The link itself is the credential; there is no cookie session to ride.)
 */
export function csrfFor(secret: string, token: string): string {
  return createHmac('sha256', secret).update(`form:${token}`).digest('base64url');
}

/** Whether a form's CSRF value is one this server rendered for the link (with SIGNING_SECRET, or the previous one). */
export function csrfOk(secrets: readonly string[], token: string, given: unknown): boolean {
  return signedByAny(secrets, (secret) => csrfFor(secret, token), given);
}

/** Browsers say where a form post came from; a cross-site post is refused. */
export function crossSite(req: Request): boolean {
  return req.get('sec-fetch-site') === 'cross-site';
}
