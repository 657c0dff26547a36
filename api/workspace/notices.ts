import type { Request } from 'express';
import type { Locale } from '../../workflows/shared';
import { WORKSPACE_MESSAGES } from './messages';

/**
 * What a page says about the form just sent: done (after the redirect, from a fixed list, so no address can make a
 * page say anything else), or refused (the page is shown again at once with the reason and what was typed).
 */
export type PageNotice = {
  status: number;
  kind: 'ok' | 'error';
  text: string;
  /** The form that was refused (its id), and what was typed in it. */
  form?: string;
  values?: Record<string, string>;
  /** Field errors, by field name. */
  fields?: Record<string, string>;
};

/** The confirmation a page shows after a form's redirect (`?done=<key>`), from the fixed list of messages. */
export function doneNotice(req: Request, locale: Locale): PageNotice | undefined {
  const done = WORKSPACE_MESSAGES[locale].done as Record<string, string>;
  const key = req.query.done;
  return typeof key === 'string' && Object.hasOwn(done, key)
    ? { status: 200, kind: 'ok', text: done[key]! }
    : undefined;
}
