import type { ScaleQuestion } from '../../workflows/checkin-questions';
import { CAUSE_LABELS } from '../../workflows/risk-reasons';
import type { Locale } from '../../workflows/shared';
import { EMAIL_RECORD_WORDS } from './words/emails';

/** Names of the states and kinds bansou keeps, as people read them, in both languages. */
type Labels = Record<string, Record<Locale, string>>;

export const PHASES: Labels = {
  onboarding: { ja: '立ち上げ', en: 'Onboarding' },
  active: { ja: '実施中', en: 'Active' },
  wrap_up: { ja: '振り返り', en: 'Wrap-up' },
  closed: { ja: '終了', en: 'Closed' },
};

export const STATUSES: Labels = {
  open: { ja: '進行中', en: 'Open' },
  paused: { ja: '一時停止', en: 'Paused' },
  completed: { ja: '完遂', en: 'Completed' },
  terminated_early: { ja: '途中終了', en: 'Ended early' },
  cancelled: { ja: '中止', en: 'Cancelled' },
};

export const BANDS: Labels = {
  green: { ja: '良好', en: 'Good' },
  amber: { ja: '注意', en: 'Watch' },
  red: { ja: '要対応', en: 'At risk' },
  too_early: { ja: '判定前', en: 'Too early' },
};

/** What raised an escalation: a cause of the risk model, or one of the round-by-round rules of older matches. */
export const ESCALATION_TYPES: Labels = {
  ...CAUSE_LABELS,
  missed_checkin: { ja: 'チェックイン未回答', en: 'Missed check-in' },
  expectation_gap: { ja: '期待する成果のずれ', en: 'Expectation gap' },
  low_score: { ja: '低い評価', en: 'Low score' },
  falling_score: { ja: '評価の低下', en: 'Falling score' },
};

export const SEVERITIES: Labels = {
  low: { ja: '低', en: 'Low' },
  medium: { ja: '中', en: 'Medium' },
  high: { ja: '高', en: 'High' },
};

export const ESCALATION_STATUSES: Labels = {
  open: { ja: '未対応', en: 'Open' },
  acknowledged: { ja: '対応中', en: 'Acknowledged' },
  snoozed: { ja: '保留', en: 'Snoozed' },
  resolved: { ja: '解決済み', en: 'Resolved' },
};

export const CONTRACT_STATUS_LABELS: Labels = {
  missing: { ja: '未提出', en: 'Missing' },
  submitted: { ja: '提出済み（確認待ち）', en: 'Submitted' },
  verified: { ja: '確認済み', en: 'Verified' },
  rejected: { ja: '差し戻し', en: 'Rejected' },
};

export const KICKOFF_STATUSES: Labels = {
  unscheduled: { ja: '未調整', en: 'Not scheduled' },
  proposed: { ja: '候補を提示中', en: 'Slots proposed' },
  scheduled: { ja: '日程確定', en: 'Scheduled' },
  held: { ja: '実施済み', en: 'Held' },
  not_held: { ja: '実施されず', en: 'Not held' },
};

export const TASK_STATUSES: Labels = {
  scheduled: { ja: '予定', en: 'Scheduled' },
  open: { ja: '未完了', en: 'Open' },
  done: { ja: '完了', en: 'Done' },
  cancelled: { ja: '取り消し', en: 'Cancelled' },
};

export const EMAIL_STATUSES: Labels = {
  queued: { ja: '送信待ち', en: 'Queued' },
  sent: { ja: '送信済み', en: 'Sent' },
  failed: { ja: '送信失敗', en: 'Failed' },
  skipped: { ja: '送信せず', en: 'Skipped' },
};

export const TERMINATION_REASON_LABELS: Labels = {
  working_style_mismatch: { ja: '働き方・組織文化の違い', en: 'Working-style mismatch' },
  tools_or_remote: { ja: 'オンラインツール・リモートの進め方', en: 'Remote tools or ways of working' },
  priority_change: { ja: '優先度・期待のずれ', en: 'Priorities or expectations changed' },
  unclear_tasks: { ja: '業務の切り出し・設計', en: 'Unclear tasks' },
  contract_issue: { ja: '契約の問題', en: 'Contract issue' },
  host_circumstances: { ja: '受入事業者の事情', en: "Host's circumstances" },
  talent_circumstances: { ja: '人材の事情', en: "Talent's circumstances" },
  other: { ja: 'その他', en: 'Other' },
};

export const RESPONDENTS: Labels = {
  host: { ja: '受入事業者', en: 'Host' },
  talent: { ja: '兼業人材', en: 'Talent' },
  coordinator: { ja: 'コーディネーター', en: 'Coordinator' },
  program_manager: { ja: 'プログラム担当', en: 'Program manager' },
};

/** Short names of the check-in questions, for chart titles and tables. */
export const QUESTION_SHORT: Record<ScaleQuestion, Record<Locale, string>> = {
  satisfaction: { ja: '満足度', en: 'Satisfaction' },
  working_style: { ja: '働き方の相性', en: 'Working style' },
  remote_tools: { ja: 'リモート・ツール', en: 'Remote tools' },
  priority: { ja: '優先度', en: 'Priority' },
  expectation: { ja: '期待・成果の一致', en: 'Expectations' },
  task_clarity: { ja: '業務の明確さ', en: 'Task clarity' },
  contract_admin: { ja: '契約・事務', en: 'Contract & admin' },
};

/** Timeline entries: what happened, in words. */
export const EVENT_TYPES: Labels = {
  'match.opened': { ja: 'マッチング開始', en: 'Match opened' },
  'match.phase': { ja: 'フェーズ変更', en: 'Phase changed' },
  'match.paused': { ja: '一時停止', en: 'Paused' },
  'match.resumed': { ja: '再開', en: 'Resumed' },
  'match.extended': { ja: '期間延長', en: 'Extended' },
  'match.reassigned': { ja: 'コーディネーター交代', en: 'Coordinator changed' },
  'match.closed': { ja: 'マッチング終了', en: 'Match closed' },
  'kickoff.proposed': { ja: 'キックオフ候補を提示', en: 'Kickoff slots proposed' },
  'kickoff.responded': { ja: 'キックオフ候補に回答', en: 'Answer to kickoff slots' },
  'kickoff.scheduled': { ja: 'キックオフ日程確定', en: 'Kickoff scheduled' },
  'kickoff.rescheduled': { ja: 'キックオフ日程変更', en: 'Kickoff moved' },
  'kickoff.cancelled': { ja: 'キックオフ取り消し', en: 'Kickoff cancelled' },
  'kickoff.reminded': { ja: 'キックオフ前日のお知らせ', en: 'Kickoff reminder' },
  'kickoff.held': { ja: 'キックオフ実施', en: 'Kickoff held' },
  'kickoff.not_held': { ja: 'キックオフ実施されず', en: 'Kickoff not held' },
  'contract.status': { ja: '契約書類の状況', en: 'Contract status' },
  'checkin.opened': { ja: 'チェックイン開始', en: 'Check-in opened' },
  'checkin.reminded': { ja: 'チェックインのリマインド', en: 'Check-in reminder' },
  'checkin.answered': { ja: 'チェックイン回答', en: 'Check-in answered' },
  'checkin.answer_updated': { ja: 'チェックイン回答を更新', en: 'Check-in answer updated' },
  'checkin.late_answer': { ja: '締切後の回答', en: 'Late answer' },
  'checkin.closed': { ja: 'チェックイン締切', en: 'Check-in closed' },
  'task.opened': { ja: 'タスク', en: 'Task opened' },
  'task.overdue': { ja: 'タスク期限超過', en: 'Task overdue' },
  'task.done': { ja: 'タスク完了', en: 'Task done' },
  'escalation.opened': { ja: 'エスカレーション発生', en: 'Escalation opened' },
  'escalation.updated': { ja: 'エスカレーション更新', en: 'Escalation updated' },
  'escalation.acknowledged': { ja: 'エスカレーション対応開始', en: 'Escalation acknowledged' },
  'escalation.snoozed': { ja: 'エスカレーション保留', en: 'Escalation snoozed' },
  'escalation.reopened': { ja: 'エスカレーション再開', en: 'Escalation reopened' },
  'escalation.raised': { ja: 'プログラム担当へ引き上げ', en: 'Raised to the program managers' },
  'escalation.resolved': { ja: 'エスカレーション解決', en: 'Escalation resolved' },
  'note.added': { ja: 'メモ', en: 'Note' },
  'email.sent': { ja: 'メール送信', en: 'Email sent' },
  'email.failed': { ja: 'メール送信失敗', en: 'Email failed' },
  'email.skipped': { ja: 'メール送信せず', en: 'Email skipped' },
  'workflow.continued': { ja: '記録を引き継ぎ', en: 'History continued' },
};

/** The label of `value` in `locale`, or the value itself when it has none (a new kind shows as its code). */
export function label(labels: Labels, value: string | null | undefined, locale: Locale): string {
  if (value === null || value === undefined) return '–';
  return labels[value]?.[locale] ?? value;
}

/** Every set by a short name, as templates ask for them: `it.label('phase', m.phase)`. */
export const LABEL_SETS = {
  phase: PHASES,
  status: STATUSES,
  band: BANDS,
  escalationType: ESCALATION_TYPES,
  severity: SEVERITIES,
  escalationStatus: ESCALATION_STATUSES,
  contractStatus: CONTRACT_STATUS_LABELS,
  kickoffStatus: KICKOFF_STATUSES,
  taskStatus: TASK_STATUSES,
  emailStatus: EMAIL_STATUSES,
  emailKind: EMAIL_RECORD_WORDS.kind,
  skipReason: EMAIL_RECORD_WORDS.skipReason,
  terminationReason: TERMINATION_REASON_LABELS,
  respondent: RESPONDENTS,
  question: QUESTION_SHORT as Labels,
  event: EVENT_TYPES,
} as const;
export type LabelSet = keyof typeof LABEL_SETS;
