import type { Shape } from './shape';

/**
 * The sign-in pages: asking for a link, the check-your-inbox page, the confirm button, and a link that is used, expired
 * or not valid.
 */
const ja = {
  signInTitle: 'ワークスペースにサインイン',
  signInIntro:
    'コーディネーター・プログラム担当の方は、登録されているメールアドレスを入力してください。サインイン用のリンクをお送りします。',
  email: 'メールアドレス',
  emailInvalid: 'メールアドレスの形式で入力してください',
  signInUnavailable:
    'いまはサインイン用のリンクを送れませんでした（ワークフローのサービスが一時的に応答していません）。メールは送られていません。1分ほど待ってから、もう一度送信してください。',
  sendLink: 'サインイン用リンクを送る',
  checkInboxTitle: 'メールをご確認ください',
  checkInboxBody:
    '{email} が登録されている場合、サインイン用のリンクをお送りしました。リンクは {minutes} 分間、1 回だけ使えます。届かない場合は、迷惑メールフォルダもご確認ください。',
  confirmTitle: 'サインインしますか？',
  confirmBody: '{email} としてワークスペースにサインインします。',
  confirmButton: 'サインインする',
  linkUsedTitle: 'このリンクは使用済みです',
  linkExpiredTitle: 'このリンクの有効期限が切れています',
  linkInvalidTitle: 'このリンクは無効です',
  linkAgain: 'サインイン用リンクは 1 回だけ、短い時間だけ使えます。もう一度リンクを送ってください。',
  requestAgain: 'リンクをもう一度送る',
  signedOutNotice: 'サインアウトしました。',
  tooManyTitle: 'しばらくしてからお試しください',
  tooManyBody: '短い時間に多くのリクエストがありました。数分おいてから、もう一度お試しください。',
} as const;

const en: Shape<typeof ja> = {
  signInTitle: 'Sign in to the workspace',
  signInIntro:
    'Coordinators and program managers: enter the email address bansou knows you by. We will email you a sign-in link.',
  email: 'Email address',
  emailInvalid: 'Enter an email address',
  signInUnavailable:
    'The sign-in link could not be sent just now (the workflow service is not answering), and no email was sent. Wait a minute, then send it again.',
  sendLink: 'Email me a sign-in link',
  checkInboxTitle: 'Check your inbox',
  checkInboxBody:
    'If {email} is registered, we have sent it a sign-in link. The link works once, for {minutes} minutes. If nothing arrives, look in your spam folder too.',
  confirmTitle: 'Sign in?',
  confirmBody: 'You are signing in to the workspace as {email}.',
  confirmButton: 'Sign in',
  linkUsedTitle: 'This link has been used',
  linkExpiredTitle: 'This link has expired',
  linkInvalidTitle: 'This link is not valid',
  linkAgain: 'A sign-in link works once and only for a short time. Ask for a new one.',
  requestAgain: 'Send me a new link',
  signedOutNotice: 'You have signed out.',
  tooManyTitle: 'Please try again later',
  tooManyBody: 'There were many requests in a short time. Wait a few minutes, then try again.',
};

export const SIGN_IN_WORDS = { ja, en };
