/**
 * A program's playbook (支援プラン): every timing, threshold and question of the post-match support is data.
 * The API validates and versions it (api/services/playbooks.ts); a match starts with a snapshot of the current
 * version, so a later edit never changes a running match underneath it.
 */
import type { SendingPolicy } from './calendar';
import type { ScaleQuestion } from './checkin-questions';
import type { LocalizedText } from './locale';

export type { LocalizedText } from './locale';

export type ContractDocumentDef = {
  /** Stable key, e.g. `outsourcing_contract`. */
  type: string;
  label: LocalizedText;
  required: boolean;
};

/** When a coordinator task falls due. */
export type TaskAnchor =
  | { anchor: 'start'; offset: string }
  | { anchor: 'term'; fraction: number }
  | { anchor: 'end'; before: string }
  | { anchor: 'close'; offset: string };

export type CoordinatorTaskDef = {
  /** Stable key, e.g. `midpoint_review`. */
  key: string;
  label: LocalizedText;
  at: TaskAnchor;
  /** How long the coordinator has once the task is due. */
  dueWithin: string;
};

export type ExtraQuestion = {
  id: string;
  label: LocalizedText;
  kind: 'scale' | 'text';
};

export type Playbook = SendingPolicy & {
  kickoff: {
    /** After the match start, the kickoff must be held by then. */
    deadline: string;
    /** Reminder to everyone this long before the meeting. */
    reminderBefore: string;
  };
  contracts: {
    documents: ContractDocumentDef[];
    /** Required documents are due before the kickoff (its time, or its deadline while unscheduled), or after start. */
    due: { kind: 'before_kickoff' } | { kind: 'after_start'; offset: string };
    /** The host is reminded this long before the due date, and again at it. */
    reminderBefore: string;
  };
  checkins: {
    /** Time between rounds. */
    cadence: string;
    /** The first round opens this long after the kickoff is held (or after the kickoff deadline). */
    firstAfterKickoff: string;
    /** A reminder goes to whoever has not answered after this long. */
    reminderAfter: string;
    /** The round closes (missed for whoever has not answered) after this long. */
    closeAfter: string;
    extraQuestions: ExtraQuestion[];
  };
  tasks: CoordinatorTaskDef[];
  /**
   * The numbers of the risk model (workflows/risk-model.ts). Absent from playbooks saved before the model existed:
   * matches started on those keep the round-by-round rules of `risk`.
   */
  riskModel?: RiskModel;
  /** The round-by-round rules (workflows/risk.ts) of matches whose playbook has no `riskModel`. */
  risk: {
    /** Host and talent ratings this many points apart (1–5 scale) are a gap. */
    gapPoints: number;
    /** A score at or below this is low. */
    lowScore: number;
    /** A drop of this many points since the last round is falling. */
    dropPoints: number;
    /** This many missed rounds in a row by one side is high severity. */
    missedInARowHigh: number;
  };
  escalation: {
    /** Business days the coordinator has to acknowledge before it goes up to the program manager. */
    slaBusinessDays: number;
  };
};

/**
 * How the risk model weighs check-in answers. Scores are in points of the 1–5 scale: a check-in adds how far a
 * person's answers fell below their usual ones, minus an allowance for ordinary wobble; a good check-in takes it
 * back down. `version` names the model's rules: a match keeps the version it started with.
 */
export type RiskModel = {
  version: 1;
  /** The program's typical answer to each question: a person's usual answer leans on it while they have few. */
  typical: Record<ScaleQuestion, number>;
  /** How many check-ins' worth the typical answer counts for in a person's usual answer. */
  priorWeight: number;
  /** How far a person's answers typically wobble around their usual ones, in points (1–5 scale). */
  typicalWobble: number;
  /** How many answers' worth the typical wobble counts for in a person's own. */
  wobblePriorWeight: number;
  /** No one's wobble counts as less than this, in points: answers are whole numbers, so a steady 5 still wobbles. */
  wobbleFloor: number;
  /** A miss counts towards a person's wobble as at most this many wobbles (trouble does not become wobble). */
  wobbleClip: number;
  /** An answer further than this many wobbles from the usual one counts for less in it (trouble does not become usual). */
  baselineTolerance: number;
  /** Wobbles below the expected answer an answer may be without adding anything. */
  allowance: number;
  /** The most one check-in can add, in wobbles, so one extreme answer weighs no more than a clear fall. */
  maxPerCheckin: number;
  /** The share of the score a check-in carries over to the next (below 1, old evidence fades). */
  carryOver: number;
  /** From this score a cause is watched (shown, no email). */
  watchAt: number;
  /** From this score a cause is escalated (the coordinator is emailed)... */
  escalateAt: number;
  /** ...once at least this many check-ins added to it: one bad check-in alone is never more than a watch. */
  checkinsToEscalate: number;
  /** Satisfaction falling along with a cause's question adds this share of its fall. */
  satisfactionWeight: number;
  /** The other side falling on the same cause adds this share of its score. */
  otherSideWeight: number;
  /** A gap between host and talent counts only beyond this many more wobbles from the pair's usual gap. */
  gapAllowance: number;
  silence: {
    /** The program's typical answer rate, which a side's own rate leans on while it has been asked few times... */
    typicalAnswerRate: number;
    /** ...counting for this many check-ins. */
    answerRateWeight: number;
    /** Missed check-ins each add the side's answer rate so far: from this sum a side's silence is watched... */
    watchAt: number;
    /** ...and from this sum escalated. */
    escalateAt: number;
    /** A side that misses a check-in while its answers on a cause were falling adds this (times its answer rate) to that cause. */
    afterFalling: number;
  };
  /** Both sides missing this many whole rounds in a row is escalated at once. */
  bothSidesMissedInARow: number;
  /** An escalation closes by itself only after this many answered check-ins in a row below the watch level. */
  clearAfter: number;
  /** After an escalation closes, the same cause is not escalated again for this many rounds (it can be watched). */
  cooldownRounds: number;
};

export const DEFAULT_RISK_MODEL: RiskModel = {
  version: 1,
  typical: {
    working_style: 4,
    remote_tools: 4,
    priority: 4,
    expectation: 4,
    task_clarity: 4,
    contract_admin: 4,
    satisfaction: 4,
  },
  priorWeight: 1.5,
  typicalWobble: 0.8,
  wobblePriorWeight: 10,
  wobbleFloor: 0.5,
  wobbleClip: 2.5,
  baselineTolerance: 1.5,
  allowance: 1,
  maxPerCheckin: 2,
  carryOver: 0.85,
  watchAt: 1.5,
  escalateAt: 3.6,
  checkinsToEscalate: 2,
  satisfactionWeight: 0.8,
  otherSideWeight: 0.5,
  gapAllowance: 1,
  silence: { typicalAnswerRate: 0.8, answerRateWeight: 2, watchAt: 1.5, escalateAt: 2.8, afterFalling: 0.5 },
  bothSidesMissedInARow: 2,
  clearAfter: 2,
  cooldownRounds: 3,
};

export const DEFAULT_PLAYBOOK: Playbook = {
  timeZone: 'Asia/Tokyo',
  sendingHours: { start: '09:00', end: '18:00' },
  sendDays: 'weekdays',
  skipHolidays: true,
  kickoff: { deadline: '14d', reminderBefore: '1d' },
  contracts: {
    documents: [
      { type: 'outsourcing_contract', label: { ja: '業務委託契約書', en: 'Outsourcing contract' }, required: true },
      { type: 'nda', label: { ja: '秘密保持契約書（NDA）', en: 'Non-disclosure agreement (NDA)' }, required: false },
    ],
    due: { kind: 'before_kickoff' },
    reminderBefore: '3d',
  },
  checkins: { cadence: '14d', firstAfterKickoff: '7d', reminderAfter: '3d', closeAfter: '7d', extraQuestions: [] },
  tasks: [
    {
      key: 'kickoff_prep',
      label: { ja: 'キックオフの準備', en: 'Prepare the kickoff' },
      at: { anchor: 'start', offset: '0d' },
      dueWithin: '5d',
    },
    {
      key: 'midpoint_review',
      label: { ja: '中間振り返り', en: 'Mid-point review' },
      at: { anchor: 'term', fraction: 0.5 },
      dueWithin: '7d',
    },
    {
      key: 'wrap_up_interview',
      label: { ja: '終了前ヒアリング', en: 'Wrap-up interview' },
      at: { anchor: 'end', before: '14d' },
      dueWithin: '10d',
    },
    {
      key: 'record_outcome',
      label: { ja: '結果の記録（完遂／途中終了）', en: 'Record the outcome' },
      at: { anchor: 'end', before: '0d' },
      dueWithin: '7d',
    },
    {
      key: 'retrospective',
      label: { ja: '事後振り返り', en: 'Retrospective' },
      at: { anchor: 'close', offset: '0d' },
      dueWithin: '14d',
    },
  ],
  riskModel: DEFAULT_RISK_MODEL,
  risk: { gapPoints: 2, lowScore: 2, dropPoints: 2, missedInARowHigh: 2 },
  escalation: { slaBusinessDays: 3 },
};
