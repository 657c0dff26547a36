/**
 * Every reason the match workflow gives for refusing an action, each written once in both languages: English is the
 * refusal's message (what the JSON API answers as the problem's `detail`), Japanese is what the workspace shows a
 * coordinator. A refusal travels with its key and values (`{status}`), so each side fills in its own words. Pure
 * (no I/O), so the workflow bundle carries it.
 */
import type { Locale, LocalizedText } from './locale';

type Refusal = LocalizedText & {
  /** `wrongState`: the action does not fit the match's state (409); `invalid` or `unknown`: 422. */
  code: 'wrongState' | 'invalid' | 'unknown';
};

export const REFUSALS = {
  matchClosed: { code: 'wrongState', en: 'the match is closed', ja: 'このマッチングは終了しています。' },
  invalidInput: { code: 'invalid', en: '{problems}', ja: '入力内容に誤りがあります（{problems}）。' },
  slotNotAhead: {
    code: 'invalid',
    en: 'slot {startsAt} is not in the future',
    ja: '候補の日時（{startsAt}）が過ぎています。これから先の日時を指定してください。',
  },
  kickoffAlreadyHeld: {
    code: 'wrongState',
    en: 'the kickoff has already been held',
    ja: 'キックオフは既に実施済みです。',
  },
  kickoffScheduled: {
    code: 'wrongState',
    en: 'a kickoff is scheduled: move it (schedule) or cancel it before proposing new slots',
    ja: 'キックオフの日程が確定しています。新しい候補を送る前に、日程を変更するか取り消してください。',
  },
  noSlotsWaiting: {
    code: 'wrongState',
    en: 'no kickoff slots are waiting for an answer (kickoff is {kickoffStatus})',
    ja: '回答を待っているキックオフの候補はありません（現在: {kickoffStatus}）。',
  },
  proposalReplaced: {
    code: 'wrongState',
    en: 'proposal {proposal} was replaced by proposal {current}',
    ja: '候補（第{proposal}案）は第{current}案に置き換えられました。',
  },
  choiceOutOfRange: {
    code: 'invalid',
    en: 'choice must be "other" or a slot number from 0 to {last}',
    ja: '候補の番号（0〜{last}）か「別の日時」を選んでください。',
  },
  slotPassed: {
    code: 'wrongState',
    en: 'slot {choice} has already passed; choose another or ask for other times',
    ja: 'この候補の日時は過ぎています。別の候補を選ぶか、別の日時を依頼してください。',
  },
  noKickoffToCancel: {
    code: 'wrongState',
    en: 'there is no scheduled kickoff to cancel',
    ja: '取り消せるキックオフ（日程確定済み）がありません。',
  },
  kickoffNotScheduled: {
    code: 'wrongState',
    en: 'the kickoff cannot be recorded: it is {kickoffStatus}, not scheduled',
    ja: 'キックオフの日程が確定していないため記録できません（現在: {kickoffStatus}）。',
  },
  kickoffNotStarted: {
    code: 'wrongState',
    en: 'the kickoff has not started yet',
    ja: 'キックオフの開始時刻がまだ来ていません。',
  },
  unknownContract: {
    code: 'unknown',
    en: 'no contract document "{type}" on this match ({types})',
    ja: 'このマッチングには契約書類「{type}」がありません（{types}）。',
  },
  contractTransition: {
    code: 'wrongState',
    en: 'a {contractStatus} document cannot become {next}',
    ja: '「{contractStatus}」の書類を「{next}」にはできません。',
  },
  unknownTask: {
    code: 'unknown',
    en: 'no task "{taskId}" on this match',
    ja: 'このマッチングにそのタスクはありません。',
  },
  taskNotOpen: {
    code: 'wrongState',
    en: 'the task is {taskStatus}, not open',
    ja: 'このタスクは「{taskStatus}」のため、完了にできません。',
  },
  unknownEscalation: {
    code: 'unknown',
    en: 'no escalation "{escalationId}" on this match',
    ja: 'このマッチングにそのエスカレーションはありません。',
  },
  escalationState: {
    code: 'wrongState',
    en: 'the escalation is {escalationStatus}',
    ja: 'このエスカレーションは「{escalationStatus}」です。',
  },
  snoozeInPast: {
    code: 'invalid',
    en: 'snooze until a time in the future',
    ja: '保留する期限には、これから先の日時を指定してください。',
  },
  alreadyPaused: { code: 'wrongState', en: 'the match is already paused', ja: 'このマッチングは既に一時停止中です。' },
  notPaused: { code: 'wrongState', en: 'the match is not paused', ja: 'このマッチングは一時停止していません。' },
  endDateNotLater: {
    code: 'invalid',
    en: 'the new end date must be after {endDate}',
    ja: '新しい終了日は、今の終了日（{endDate}）より後にしてください。',
  },
  finalSurveySent: {
    code: 'wrongState',
    en: 'the final survey has gone out: record the outcome (complete) instead of extending',
    ja: '最終アンケートを送信済みのため延長できません。結果（完遂）を記録してください。',
  },
  sameCoordinator: {
    code: 'invalid',
    en: 'that is already the coordinator',
    ja: 'その方は既にこのマッチングの担当コーディネーターです。',
  },
  notInWrapUp: {
    code: 'wrongState',
    en: 'a match is completed in its wrap-up phase (it is {phase}); use end early otherwise',
    ja: '完遂の記録は振り返りフェーズで行います（現在: {phase}）。それ以外は途中終了を使ってください。',
  },
  alreadyStarted: {
    code: 'wrongState',
    en: 'the match has started; end it early instead',
    ja: 'このマッチングは既に始まっています。中止ではなく途中終了にしてください。',
  },
} as const satisfies Record<string, Refusal>;

export type RefusalKey = keyof typeof REFUSALS;
export type RefusalValues = Record<string, string | number>;
/** What a refusal carries besides its message (the failure's details): which refusal, with which values. */
export type RefusalDetail = { refusal: RefusalKey; values: RefusalValues };

/** The refusal's words in `locale`, with its values filled in (each through `word`, e.g. to name a status). */
export function refusalText(
  detail: RefusalDetail,
  locale: Locale,
  word: (name: string, value: string | number) => string = (_n, v) => String(v),
): string {
  return REFUSALS[detail.refusal][locale].replace(/\{(\w+)\}/g, (whole, name: string) =>
    detail.values[name] === undefined ? whole : word(name, detail.values[name]),
  );
}

/** Reads a refusal's detail back from what the API got (`ApplicationFailure.details[0]`), if it is one. */
export function asRefusalDetail(value: unknown): RefusalDetail | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { refusal, values } = value as { refusal?: unknown; values?: unknown };
  return typeof refusal === 'string' && Object.hasOwn(REFUSALS, refusal) && typeof values === 'object' && values
    ? { refusal: refusal as RefusalKey, values: values as RefusalValues }
    : undefined;
}
