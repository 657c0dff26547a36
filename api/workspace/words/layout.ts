import type { Shape } from './shape';

/**
 * Words of every page: the header, the navigation, the language switch, and the notices any page may show (forbidden,
 * not found, a form expired, an error).
 */
const ja = {
  lang: 'ja',
  brand: 'bansou 伴走支援',
  skip: '本文へ移動',
  nav: { today: '今日', matches: 'マッチング', programs: 'プログラム', accounts: '管理者' },
  signOut: 'サインアウト',
  language: '言語',
  switchTo: 'English',
  signedInAs: '{name} としてサインイン中',
  forbiddenTitle: 'このページは表示できません',
  forbiddenBody: 'ページが存在しないか、表示する権限がありません。',
  notFoundTitle: 'ページが見つかりません',
  formExpiredTitle: 'フォームの有効期限が切れています',
  formExpiredBody: 'ページを読み込み直してから、もう一度操作してください。',
  errorTitle: 'ただいま処理できません',
  errorBody: '一時的に処理できませんでした。少し時間をおいて、もう一度お試しください。',
  unavailableTitle: 'ただいま処理できません（しばらくしてからお試しください）',
} as const;

const en: Shape<typeof ja> = {
  lang: 'en',
  brand: 'bansou post-match support',
  skip: 'Skip to content',
  nav: { today: 'Today', matches: 'Matches', programs: 'Programs', accounts: 'Admins' },
  signOut: 'Sign out',
  language: 'Language',
  switchTo: '日本語',
  signedInAs: 'Signed in as {name}',
  forbiddenTitle: 'This page is not available',
  forbiddenBody: 'It does not exist, or you may not see it.',
  notFoundTitle: 'Page not found',
  formExpiredTitle: 'This form has expired',
  formExpiredBody: 'Reload the page, then try again.',
  errorTitle: 'Something went wrong',
  errorBody: 'We could not do that just now. Wait a moment and try again.',
  unavailableTitle: 'Not available just now (try again in a minute)',
};

export const LAYOUT_WORDS = { ja, en };
