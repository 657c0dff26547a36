import type { Locale } from '../../../workflows/shared';

type Words = Record<string, Record<Locale, string>>;

/**
 * The email record's codes in words: each kind of email (its template, as in activities/mail/templates/) and each
 * reason the mailer skips one (SKIP_REASONS in workflows/mail-delivery.ts). A unit test walks both sources, so a new
 * template or reason without words here fails.
 */
export const EMAIL_RECORD_WORDS: { kind: Words; skipReason: Words } = {
  kind: {
    'checkin-request': { ja: 'チェックインのお願い', en: 'Check-in request' },
    'checkin-reminder': { ja: 'チェックインのリマインド', en: 'Check-in reminder' },
    'closeout-survey': { ja: '終了時アンケート', en: 'Closing survey' },
    'contract-reminder': { ja: '契約書類のリマインド', en: 'Contract documents reminder' },
    'coordinator-digest': { ja: 'コーディネーター向けまとめ', en: 'Coordinator digest' },
    'delivery-problem': { ja: 'メール不達のお知らせ', en: 'Delivery problem' },
    escalation: { ja: 'エスカレーションのお知らせ', en: 'Escalation' },
    'escalation-raised': { ja: 'プログラム担当への引き上げ', en: 'Escalation raised to the program managers' },
    'kickoff-proposal': { ja: 'キックオフ候補日のご案内', en: 'Kickoff slots' },
    'kickoff-confirmed': { ja: 'キックオフ日程確定のお知らせ', en: 'Kickoff confirmed' },
    'kickoff-changed': { ja: 'キックオフ日程変更のお知らせ', en: 'Kickoff moved' },
    'kickoff-cancelled': { ja: 'キックオフ取り消しのお知らせ', en: 'Kickoff cancelled' },
    'kickoff-reminder': { ja: 'キックオフ前日のお知らせ', en: 'Kickoff reminder' },
    'match-opened': { ja: 'マッチング開始のお知らせ', en: 'Match opened' },
    'sign-in': { ja: 'サインイン用リンク', en: 'Sign-in link' },
    'task-reminder': { ja: 'タスクのリマインド', en: 'Task reminder' },
  },
  skipReason: {
    'the round has closed': { ja: 'チェックインの回が締め切られていたため', en: 'The check-in round had closed' },
    'answered meanwhile': { ja: '送信前に回答済みだったため', en: 'Answered before it was sent' },
    'the overdue reminder replaces it': {
      ja: '期限超過のリマインドに置き換えたため',
      en: 'Replaced by the overdue reminder',
    },
    'the task is scheduled': { ja: 'タスクがまだ始まっていなかったため', en: 'The task had not started yet' },
    'the task is done': { ja: 'タスクが完了済みだったため', en: 'The task was already done' },
    'the task is cancelled': { ja: 'タスクが取り消されていたため', en: 'The task had been cancelled' },
  },
};
