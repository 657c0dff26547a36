import path from 'node:path';
import { Eta } from 'eta';
import { formatInstant } from '../../workflows/calendar';
import type { Locale } from '../../workflows/shared';

/**
 * Email templates are plain files under `templates/<locale>/`, one pair per message, so that a coordinator can
 * edit the wording without touching code:
 *
 * - `<name>.txt.eta`: the first line is `Subject: …`, then a blank line, then the plain-text body;
 * - `<name>.html.eta`: the HTML body, placed inside `templates/layout.html.eta`.
 */
const TEMPLATE_DIR = path.join(__dirname, 'templates');

/** Control characters other than tab and line breaks: never part of an email (nor storable in Postgres, for NUL). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/g;
/**
 * What a line break inside an interpolated value becomes while the text part is parsed: the subject line and the
 * blank line after it are the template's own, so no value (a title with a newline, say) can end the subject early.
 */
const VALUE_BREAK = '\uE000';

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const html = new Eta({
  views: TEMPLATE_DIR,
  autoEscape: true,
  autoTrim: false,
  cache: true,
  escapeFunction: (value) =>
    String(value)
      .replace(CONTROL, '')
      .replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!),
});
const text = new Eta({
  views: TEMPLATE_DIR,
  autoEscape: true,
  autoTrim: false,
  cache: true,
  escapeFunction: (value) => String(value).replace(CONTROL, '').replace(LINE_BREAK, VALUE_BREAK),
});

/**
 * Text for one header line (a subject, a display name): line breaks, tabs and control characters become one space.
 * Headers are never built by joining text with a template a newline could break.
 */
export function headerText(value: string): string {
  return value
    .replace(CONTROL, ' ')
    .replace(new RegExp(`[\\s${VALUE_BREAK}]+`, 'g'), ' ')
    .trim();
}

export type RenderedEmail = { subject: string; text: string; html: string };

/** A calendar date's formatter per language, made once: making one costs far more than using it. */
const DATE_FORMAT: Record<Locale, Intl.DateTimeFormat> = {
  ja: new Intl.DateTimeFormat('ja-JP', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'short',
    timeZone: 'UTC',
  }),
  en: new Intl.DateTimeFormat('en-GB', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    weekday: 'short',
    timeZone: 'UTC',
  }),
};

/** Formatting helpers every template gets as `it.fmt`. */
function formattersFor(locale: Locale, timeZone: string) {
  return {
    /** A calendar date (`YYYY-MM-DD`), e.g. 2026年12月1日(火) or Tue, 1 Dec 2026. */
    date: (isoDate: string) => DATE_FORMAT[locale].format(new Date(`${isoDate}T00:00:00Z`)),
    /** An instant in the program's time zone, with the zone named. */
    dateTime: (iso: string) => formatInstant(iso, locale, timeZone),
  };
}

export class UnknownTemplateError extends Error {}

/** Renders one message in one language. `data` is the template's own input, available as `it`. */
export function renderEmail(
  template: string,
  locale: Locale,
  data: Record<string, unknown>,
  options: { timeZone?: string } = {},
): RenderedEmail {
  if (!/^[a-z][a-z0-9-]*$/.test(template)) throw new UnknownTemplateError(`bad template name: ${template}`);
  const it = { ...data, locale, fmt: formattersFor(locale, options.timeZone ?? 'Asia/Tokyo') };
  let raw: string;
  let body: string;
  try {
    raw = text.render(`./${locale}/${template}.txt.eta`, it);
    body = html.render(`./${locale}/${template}.html.eta`, it);
  } catch (error) {
    if (error instanceof Error && /Could not find template/i.test(error.message)) {
      throw new UnknownTemplateError(`no template ${locale}/${template}`);
    }
    throw error;
  }
  const match = /^Subject:[ \t]*(.+)\r?\n\r?\n([\s\S]*)$/.exec(raw);
  if (!match?.[1] || match[2] === undefined) {
    throw new UnknownTemplateError(`${locale}/${template}.txt.eta must start with "Subject: …" and a blank line`);
  }
  const subject = headerText(match[1]);
  const page = html.render('./layout.html.eta', { locale, subject, body });
  return { subject, text: `${match[2].split(VALUE_BREAK).join('\n').trim()}\n`, html: page };
}
