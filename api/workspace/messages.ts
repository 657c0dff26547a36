import type { Locale } from '../../workflows/shared';
import { LAYOUT_WORDS } from './words/layout';
import { SIGN_IN_WORDS } from './words/sign-in';
import { TODAY_WORDS } from './words/today';
import { MATCHES_WORDS } from './words/matches';
import { ACTIONS_WORDS } from './words/actions';
import { MATCH_WORDS } from './words/match';
import { ADMINS_WORDS } from './words/admins';
import { PROGRAMS_WORDS } from './words/programs';
import { PLAYBOOK_WORDS } from './words/playbook';
import { EXPORTS_WORDS } from './words/exports';
import { IMPORTS_WORDS } from './words/imports';
import type { Shape } from './words/shape';

/**
 * The workspace's words, Japanese first, each page's in its own module under `words/` (Japanese and English side by
 * side). Pages look them up as `it.t.<key>`; names of states and kinds (phase, status, escalation type…) are in
 * `labels.ts`.
 */
const ja = {
  ...LAYOUT_WORDS.ja,
  ...SIGN_IN_WORDS.ja,
  ...TODAY_WORDS.ja,
  ...MATCHES_WORDS.ja,
  ...ACTIONS_WORDS.ja,
  ...MATCH_WORDS.ja,
  ...ADMINS_WORDS.ja,
  ...PROGRAMS_WORDS.ja,
  ...PLAYBOOK_WORDS.ja,
  ...EXPORTS_WORDS.ja,
  ...IMPORTS_WORDS.ja,
};
export type WorkspaceMessages = Shape<typeof ja>;

const en: WorkspaceMessages = {
  ...LAYOUT_WORDS.en,
  ...SIGN_IN_WORDS.en,
  ...TODAY_WORDS.en,
  ...MATCHES_WORDS.en,
  ...ACTIONS_WORDS.en,
  ...MATCH_WORDS.en,
  ...ADMINS_WORDS.en,
  ...PROGRAMS_WORDS.en,
  ...PLAYBOOK_WORDS.en,
  ...EXPORTS_WORDS.en,
  ...IMPORTS_WORDS.en,
};

export const WORKSPACE_MESSAGES: Record<Locale, WorkspaceMessages> = { ja, en };

export { fill } from '../pages/messages';
