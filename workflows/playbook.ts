/**
 * A program's playbook (支援プラン): every timing, threshold and question of the post-match support is data.
 * The API validates and versions it (api/services/playbooks.ts); a match starts with a snapshot of the current
 * version, so a later edit never changes a running match underneath it.
 */
import type { SendingPolicy } from './calendar';
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
  risk: { gapPoints: 2, lowScore: 2, dropPoints: 2, missedInARowHigh: 2 },
  escalation: { slaBusinessDays: 3 },
};
