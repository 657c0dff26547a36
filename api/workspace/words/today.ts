import type { Shape } from './shape';

/** Today, the front page: what needs the person, soonest first. */
const ja = {
  todayTitle: '今日やること',
  todayIntro: '対応が必要なものを、期限の近い順に並べています。',
  scopeMine: '担当のマッチング',
  scopeAll: 'プログラム全体',
  escalationsTitle: 'エスカレーション',
  tasksTitle: '期限が近いタスク',
  kickoffsTitle: '日程調整が必要なキックオフ',
  contractsTitle: '未完了の契約書類',
  watchTitle: '注意が必要なマッチング',
  nothing: 'ありません。',
  overdue: '期限超過',
  due: '期限',
  evidence: '根拠',
  openMatch: 'マッチングを開く',
} as const;

const en: Shape<typeof ja> = {
  todayTitle: 'Today',
  todayIntro: 'What needs you, soonest first.',
  scopeMine: 'My matches',
  scopeAll: 'Whole program',
  escalationsTitle: 'Escalations',
  tasksTitle: 'Tasks due',
  kickoffsTitle: 'Kickoffs to schedule',
  contractsTitle: 'Contracts outstanding',
  watchTitle: 'Matches on watch',
  nothing: 'None.',
  overdue: 'Overdue',
  due: 'Due',
  evidence: 'Evidence',
  openMatch: 'Open the match',
};

export const TODAY_WORDS = { ja, en };
