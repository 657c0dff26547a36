/**
 * The risk model's findings in words, with their numbers, in Japanese and English: what a coordinator reads in the
 * escalation email, on the match and in the digest. Pure.
 */
import type { Respondent, ScaleQuestion } from './checkin-questions';
import type { LocalizedText } from './locale';
import type { RiskCause, RiskEvidence } from './risk-evidence';

/** What each cause is called. */
export const CAUSE_LABELS: Record<RiskCause, LocalizedText> = {
  working_style: { ja: '働き方・進め方の違い', en: 'Working-style mismatch' },
  remote_tools: { ja: 'オンラインツール・リモートでの進め方', en: 'Remote tools' },
  priority_gap: { ja: '優先度・期待値のずれ', en: 'Priority and expectation gap' },
  task_design: { ja: '業務設計（業務内容の明確さ）', en: 'Task design' },
  contract_admin: { ja: '契約・事務手続き', en: 'Contract and paperwork' },
  satisfaction: { ja: '満足度の低下', en: 'Falling satisfaction' },
  silence: { ja: 'チェックインへの回答が途絶えている', en: 'Gone quiet' },
  wants_coordinator: { ja: 'コーディネーターへの相談希望', en: 'Wants to talk to the coordinator' },
  rounds_missed: { ja: 'どちらもチェックインに未回答', en: 'Neither side answering' },
  contract_overdue: { ja: '契約書類の期限超過', en: 'Contract documents overdue' },
  kickoff_not_held: { ja: 'キックオフ未実施', en: 'Kickoff not held' },
};

const SIDES: Record<Respondent, LocalizedText> = {
  host: { ja: '受入事業者', en: 'host' },
  talent: { ja: '人材', en: 'talent' },
};

const QUESTIONS: Record<ScaleQuestion, LocalizedText> = {
  working_style: { ja: '働き方・進め方', en: 'working style' },
  remote_tools: { ja: 'オンラインツール・リモートでの進め方', en: 'remote tools' },
  priority: { ja: '優先度', en: 'priority' },
  expectation: { ja: '成果・業務範囲の認識', en: 'expectations' },
  task_clarity: { ja: '業務内容の明確さ', en: 'task clarity' },
  contract_admin: { ja: '契約・事務手続き', en: 'the contract and paperwork' },
  satisfaction: { ja: '満足度', en: 'satisfaction' },
};

const CONTRACT_STATUS_JA: Record<string, string> = {
  missing: '未提出',
  submitted: '提出済み・未確認',
  rejected: '差し戻し',
  verified: '確認済み',
};
const KICKOFF_STATUS_JA: Record<string, string> = {
  unscheduled: '日程未定',
  proposed: '日程調整中',
  scheduled: '日程確定',
  not_held: '実施されず',
};

/** A number as people write it: one decimal at most. */
export const points = (n: number): string => String(Math.round(n * 10) / 10);

const distinct = (values: number[]) => values.every((v) => v === values[0]);
const valuesEn = (values: number[]) => (distinct(values) ? points(values[0]!) : values.map(points).join(', then '));
const valuesJa = (values: number[]) => (distinct(values) ? points(values[0]!) : values.map(points).join('→'));
// A person's answers since something began, counted in the check-ins they answered.
const overEn = (n: number) => (n === 1 ? 'in their last check-in' : `over their last ${n} check-ins`);
const overJa = (n: number) => (n === 1 ? '直近の回答で' : `直近${n}回の回答で`);
const bothOverEn = (n: number) =>
  n === 1 ? 'in the last check-in both answered' : `over the last ${n} check-ins both answered`;
const bothOverJa = (n: number) =>
  n === 1 ? '双方が回答した直近のチェックインで' : `双方が回答した直近${n}回のチェックインで`;

function sentence(e: RiskEvidence): LocalizedText {
  switch (e.kind) {
    case 'fell': {
      const [side, q] = [SIDES[e.side], QUESTIONS[e.question]];
      return {
        en: `${side.en}'s answers on ${q.en} fell from their usual ${points(e.usual)} to ${valuesEn(e.recent)} ${overEn(e.recent.length)}`,
        ja: `${side.ja}の「${q.ja}」の回答が、いつもの${points(e.usual)}から${overJa(e.recent.length)}${valuesJa(e.recent)}に下がりました`,
      };
    }
    case 'gap': {
      const q = QUESTIONS[e.question];
      const n = e.host.length;
      const mean = e.host.reduce((s, h, i) => s + h - e.talent[i]!, 0) / n;
      return {
        en: `host rated ${q.en} ${valuesEn(e.host)} and talent ${valuesEn(e.talent)} ${bothOverEn(n)}: ${points(Math.abs(mean))} apart, where they are usually ${points(Math.abs(e.usualGap))} apart`,
        ja: `「${q.ja}」の評価が${bothOverJa(n)}受入事業者${valuesJa(e.host)}、人材${valuesJa(e.talent)}と${points(Math.abs(mean))}ポイント離れています（いつもは${points(Math.abs(e.usualGap))}ポイント差）`,
      };
    }
    case 'silent': {
      const side = SIDES[e.side];
      const before = e.askedBefore
        ? {
            en: `, after answering ${e.answeredBefore} of the ${e.askedBefore} before`,
            ja: `（それまでは${e.askedBefore}回中${e.answeredBefore}回回答）`,
          }
        : { en: '', ja: '' };
      return {
        en: `${side.en} has not answered ${e.missed === 1 ? 'the last check-in' : `the last ${e.missed} check-ins`}${before.en}`,
        ja: `${side.ja}が${e.missed === 1 ? '直近のチェックイン' : `直近${e.missed}回のチェックイン`}に回答していません${before.ja}`,
      };
    }
    case 'asked':
      return {
        en: `${e.sides.map((s) => SIDES[s].en).join(' and ')} would like to talk to the coordinator`,
        ja: `${e.sides.map((s) => SIDES[s].ja).join('と')}がコーディネーターとの相談を希望しています`,
      };
    case 'rounds_missed':
      return {
        en: `neither host nor talent answered ${e.rounds === 1 ? 'the last check-in' : `the last ${e.rounds} check-ins`}`,
        ja: `${e.rounds === 1 ? '直近のチェックイン' : `直近${e.rounds}回のチェックイン`}に、受入事業者・人材のどちらも回答していません`,
      };
    case 'milestone':
      return milestoneSentence(e.detail);
  }
}

function milestoneSentence(detail: Record<string, unknown>): LocalizedText {
  if (Array.isArray(detail.documents)) {
    const docs = detail.documents as { type: string; label?: LocalizedText; status: string }[];
    return {
      en: `contract documents not verified by their due date: ${docs.map((d) => `${d.label?.en ?? d.type} (${d.status})`).join(', ')}`,
      ja: `契約書類が期日までに確認できていません: ${docs.map((d) => `${d.label?.ja ?? d.type}（${CONTRACT_STATUS_JA[d.status] ?? d.status}）`).join('、')}`,
    };
  }
  const status = String(detail.kickoffStatus ?? '');
  return {
    en: `the kickoff was not held by ${String(detail.deadline)} (${status})`,
    ja: `キックオフが期限（${String(detail.deadline)}）までに実施されていません（${KICKOFF_STATUS_JA[status] ?? status}）`,
  };
}

/** The reason for a cause, from its evidence: one sentence per piece, strongest first. */
export function describe(evidence: readonly RiskEvidence[]): LocalizedText {
  const sentences = evidence.map(sentence);
  return {
    en: sentences.map((s) => s.en).join('; '),
    ja: sentences.map((s) => s.ja).join('。') + (sentences.length ? '。' : ''),
  };
}

/** Why an escalation closed. */
export function describeClosing(
  why: 'cleared' | 'met' | 'resolved' | 'snoozed',
  cause: RiskCause,
  checkins: number,
): LocalizedText {
  switch (why) {
    case 'cleared':
      return {
        en: `no sign of it in the last ${checkins} check-ins`,
        ja: `直近${checkins}回のチェックインで兆候が見られなくなりました`,
      };
    case 'met':
      return cause === 'kickoff_not_held'
        ? { en: 'the kickoff was held', ja: 'キックオフが実施されました' }
        : { en: 'the required contract documents are verified', ja: '必要な契約書類が確認されました' };
    case 'resolved':
      return { en: 'resolved by the coordinator', ja: 'コーディネーターが解決済みにしました' };
    case 'snoozed':
      return { en: 'snoozed by the coordinator', ja: 'コーディネーターがスヌーズしました' };
  }
}
