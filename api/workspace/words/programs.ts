import type { Shape } from './shape';

/** The programs pages: KPIs and the month-by-month charts. */
const ja = {
  kpisTitle: 'KPI（重要指標）',
  kpi: {
    completionRate: '完遂率',
    earlyTerminationRate: '途中終了率',
    checkinResponseRate: 'チェックイン回答率',
    medianDaysToKickoff: 'キックオフまでの日数（中央値）',
    started: '開始したマッチング',
    active: '進行中',
    escalations: 'エスカレーション（未解決 / 期限超過）',
    meanHealth: '平均健全度',
    byCohort: 'コホート（開始月）別',
  },
  trends: {
    title: '月ごとの推移',
    none: 'まだ推移を示せる記録がありません。',
    month: '月',
    health: '健全度の推移（各マッチングのその月最後の値の平均）',
    meanScore: '平均健全度',
    bands: '良好 / 注意 / 要対応',
    answers: 'チェックイン回答率（回の開始月別）',
    rounds: '回数',
    hostRate: '受入事業者',
    talentRate: '兼業人材',
    cohorts: 'コホート別の完遂率・途中終了率',
    escalations: 'エスカレーション（発生 / 解決）',
    opened: '発生',
    resolved: '解決',
  },
} as const;

const en: Shape<typeof ja> = {
  kpisTitle: 'KPIs',
  kpi: {
    completionRate: 'Completion rate',
    earlyTerminationRate: 'Early termination rate',
    checkinResponseRate: 'Check-in response rate',
    medianDaysToKickoff: 'Days to kickoff (median)',
    started: 'Matches started',
    active: 'Active',
    escalations: 'Escalations (open / overdue)',
    meanHealth: 'Mean health',
    byCohort: 'By cohort (start month)',
  },
  trends: {
    title: 'Month by month',
    none: 'Nothing recorded yet to show a trend.',
    month: 'Month',
    health: "Health over time (mean of each match's last health in the month)",
    meanScore: 'Mean health',
    bands: 'Green / amber / red',
    answers: 'Check-in answer rate (by the month a round opened)',
    rounds: 'Rounds',
    hostRate: 'Host',
    talentRate: 'Talent',
    cohorts: 'Completion and early termination by cohort',
    escalations: 'Escalations (opened / resolved)',
    opened: 'Opened',
    resolved: 'Resolved',
  },
};

export const PROGRAMS_WORDS = { ja, en };
