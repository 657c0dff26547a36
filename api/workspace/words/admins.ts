import type { Shape } from './shape';

/** The admins' page. */
const ja = {
  adminsTitle: '管理者',
  adminsIntro:
    '管理者はすべてのプログラムを見て操作できます。コーディネーターとプログラム担当の権限は、各プログラムの登録内容から決まります。',
  markedBy: '登録した人',
  addAdmin: '管理者にする',
  removeAdmin: '管理者から外す',
  signOutEverywhere: 'すべての端末でサインアウト',
  adminAdded: '{email} を管理者にしました。',
  adminRemoved: '{email} を管理者から外しました。',
  signedOutEverywhere: '{email} のすべてのセッションを終了しました。',
} as const;

const en: Shape<typeof ja> = {
  adminsTitle: 'Admins',
  adminsIntro:
    "Admins see and act in every program. Coordinators' and program managers' rights come from each program.",
  markedBy: 'Marked by',
  addAdmin: 'Make admin',
  removeAdmin: 'Remove admin',
  signOutEverywhere: 'Sign out everywhere',
  adminAdded: '{email} is now an admin.',
  adminRemoved: '{email} is no longer an admin.',
  signedOutEverywhere: 'Every session of {email} has ended.',
};

export const ADMINS_WORDS = { ja, en };
