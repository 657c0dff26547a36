import type { Respondent, ScaleQuestion } from '../../workflows/checkin-questions';
import type { Locale } from '../../workflows/shared';

/**
 * How the check-in page asks the core questions, phrased for each side, in both languages. The order puts overall
 * satisfaction first: it is the question the email offers as one-click links.
 */
export type ScaleQuestionText = {
  id: ScaleQuestion;
  label: Record<Respondent, Record<Locale, string>>;
  /** What 1 and 5 mean. */
  low: Record<Locale, string>;
  high: Record<Locale, string>;
};

export const PAGE_SCALE_QUESTIONS: ScaleQuestionText[] = [
  {
    id: 'satisfaction',
    label: {
      host: { ja: 'プロジェクトの全体的な満足度は？', en: 'Overall, how satisfied are you with the project?' },
      talent: { ja: 'プロジェクトの全体的な満足度は？', en: 'Overall, how satisfied are you with the project?' },
    },
    low: { ja: 'まったく満足していない', en: 'Not at all satisfied' },
    high: { ja: 'とても満足している', en: 'Very satisfied' },
  },
  {
    id: 'working_style',
    label: {
      host: {
        ja: '兼業人材との働き方・進め方（連絡の頻度や意思決定のしかた）は合っていますか？',
        en: 'Does the way you work with the talent fit (pace, communication, decisions)?',
      },
      talent: {
        ja: '受入事業者との働き方・進め方（連絡の頻度や意思決定のしかた）は合っていますか？',
        en: 'Does the way you work with the host fit (pace, communication, decisions)?',
      },
    },
    low: { ja: 'まったく合っていない', en: 'Not at all' },
    high: { ja: 'とても合っている', en: 'Very well' },
  },
  {
    id: 'remote_tools',
    label: {
      host: {
        ja: 'オンラインツールやリモートでの進め方はうまくいっていますか？',
        en: 'How well are online tools and remote collaboration working?',
      },
      talent: {
        ja: 'オンラインツールやリモートでの進め方はうまくいっていますか？',
        en: 'How well are online tools and remote collaboration working?',
      },
    },
    low: { ja: 'とても困っている', en: 'Very poorly' },
    high: { ja: 'とてもうまくいっている', en: 'Very well' },
  },
  {
    id: 'priority',
    label: {
      host: {
        ja: 'このプロジェクトは、いまの御社にとってどのくらい優先度が高いですか？',
        en: 'How high a priority is this project for your business right now?',
      },
      talent: {
        ja: 'このプロジェクトは、いまのあなたにとってどのくらい優先度が高いですか？',
        en: 'How high a priority is this project for you right now?',
      },
    },
    low: { ja: '低い', en: 'Low' },
    high: { ja: '高い', en: 'High' },
  },
  {
    id: 'expectation',
    label: {
      host: {
        ja: '期待する成果や業務の範囲について、兼業人材と認識が一致していると感じますか？',
        en: 'Do you and the talent agree on the expected outcome and the scope of the work?',
      },
      talent: {
        ja: '期待される成果や業務の範囲について、受入事業者と認識が一致していると感じますか？',
        en: 'Do you and the host agree on the expected outcome and the scope of the work?',
      },
    },
    low: { ja: 'まったく一致していない', en: 'Not at all' },
    high: { ja: '完全に一致している', en: 'Completely' },
  },
  {
    id: 'task_clarity',
    label: {
      host: {
        ja: '兼業人材にお願いしている業務の内容は明確ですか？',
        en: 'Are the tasks you ask of the talent clear?',
      },
      talent: { ja: 'お願いされている業務の内容は明確ですか？', en: 'Are the tasks you are asked to do clear?' },
    },
    low: { ja: 'まったく明確でない', en: 'Not at all clear' },
    high: { ja: 'とても明確', en: 'Very clear' },
  },
  {
    id: 'contract_admin',
    label: {
      host: {
        ja: '契約や事務手続き（業務委託契約書、請求など）で困っていることはありませんか？',
        en: 'Any trouble with the contract or paperwork (outsourcing contract, invoices)?',
      },
      talent: {
        ja: '契約や事務手続き（業務委託契約書、請求など）で困っていることはありませんか？',
        en: 'Any trouble with the contract or paperwork (outsourcing contract, invoices)?',
      },
    },
    low: { ja: 'とても困っている', en: 'A lot of trouble' },
    high: { ja: 'まったく困っていない', en: 'No trouble at all' },
  },
];
