/**
 * The core check-in questions, the same for host and talent (each page phrases them for its side). They cover the
 * five causes of early trouble from the field: working style, remote tools, priority and expectations, task design
 * and contracts, plus overall satisfaction.
 */

/** 1–5 scales; 5 is always the good end (for `priority`: the project is a high priority for me now). */
export const SCALE_QUESTIONS = [
  'working_style',
  'remote_tools',
  'priority',
  'expectation',
  'task_clarity',
  'contract_admin',
  'satisfaction',
] as const;
export type ScaleQuestion = (typeof SCALE_QUESTIONS)[number];

/** The scales watched for low or falling scores: the five causes and overall satisfaction. */
export const WATCHED_SCALES: readonly ScaleQuestion[] = [
  'working_style',
  'remote_tools',
  'priority',
  'task_clarity',
  'contract_admin',
  'satisfaction',
];

export type CheckinAnswers = {
  scores: Record<ScaleQuestion, number>;
  /** Hours spent on the project since the last check-in. */
  hoursSpent?: number;
  comment?: string;
  /** "I would like to talk to the coordinator." */
  wantsCoordinator: boolean;
  /** Answers to the program's own questions, by question id. */
  extra?: Record<string, number | string>;
};

export type Respondent = 'host' | 'talent';
export const RESPONDENTS: readonly Respondent[] = ['host', 'talent'];
