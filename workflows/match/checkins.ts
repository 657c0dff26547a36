/**
 * Check-ins (定期チェックイン): short surveys to host and talent on the playbook's cadence, a reminder to whoever
 * has not answered, and the round's close, where it is handed to the escalations part to be judged for risk. The
 * final survey goes out at the planned end (or when the match closes early).
 */
import { isCancellation, log, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { nextSendTime } from '../calendar';
import { RESPONDENTS } from '../checkin-questions';
import { DAY_MS, durationMs } from '../durations';
import { problemsWith, ZCheckinAnswered } from '../messages';
import { firstCheckinAt } from '../schedule';
import { checkinAnsweredSignal, type CheckinAnsweredSignal, type CheckinRoundState, type MatchState } from '../shared';
import {
  checkinsDone,
  iso,
  LATE_ANSWERS_JOIN_THEIR_ROUND,
  ms,
  now,
  TIMERS_START_AT_SENDING_HOURS,
  type MatchContext,
} from './context';
import type { Escalations } from './escalations';

// Reading the saved answers holds the round's close: a few minutes of retries, then it closes without them.
const { savedAnswers } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** How long a check-in link keeps working after its round closed (the page then shows what was submitted). */
const LINK_GRACE_MS = 14 * DAY_MS;

/** What the read model keeps of a round once it has closed. */
export function closedRound(round: CheckinRoundState): NonNullable<MatchState['checkins']['lastClosed']> {
  const { answers, reminded: _reminded, status: _status, ...times } = round;
  return { ...times, answered: RESPONDENTS.filter((r) => answers[r]) };
}

/** What an arriving answer does to the round it is for. */
export type AnswerEffect = 'late' | 'duplicate' | 'older' | 'answered' | 'updated';

/** Which fixes to answers apply to this run (each came in behind `patched()`). */
export type AnswerPatches = {
  twiceCountsOnce: () => boolean;
  olderChangesNothing: () => boolean;
  lateJoinsRound: () => boolean;
};

/**
 * Where an answer belongs: a round no longer open takes none (late), unless the round already counted it (it was
 * taken from the saved answers at the close, or delivered before); the same submission delivered twice (page and
 * relay) counts once; an older submission arriving after a newer one changes nothing.
 */
export function answerEffect(
  checkins: Pick<MatchState['checkins'], 'current' | 'lastClosed'>,
  answer: CheckinAnsweredSignal,
  patches: AnswerPatches,
): AnswerEffect {
  const round = checkins.current;
  if (!round || round.round !== answer.round || round.status !== 'open') {
    const taken = round?.round === answer.round ? round.answers[answer.respondent] : undefined;
    const counted = taken
      ? taken.answerId === answer.answerId && taken.at === answer.submittedAt
      : checkins.lastClosed?.round === answer.round && checkins.lastClosed.answered.includes(answer.respondent);
    return counted && patches.lateJoinsRound() ? 'duplicate' : 'late';
  }
  const previous = round.answers[answer.respondent];
  const sameSubmission = previous?.answerId === answer.answerId && previous.at === answer.submittedAt;
  if (sameSubmission && patches.twiceCountsOnce()) return 'duplicate';
  const olderSubmission = previous !== undefined && ms(answer.submittedAt) < ms(previous.at);
  if (olderSubmission && patches.olderChangesNothing()) return 'older';
  return previous ? 'updated' : 'answered';
}

export class Checkins {
  constructor(
    private readonly ctx: MatchContext,
    private readonly escalations: Escalations,
  ) {}

  listen(): void {
    const { ctx } = this;
    setHandler(checkinAnsweredSignal, (answer) => {
      const problems = problemsWith(ZCheckinAnswered, answer);
      if (problems) {
        // The API saves only what its form accepts: a malformed answer is a bug elsewhere, kept out of the round.
        log.warn('check-in answer ignored', { problems });
        return;
      }
      const effect = answerEffect(ctx.state.checkins, answer, {
        twiceCountsOnce: () => patched('answer-delivered-twice-counts-once'),
        olderChangesNothing: () => patched('older-answer-changes-nothing'),
        lateJoinsRound: () => patched(LATE_ANSWERS_JOIN_THEIR_ROUND),
      });
      if (effect === 'late') {
        ctx.record('checkin.late_answer', {
          round: answer.round,
          respondent: answer.respondent,
          answerId: answer.answerId,
        });
        return;
      }
      if (effect === 'duplicate' || effect === 'older') return;
      this.take(ctx.state.checkins.current!, answer, effect);
    });
  }

  private take(round: CheckinRoundState, answer: CheckinAnsweredSignal, effect: 'answered' | 'updated'): void {
    round.answers[answer.respondent] = { answerId: answer.answerId, at: answer.submittedAt, answers: answer.answers };
    this.ctx.record(effect === 'updated' ? 'checkin.answer_updated' : 'checkin.answered', {
      round: answer.round,
      respondent: answer.respondent,
      answerId: answer.answerId,
    });
  }

  /**
   * At the close, the answers saved by then whose signal has not arrived (Temporal was unreachable when they were
   * saved; the relay delivers them later) join the round before it is judged. If Postgres cannot be read, the round
   * closes with what was delivered.
   */
  private async takeSavedAnswers(round: CheckinRoundState): Promise<void> {
    const { ctx } = this;
    let saved: CheckinAnsweredSignal[] = [];
    ctx.activitiesInFlight += 1;
    try {
      saved = await savedAnswers({ matchId: ctx.state.matchId, round: round.round, savedBy: round.closeAt });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('saved answers not read; the round closes with those delivered', { error: String(error) });
    } finally {
      ctx.activitiesInFlight -= 1;
    }
    for (const answer of saved) {
      if (round.status !== 'open' || problemsWith(ZCheckinAnswered, answer)) continue;
      const delivered = round.answers[answer.respondent];
      if (delivered && ms(delivered.at) >= ms(answer.submittedAt)) continue;
      this.take(round, answer, delivered ? 'updated' : 'answered');
    }
  }

  /** Opens each round at its time, runs it to its close; at the end (or an early close) the final survey. */
  async run(): Promise<void> {
    const { ctx } = this;
    for (;;) {
      const current = ctx.state.checkins.current;
      if (current?.status === 'open') {
        await this.runRound(current);
        continue;
      }
      if (checkinsDone(ctx.state)) return;
      const opened = await ctx.waitUntil(
        () => this.nextRoundAt(),
        () => checkinsDone(ctx.state) || (ctx.isClosed() && this.finalRoundOwed()),
      );
      if (checkinsDone(ctx.state)) return;
      if (ctx.isClosed() && this.finalRoundOwed()) this.openRound('final');
      else if (opened) this.openRound(this.nextRoundIsFinal() ? 'final' : 'regular');
    }
  }

  /** The match closed with a regular round open: it closes now, without being judged (the final survey follows). */
  closeEarly(): void {
    const { ctx } = this;
    const round = ctx.state.checkins.current;
    if (round?.status !== 'open' || round.kind !== 'regular') return;
    round.status = 'closed';
    ctx.state.checkins.lastClosed = closedRound(round);
    ctx.record('checkin.closed', {
      round: round.round,
      kind: round.kind,
      answered: RESPONDENTS.filter((r) => round.answers[r]),
      early: true,
    });
  }

  /** The next regular round, or the final one at the planned end when no regular round fits before it. */
  private nextRoundAt(): number | null {
    const { state } = this.ctx;
    if (state.outcome) return null;
    const regular = state.checkins.nextOpenAt ? ms(state.checkins.nextOpenAt) : firstCheckinAt(state);
    if (regular !== null && !this.regularRoundWouldOverrunEnd(regular)) return regular;
    return state.checkins.finalSent ? null : ms(state.endAt);
  }

  private regularRoundWouldOverrunEnd(openAt: number): boolean {
    const { state } = this.ctx;
    return openAt + durationMs(state.playbook.checkins.closeAfter) > ms(state.endAt);
  }

  private nextRoundIsFinal(): boolean {
    const { state } = this.ctx;
    const regular = state.checkins.nextOpenAt ? ms(state.checkins.nextOpenAt) : firstCheckinAt(state);
    return regular === null || this.regularRoundWouldOverrunEnd(regular);
  }

  private finalRoundOwed(): boolean {
    const { state } = this.ctx;
    return !state.checkins.finalSent && state.outcome?.status !== 'cancelled';
  }

  private openRound(kind: CheckinRoundState['kind']): void {
    const { ctx } = this;
    const { checkins, playbook } = ctx.state;
    const openedAt = now();
    // The answer window starts when the request can go out: a round opened on a Friday evening gives the full window
    // from Monday morning, not two days less.
    const askedAt = patched(TIMERS_START_AT_SENDING_HOURS) ? nextSendTime(openedAt, playbook) : openedAt;
    const closeAt = askedAt + durationMs(playbook.checkins.closeAfter);
    const round: CheckinRoundState = {
      round: checkins.nextRound,
      kind,
      openedAt: iso(openedAt),
      remindAt: iso(askedAt + durationMs(playbook.checkins.reminderAfter)),
      closeAt: iso(closeAt),
      expiresAt: iso(closeAt + LINK_GRACE_MS),
      status: 'open',
      answers: {},
      reminded: [],
    };
    checkins.current = round;
    checkins.nextRound += 1;
    if (kind === 'final') checkins.finalSent = true;
    if (ctx.state.phase === 'onboarding') ctx.setPhase('active');
    const template = kind === 'final' ? 'closeout-survey' : 'checkin-request';
    for (const respondent of RESPONDENTS) {
      ctx.email(
        `checkin-${round.round}-request`,
        respondent,
        ctx.state.match[respondent],
        { round: round.round, closeAt: round.closeAt, kind },
        { template, checkin: { round: round.round, respondent, expiresAt: round.expiresAt } },
      );
    }
    ctx.record('checkin.opened', { round: round.round, kind, closeAt: round.closeAt });
  }

  /** Waits for both answers, reminding whoever has not answered, and closes the round. */
  private async runRound(round: CheckinRoundState): Promise<void> {
    const { ctx } = this;
    const allAnswered = () => RESPONDENTS.every((r) => round.answers[r]) || round.status === 'closed';
    if (!round.reminded.length && (await ctx.waitUntil(() => ms(round.remindAt), allAnswered))) {
      round.reminded = RESPONDENTS.filter((r) => !round.answers[r]);
      for (const respondent of round.reminded) {
        ctx.email(
          `checkin-${round.round}-reminder`,
          respondent,
          ctx.state.match[respondent],
          { round: round.round, closeAt: round.closeAt, kind: round.kind },
          { template: 'checkin-reminder', checkin: { round: round.round, respondent, expiresAt: round.expiresAt } },
        );
      }
      ctx.record('checkin.reminded', { round: round.round, respondents: round.reminded });
    }
    await ctx.waitUntil(() => ms(round.closeAt), allAnswered);
    const missing = RESPONDENTS.some((r) => !round.answers[r]);
    if (round.status === 'open' && missing && patched(LATE_ANSWERS_JOIN_THEIR_ROUND))
      await this.takeSavedAnswers(round);
    if (round.status === 'open') this.closeRound(round);
  }

  /** Closes a round: missed answers count, the round is judged for risk, escalations open or clear, health moves. */
  private closeRound(round: CheckinRoundState): void {
    const { ctx } = this;
    const { checkins, playbook } = ctx.state;
    round.status = 'closed';
    checkins.asked += RESPONDENTS.length;
    checkins.answered += RESPONDENTS.filter((r) => round.answers[r]).length;
    const signals = this.escalations.judgeRound(round);
    checkins.completedRounds += 1;
    checkins.lastRoundAt = iso(now());
    // Kept so the read model can close this round's row even if the next round opens before the next write.
    checkins.lastClosed = closedRound(round);
    if (round.kind === 'regular') {
      checkins.nextOpenAt = iso(ms(round.openedAt) + durationMs(playbook.checkins.cadence));
      ctx.roundsThisRun += 1;
    }
    ctx.record('checkin.closed', {
      round: round.round,
      kind: round.kind,
      answered: RESPONDENTS.filter((r) => round.answers[r]),
      signals: signals.map((s) => ({ type: s.type, severity: s.severity, reason: s.reason })),
    });
    this.escalations.actOnRound(round, signals);
  }
}
