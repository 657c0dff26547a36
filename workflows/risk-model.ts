/**
 * The risk model: one pure function, `assessRisk`, from a match's history (its closed check-in rounds with who did
 * not answer, its missed milestones and what the coordinator did with earlier escalations) and the playbook's
 * numbers to the match's risk state step by step, with the escalations each step opens and closes. The workflow, the
 * API and the evaluation harness (dev/risk-eval.ts) all call it. Deterministic: no clock, no randomness, no I/O.
 *
 * Evidence accumulates: a check-in adds how far each person's answers on a cause fell below their own usual ones
 * (less an allowance for ordinary wobble), a good check-in takes it back down. One bad check-in is at most a *watch*;
 * a sustained fall is an *escalation*. An escalation closes by itself only after several clean check-ins, is not
 * raised again for the same cause within a cooldown, and once the coordinator resolved or snoozed it, only new
 * evidence raises it again. Explicit signals (someone asks for the coordinator, both sides miss whole rounds, a
 * contract overdue, a kickoff not held) are escalated at once.
 */
import { RESPONDENTS, type CheckinAnswers, type Respondent, type ScaleQuestion } from './checkin-questions';
import type { LocalizedText } from './locale';
import type { RiskModel } from './playbook';
import {
  ACCUMULATED_CAUSES,
  answerRate,
  CAUSE_QUESTIONS,
  checkinEvidence,
  EXPLICIT_CAUSES,
  GAP_QUESTIONS,
  learnFrom,
  fallsOf,
  gapOf,
  newBaselines,
  round2,
  silentOf,
  type Run,
  expectedAnswer,
  expectedGap,
  type AccumulatedCause,
  type Baselines,
  type EvidenceSource,
  type ExplicitCause,
  type RiskCause,
  type RiskEvidence,
} from './risk-evidence';
import { describe, describeClosing } from './risk-reasons';
import type { RiskSignal, Severity } from './risk';

export { RISK_CAUSES, type RiskCause, type RiskEvidence } from './risk-evidence';

// Input ---------------------------------------------------------------------------------------------------------

/** A closed check-in round. */
export type RiskRoundEntry = {
  kind: 'round';
  round: number;
  /** When it closed (ISO 8601, UTC). */
  at: string;
  /** Read after the match closed (its close-out survey): shown like any round, but it escalates nothing. */
  final?: boolean;
  /** Each side's answers as saved; a side that is absent did not answer. */
  answers: Partial<Record<Respondent, CheckinAnswers>>;
};

/** A milestone missed (escalated at once) or met (its escalation closes). */
export type RiskMilestoneEntry = {
  kind: 'milestone';
  at: string;
  cause: Extract<ExplicitCause, 'contract_overdue' | 'kickoff_not_held'>;
  missed: boolean;
  /** For the reason: `{ documents: [{ type, label, status }] }` or `{ deadline, kickoffStatus }`. */
  detail?: Record<string, unknown>;
};

/**
 * The coordinator resolved or snoozed a cause's escalation: only new evidence raises it again. When a snooze ends,
 * the escalation re-opens if evidence enough came in since it was snoozed (or the milestone is still missed, or
 * both sides are still not answering).
 */
export type RiskCoordinatorEntry = {
  kind: 'coordinator';
  at: string;
  cause: RiskCause;
  action: 'resolved' | 'snoozed' | 'snooze_ended';
  /** Snoozed: not escalated again before then (ISO 8601, UTC). */
  until?: string;
};

export type RiskHistoryEntry = RiskRoundEntry | RiskMilestoneEntry | RiskCoordinatorEntry;

// Output --------------------------------------------------------------------------------------------------------

export type RiskLevel = 'watch' | 'escalated';

export type CauseRisk = {
  cause: RiskCause;
  level: RiskLevel;
  /** The accumulated evidence in points; null for causes escalated at once. */
  score: number | null;
  evidence: RiskEvidence[];
  reason: LocalizedText;
  /** Evidence enough to escalate, held back: within the cooldown, snoozed, or read from the close-out survey. */
  heldBack?: 'cooldown' | 'snoozed' | 'final';
};

export type RiskState = { level: 'none' | RiskLevel; causes: CauseRisk[] };

export type RiskOpening = { cause: RiskCause; score: number | null; evidence: RiskEvidence[]; reason: LocalizedText };

export type RiskClosing = { cause: RiskCause; why: 'cleared' | 'met' | 'resolved' | 'snoozed'; reason: LocalizedText };

/** The model after one history entry: the state, and the escalations that entry opened and closed. */
export type RiskStep = {
  /** The entry's position in the history. */
  index: number;
  /** The round, for a check-in round. */
  round: number | null;
  at: string;
  state: RiskState;
  opened: RiskOpening[];
  closed: RiskClosing[];
};

/** How much an escalated cause weighs: a request to talk is medium, the rest high; a watch is low. */
export function severityOf(cause: RiskCause, level: RiskLevel): Severity {
  if (level === 'watch') return 'low';
  return cause === 'wants_coordinator' ? 'medium' : 'high';
}

/** The risk state as the signals health weighs and the timeline shows. */
export function riskSignals(state: RiskState): RiskSignal[] {
  return state.causes.map((c) => ({
    type: c.cause,
    severity: severityOf(c.cause, c.level),
    reason: c.reason.en,
    evidence: { level: c.level, score: c.score, reason: c.reason, evidence: c.evidence },
  }));
}

// The model ------------------------------------------------------------------------------------------------------

type CauseTrack = {
  runs: Partial<Record<EvidenceSource, Run>>;
  /** Check-ins that added to the score since it was last zero. */
  checkins: number;
  open: boolean;
  /** The evidence the escalation opened with, shown while it clears. */
  openedWith: RiskEvidence[];
  /** Answered check-ins in a row below the watch level while open. */
  clean: number;
  /** The round count when it last closed (the cooldown runs from there). */
  closedAtRound: number | null;
  snoozedUntil?: string;
};

type ExplicitTrack = {
  open: boolean;
  clean: number;
  evidence: RiskEvidence[];
  /** Milestones: missed and not met since. */
  missed?: boolean;
};

const SIDE_SOURCES = RESPONDENTS;

/**
 * The risk of one match, step by step: for each history entry (in order), the state after it and the escalations it
 * opened and closed. Replaying a longer history gives the same first steps, so the workflow can call it after every
 * change and act on the last step.
 */
export function assessRisk(history: readonly RiskHistoryEntry[], model: RiskModel): RiskStep[] {
  return new Assessment(model).run(history);
}

class Assessment {
  private readonly b: Baselines = newBaselines();
  private readonly causes = Object.fromEntries(
    ACCUMULATED_CAUSES.map((c): [AccumulatedCause, CauseTrack] => [
      c,
      { runs: {}, checkins: 0, open: false, openedWith: [], clean: 0, closedAtRound: null },
    ]),
  ) as Record<AccumulatedCause, CauseTrack>;
  private readonly explicit = Object.fromEntries(
    EXPLICIT_CAUSES.map((c): [ExplicitCause, ExplicitTrack] => [c, { open: false, clean: 0, evidence: [] }]),
  ) as Record<ExplicitCause, ExplicitTrack>;
  private rounds = 0;
  private bothMissed = 0;
  private heldBack: Partial<Record<AccumulatedCause, CauseRisk['heldBack']>> = {};
  private opened: RiskOpening[] = [];
  private closed: RiskClosing[] = [];

  constructor(private readonly model: RiskModel) {}

  run(history: readonly RiskHistoryEntry[]): RiskStep[] {
    return history.map((entry, index) => {
      this.opened = [];
      this.closed = [];
      if (entry.kind === 'round') this.onRound(entry);
      else if (entry.kind === 'milestone') this.onMilestone(entry);
      else this.onCoordinator(entry);
      return {
        index,
        round: entry.kind === 'round' ? entry.round : null,
        at: entry.at,
        state: this.state(),
        opened: this.opened,
        closed: this.closed,
      };
    });
  }

  // Check-in rounds ------------------------------------------------------------------------------------------------

  private onRound(entry: RiskRoundEntry): void {
    const { answers } = entry;
    this.rounds += 1;
    for (const cause of ACCUMULATED_CAUSES) if (cause !== 'silence') this.weigh(cause, answers);
    this.weighExplicit(entry);
    learnFrom(this.b, answers, this.model);
    this.heldBack = {};
    const anyAnswered = RESPONDENTS.some((side) => answers[side]);
    for (const cause of ACCUMULATED_CAUSES) this.decide(cause, entry, cause === 'silence' || anyAnswered);
  }

  /** Adds one check-in's evidence to each source of a cause; a side silent while its answers were falling adds too. */
  private weigh(cause: Exclude<AccumulatedCause, 'silence'>, answers: RiskRoundEntry['answers']): void {
    const track = this.causes[cause];
    const evidence = checkinEvidence(this.b, cause, answers, this.model);
    let added = false;
    for (const source of [...SIDE_SOURCES, 'gap'] as const) {
      const e = evidence[source];
      let run = track.runs[source];
      if (e === undefined) {
        if (source !== 'gap' && run) {
          // No answer is no reason to forget: the evidence stands, and going quiet after falling adds to it.
          run.score += this.model.silence.afterFalling * answerRate(this.b, source, this.model);
          run.missed += 1;
          added = true;
        }
        continue;
      }
      if (!run) {
        if (e <= 0) continue;
        run = track.runs[source] = this.startRun(cause, source);
      }
      run.score = Math.max(0, this.model.carryOver * run.score + e);
      this.note(run, source, answers);
      if (e > 0) added = true;
      if (run.score === 0) delete track.runs[source];
    }
    if (this.score(cause) === 0) track.checkins = 0;
    else if (added) track.checkins += 1;
  }

  private startRun(cause: Exclude<AccumulatedCause, 'silence'>, source: EvidenceSource): Run {
    const run: Run = { score: 0, usual: {}, seen: {}, pairs: {}, missed: 0 };
    if (source === 'gap') {
      for (const q of GAP_QUESTIONS) run.usual[q] = expectedGap(this.b, q, this.model).usual;
    } else {
      const questions: readonly ScaleQuestion[] =
        cause === 'satisfaction' ? CAUSE_QUESTIONS[cause] : [...CAUSE_QUESTIONS[cause], 'satisfaction'];
      for (const q of questions) run.usual[q] = expectedAnswer(this.b, source, q, this.model).usual;
    }
    return run;
  }

  private note(run: Run, source: EvidenceSource, answers: RiskRoundEntry['answers']): void {
    if (source === 'gap') {
      for (const q of GAP_QUESTIONS) {
        const pair = (run.pairs[q] ??= { host: [], talent: [] });
        pair.host.push(answers.host!.scores[q]);
        pair.talent.push(answers.talent!.scores[q]);
      }
      return;
    }
    for (const q of Object.keys(run.usual) as ScaleQuestion[]) (run.seen[q] ??= []).push(answers[source]!.scores[q]);
  }

  /** A cause's score: its strongest source, plus a share of the other side's when both sides show it. */
  private score(cause: AccumulatedCause): number {
    if (cause === 'silence') return Math.max(...RESPONDENTS.map((side) => this.b.silence[side]));
    const { runs } = this.causes[cause];
    const [host, talent, gap] = [runs.host?.score ?? 0, runs.talent?.score ?? 0, runs.gap?.score ?? 0];
    return Math.max(host, talent, gap) + this.model.otherSideWeight * Math.min(host, talent);
  }

  private weighExplicit(entry: RiskRoundEntry): void {
    const asked = RESPONDENTS.filter((side) => entry.answers[side]?.wantsCoordinator);
    const answered = RESPONDENTS.some((side) => entry.answers[side]);
    const wants = this.explicit.wants_coordinator;
    if (asked.length) {
      wants.evidence = [{ kind: 'asked', sides: asked }];
      if (!wants.open && !entry.final) this.open('wants_coordinator', wants.evidence);
      wants.clean = 0;
    } else if (wants.open && answered && ++wants.clean >= this.model.clearAfter) {
      this.close('wants_coordinator', 'cleared', wants.clean);
    }
    const missed = this.explicit.rounds_missed;
    this.bothMissed = answered ? 0 : this.bothMissed + 1;
    missed.evidence = this.bothMissed ? [{ kind: 'rounds_missed', rounds: this.bothMissed }] : [];
    if (this.bothMissed >= this.model.bothSidesMissedInARow) {
      missed.clean = 0;
      if (!missed.open && !entry.final) this.open('rounds_missed', missed.evidence);
    } else if (missed.open && answered && ++missed.clean >= this.model.clearAfter) {
      this.close('rounds_missed', 'cleared', missed.clean);
    }
  }

  /** Escalates a cause with enough evidence (unless held back), or closes one that has stayed clean long enough. */
  private decide(cause: AccumulatedCause, entry: RiskRoundEntry, judged: boolean): void {
    const track = this.causes[cause];
    const { model } = this;
    const score = this.score(cause);
    if (!track.open) {
      if (!this.enough(cause)) return;
      const heldBack = entry.final
        ? 'final'
        : track.closedAtRound !== null && this.rounds - track.closedAtRound <= model.cooldownRounds
          ? 'cooldown'
          : track.snoozedUntil !== undefined && entry.at < track.snoozedUntil
            ? 'snoozed'
            : undefined;
      if (heldBack) this.heldBack[cause] = heldBack;
      else {
        track.openedWith = this.evidenceOf(cause);
        track.clean = 0;
        this.open(cause, track.openedWith, score);
      }
      return;
    }
    const watchAt = cause === 'silence' ? model.silence.watchAt : model.watchAt;
    if (score >= watchAt) track.clean = 0;
    else if (judged && ++track.clean >= model.clearAfter) {
      this.close(cause, 'cleared', track.clean);
      track.closedAtRound = this.rounds;
    }
  }

  /** Evidence enough to escalate a cause: its score, from at least `checkinsToEscalate` check-ins, not explained elsewhere. */
  private enough(cause: AccumulatedCause): boolean {
    const { model } = this;
    return (
      this.score(cause) >= (cause === 'silence' ? model.silence.escalateAt : model.escalateAt) &&
      (cause === 'silence' || this.causes[cause].checkins >= model.checkinsToEscalate) &&
      !this.explainedElsewhere(cause)
    );
  }

  /**
   * Falling satisfaction is its own cause only when no other cause explains it; silence only when the silent side is
   * not already escalated for a cause it fell on before going quiet (the silence is evidence of that cause).
   */
  private explainedElsewhere(cause: AccumulatedCause): boolean {
    const others = ACCUMULATED_CAUSES.filter((c) => c !== cause && c !== 'silence' && c !== 'satisfaction');
    if (cause === 'satisfaction')
      return others.some((c) => this.causes[c].open || this.score(c) >= this.model.escalateAt);
    if (cause === 'silence')
      return RESPONDENTS.filter((side) => this.b.silence[side] >= this.model.silence.escalateAt).every((side) =>
        others.some((c) => this.causes[c].open && (this.causes[c].runs[side]?.missed ?? 0) > 0),
      );
    return false;
  }

  // Milestones and the coordinator ---------------------------------------------------------------------------------

  private onMilestone(entry: RiskMilestoneEntry): void {
    const track = this.explicit[entry.cause];
    track.missed = entry.missed;
    if (entry.missed) {
      track.evidence = [{ kind: 'milestone', detail: entry.detail ?? {} }];
      if (!track.open) this.open(entry.cause, track.evidence);
    } else {
      track.evidence = [];
      if (track.open) this.close(entry.cause, 'met', 0);
    }
  }

  private onCoordinator(entry: RiskCoordinatorEntry): void {
    const { cause } = entry;
    if (entry.action === 'snooze_ended') return this.snoozeEnded(cause);
    if ((EXPLICIT_CAUSES as readonly string[]).includes(cause)) {
      const track = this.explicit[cause as ExplicitCause];
      if (track.open) this.close(cause, entry.action, 0);
      if (cause === 'rounds_missed') this.bothMissed = 0;
      if (cause === 'wants_coordinator' || cause === 'rounds_missed') track.evidence = [];
      return;
    }
    const track = this.causes[cause as AccumulatedCause];
    if (track.open) this.close(cause, entry.action, 0);
    // What was seen is dealt with: only evidence from later check-ins counts.
    track.runs = {};
    track.checkins = 0;
    track.closedAtRound = this.rounds;
    if (cause === 'silence') for (const side of RESPONDENTS) this.b.silence[side] = 0;
    if (entry.action === 'snoozed' && entry.until) track.snoozedUntil = entry.until;
  }

  /** A snooze ended: the escalation re-opens now if what it is about came back while it was snoozed. */
  private snoozeEnded(cause: RiskCause): void {
    if ((EXPLICIT_CAUSES as readonly string[]).includes(cause)) {
      const track = this.explicit[cause as ExplicitCause];
      const still = cause === 'rounds_missed' ? this.bothMissed >= this.model.bothSidesMissedInARow : track.missed;
      if (!track.open && still) this.open(cause, track.evidence);
      return;
    }
    const accumulated = cause as AccumulatedCause;
    const track = this.causes[accumulated];
    track.snoozedUntil = undefined;
    if (!track.open && this.enough(accumulated)) {
      track.openedWith = this.evidenceOf(accumulated);
      track.clean = 0;
      this.open(accumulated, track.openedWith, this.score(accumulated));
    }
  }

  private open(cause: RiskCause, evidence: RiskEvidence[], score: number | null = null): void {
    const track = this.trackOf(cause);
    track.open = true;
    this.opened.push({ cause, score: score === null ? null : round2(score), evidence, reason: describe(evidence) });
  }

  private close(cause: RiskCause, why: RiskClosing['why'], checkins: number): void {
    const track = this.trackOf(cause);
    track.open = false;
    track.clean = 0;
    this.closed.push({ cause, why, reason: describeClosing(why, cause, checkins) });
  }

  private trackOf(cause: RiskCause): { open: boolean; clean: number } {
    return (EXPLICIT_CAUSES as readonly string[]).includes(cause)
      ? this.explicit[cause as ExplicitCause]
      : this.causes[cause as AccumulatedCause];
  }

  // The state, in numbers and words --------------------------------------------------------------------------------

  private state(): RiskState {
    const causes: CauseRisk[] = [];
    for (const cause of ACCUMULATED_CAUSES) {
      const track = this.causes[cause];
      const score = this.score(cause);
      const watchAt = cause === 'silence' ? this.model.silence.watchAt : this.model.watchAt;
      if (!track.open && score < watchAt) continue;
      const current = score > 0 ? this.evidenceOf(cause) : [];
      const evidence = current.length ? current : track.openedWith;
      causes.push({
        cause,
        level: track.open ? 'escalated' : 'watch',
        score: round2(score),
        evidence,
        reason: describe(evidence),
        ...(this.heldBack[cause] ? { heldBack: this.heldBack[cause] } : {}),
      });
    }
    for (const cause of EXPLICIT_CAUSES) {
      const track = this.explicit[cause];
      const watched = cause === 'rounds_missed' && this.bothMissed > 0;
      if (!track.open && !watched) continue;
      causes.push({
        cause,
        level: track.open ? 'escalated' : 'watch',
        score: null,
        evidence: track.evidence,
        reason: describe(track.evidence),
      });
    }
    causes.sort(
      (x, y) => Number(y.level === 'escalated') - Number(x.level === 'escalated') || (y.score ?? 99) - (x.score ?? 99),
    );
    const level = causes.some((c) => c.level === 'escalated') ? 'escalated' : causes.length ? 'watch' : 'none';
    return { level, causes };
  }

  /** The evidence behind a cause now, strongest source first, with the numbers its sentence needs. */
  private evidenceOf(cause: AccumulatedCause): RiskEvidence[] {
    if (cause === 'silence') {
      // A silent side's earlier fall on a cause, if any, is part of the story.
      return RESPONDENTS.filter((side) => this.b.missedInARow[side] > 0 && this.b.silence[side] > 0).flatMap((side) => [
        ...ACCUMULATED_CAUSES.flatMap((c) => {
          const run = c === 'silence' ? undefined : this.causes[c].runs[side];
          return run?.missed ? fallsOf(c as Exclude<AccumulatedCause, 'silence'>, side, run, this.b, this.model) : [];
        }),
        silentOf(this.b, side),
      ]);
    }
    const { runs } = this.causes[cause];
    const sources = (Object.keys(runs) as EvidenceSource[]).sort((x, y) => runs[y]!.score - runs[x]!.score);
    return sources.flatMap((source) => {
      const run = runs[source]!;
      if (source === 'gap') return gapOf(run);
      return [
        ...fallsOf(cause, source, run, this.b, this.model),
        ...(run.missed && this.b.missedInARow[source] ? [silentOf(this.b, source)] : []),
      ];
    });
  }
}
