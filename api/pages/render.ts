import { createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import type { Locale } from '../../workflows/shared';
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

export function csrfOk(secret: string, token: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(csrfFor(secret, token));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Browsers say where a form post came from; a cross-site post is refused. */
export function crossSite(req: Request): boolean {
  return req.get('sec-fetch-site') === 'cross-site';
}
