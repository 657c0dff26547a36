import type { Shape } from './shape';

/** The downloads: their links and the column names of the files. */
const ja = {
  exports: {
    matches: 'CSV で書き出す（この条件で）',
    kpis: 'KPI を CSV で書き出す',
    matchesXlsx: 'Excel で書き出す（この条件で）',
    kpisXlsx: 'KPI を Excel で書き出す',
    matchesSheet: 'マッチング一覧',
    kpisSheet: 'KPI',
    region: '地域',
    band: '健全度の区分',
    startDate: '開始日',
    endDate: '終了日',
    openEscalations: '未解決のエスカレーション',
    overdueEscalations: '期限超過のエスカレーション',
    checkinsCompleted: '完了したチェックイン',
    responseRate: '回答率',
    kickoffHeld: 'キックオフ実施日',
    breakdown: '集計の単位',
    group: '対象',
    overall: '全体',
    noRegion: '（地域なし）',
    completed: '完遂',
    terminatedEarly: '途中終了',
    cancelled: '取消',
    kickoffsHeld: 'キックオフ開催済み（件）',
    runningIn: '進行中で健全度が',
    badFilters: '絞り込みの条件が正しくありません。一覧で条件を選び直してから書き出してください。',
  },
} as const;

const en: Shape<typeof ja> = {
  exports: {
    matches: 'Download as CSV (these filters)',
    kpis: 'Download the KPIs as CSV',
    matchesXlsx: 'Download as Excel (these filters)',
    kpisXlsx: 'Download the KPIs as Excel',
    matchesSheet: 'Matches',
    kpisSheet: 'KPIs',
    region: 'Region',
    band: 'Health band',
    startDate: 'Start date',
    endDate: 'End date',
    openEscalations: 'Open escalations',
    overdueEscalations: 'Overdue escalations',
    checkinsCompleted: 'Check-ins completed',
    responseRate: 'Response rate',
    kickoffHeld: 'Kickoff held on',
    breakdown: 'Breakdown',
    group: 'Group',
    overall: 'Overall',
    noRegion: '(no region)',
    completed: 'Completed',
    terminatedEarly: 'Terminated early',
    cancelled: 'Cancelled',
    kickoffsHeld: 'Kickoffs held',
    runningIn: 'Running, health',
    badFilters: 'The filters are not valid. Choose them again on the list, then download.',
  },
};

export const EXPORTS_WORDS = { ja, en };
