/**
 * One match, from the day it is made to its close: the post-match support (伴走支援) a good coordinator gives, as a
 * durable workflow. Read `MatchRun` top to bottom: the match is made, the kickoff is arranged and held, the contract
 * documents are chased, check-ins go out on a cadence and are read for risk, coordinators get their tasks and
 * escalations, and at the end the outcome is recorded and the match closes.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import { addBusinessDays, localDate, nextSendTime, startOfDate } from './calendar';
import { RESPONDENTS, type Respondent } from './checkin-questions';
import { DAY_MS, durationMs } from './durations';
import { computeHealth } from './health';
import {
  contractOverdueSignal,
  evaluateRound,
  kickoffNotHeldSignal,
  ROUND_SIGNAL_TYPES,
  SEVERITY_RANK,
  type RiskSignal,
  type RiskSignalType,
} from './risk';
import { readModelOf } from './read-model';
import {
  contractDueAt,
  firstCheckinAt,
  initialState,
  nextStep,
  plannedTask,
  replanTasks,
  shiftTimers,
  wrapUpStartsAt,
} from './schedule';
import {
  acknowledgeEscalationUpdate,
  addNoteUpdate,
  cancelKickoffUpdate,
  cancelMatchUpdate,
  checkinAnsweredSignal,
  completeMatchUpdate,
  completeTaskUpdate,
  endEarlyUpdate,
  extendUpdate,
  matchStateQuery,
  pauseUpdate,
  proposeKickoffSlotsUpdate,
  reassignUpdate,
  recordKickoffUpdate,
  REJECTION_CODES,
  resolveEscalationUpdate,
  respondKickoffUpdate,
  resumeUpdate,
  scheduleKickoffUpdate,
  searchAttributes,
  setContractStatusUpdate,
  snoozeEscalationUpdate,
  TERMINATION_REASONS,
  type ActionResult,
  type CheckinRoundState,
  type ContractStatus,
  type EscalationState,
  type KickoffInvite,
  type KickoffSlot,
  type MatchResult,
  type MatchState,
  type MatchWorkflowInput,
  type Outcome,
  type Participant,
  type PendingEmail,
  type PendingEvent,
  type RespondKickoff,
} from './shared';

/** Check-in rounds per workflow run before it continues as new, so a year-long match keeps a short history. */
export const ROUNDS_PER_RUN = 4;
/** How long a check-in link keeps working after its round closed (the page then shows what was submitted). */
const LINK_GRACE_MS = 14 * DAY_MS;
/** Kickoff answer links work this long after the proposal. */
const KICKOFF_LINK_MS = 30 * DAY_MS;

const { syncMatch } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 60 },
});

// Longer than the SMTP transport's own time limits (connect, greeting, idle socket), so an attempt ends by itself
// before Temporal starts a retry: a slow server never gets the same email from two attempts at once. The activity
// heartbeats while it sends, so a crashed worker's email is retried within seconds all the same.
const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  // No attempt limit: an SMTP outage must delay a check-in, not drop it (5xx rejections fail at once, non-retryable).
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
});

/** One match, from the day it is made to its close. */
export async function matchWorkflow(input: MatchWorkflowInput): Promise<MatchResult> {
  const run = new MatchRun(input);
  run.listen(); // every handler is registered before the first await
  return run.live();
}

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const now = () => Date.now();

/** What the read model keeps of a round once it has closed. */
function closedRound(round: CheckinRoundState): NonNullable<MatchState['checkins']['lastClosed']> {
  const { answers, reminded: _reminded, status: _status, ...times } = round;
  return { ...times, answered: RESPONDENTS.filter((r) => answers[r]) };
}

/** The innermost message of an activity failure (the SMTP server's words, a missing template). */
function errorMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

const reject = (code: keyof typeof REJECTION_CODES, message: string) =>
  ApplicationFailure.create({ type: REJECTION_CODES[code], message, nonRetryable: true });

const CONTRACT_TRANSITIONS: Record<ContractStatus, ContractStatus[]> = {
  missing: ['submitted', 'verified'],
  submitted: ['verified', 'rejected', 'missing'],
  rejected: ['submitted', 'verified'],
  verified: ['missing', 'rejected'],
};

class MatchRun {
  private readonly state: MatchState;
  private readonly outbox: PendingEmail[];
  private readonly events: PendingEvent[];
  private readonly workflowId = workflowInfo().workflowId;
  private dirty = true;
  private activitiesInFlight = 0;
  private roundsThisRun = 0;
  private searchAttributesShown = { status: '', risk: '' };

  constructor(input: MatchWorkflowInput) {
    this.state = input.carried?.state ?? initialState(input.match, input.playbook, now());
    this.outbox = input.carried?.outbox ?? [];
    this.events = input.carried?.events ?? [];
    if (input.carried) this.state.run += 1;
  }

  // The story ------------------------------------------------------------------------------------------------------

  async live(): Promise<MatchResult> {
    if (this.state.run === 1) this.matchIsMade();

    const scope = new CancellationScope();
    const flows = scope.run(() =>
      Promise.all([
        this.mailer(),
        this.syncer(),
        this.kickoffDeadline(),
        this.kickoffReminder(),
        this.contractDocuments(),
        this.checkins(),
        this.coordinatorTasks(),
        this.escalationLadder(),
        this.phases(),
      ]),
    );
    flows.catch(() => undefined); // awaited below; this only keeps a cancellation from surfacing twice
    // A part that fails (a bug, not a business error: those are handled where they happen) fails the workflow task,
    // visibly, instead of silently stopping that part of the support for months.
    const failed = flows.then(() => new Promise<never>(() => undefined));

    await Promise.race([condition(() => this.finished() || (this.shouldContinueAsNew() && this.quiet())), failed]);
    scope.cancel();
    await flows.catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
    });

    if (!this.finished()) {
      await condition(allHandlersFinished);
      this.record('workflow.continued', { run: this.state.run, rounds: this.state.checkins.completedRounds });
      return continueAsNew<typeof matchWorkflow>({
        match: this.state.match,
        playbook: this.state.playbook,
        carried: { state: this.state, outbox: this.outbox, events: this.events },
      });
    }
    await condition(allHandlersFinished);
    const { asked, answered } = this.state.checkins;
    return {
      matchId: this.state.matchId,
      outcome: this.state.outcome!,
      completedRounds: this.state.checkins.completedRounds,
      responseRate: asked ? answered / asked : null,
      runs: this.state.run,
    };
  }

  /** The match is made: host, talent and coordinator learn who is who and what comes next. */
  private matchIsMade(): void {
    const { match } = this.state;
    upsertSearchAttributes([{ key: searchAttributes.programId, value: match.programId }]);
    this.record('match.opened', {
      title: match.title,
      startDate: match.startDate,
      endDate: match.endDate,
      playbookVersion: this.state.playbook.version,
    });
    for (const role of ['host', 'talent', 'coordinator'] as const) {
      this.email('match-opened', role, match[role], { match });
    }
    this.openTasksDueNow();
  }

  // Kickoff: the coordinator proposes slots, host and talent pick one, everyone is invited, it is held. -------------

  /** Not held by the deadline: escalate, and keep the escalation until it is held. */
  private async kickoffDeadline(): Promise<void> {
    const met = () => this.state.kickoff.status === 'held' || this.isClosed();
    const step = () => `kickoff-deadline:${this.state.kickoff.deadlineAt}`;
    // After a continue-as-new the deadline may long have passed: escalate it once, not once per run.
    if (this.done(step())) {
      await condition(met);
    } else if (await this.waitUntil(() => ms(this.state.kickoff.deadlineAt), met)) {
      this.markDone(step());
      this.raiseMilestone(
        kickoffNotHeldSignal(
          localDate(ms(this.state.kickoff.deadlineAt), this.state.playbook.timeZone),
          this.state.kickoff.status,
        ),
      );
      await condition(met);
    }
    if (this.state.kickoff.status === 'held') this.clearMilestone('kickoff_not_held', 'the kickoff was held');
  }

  /** A reminder to all three before the meeting; a rescheduled meeting gets its own. */
  private async kickoffReminder(): Promise<void> {
    const { kickoff } = this.state;
    for (;;) {
      await condition(
        () =>
          this.isClosed() ||
          (kickoff.status === 'scheduled' && kickoff.remindedSequence !== kickoff.scheduled?.sequence),
      );
      if (this.isClosed()) return;
      const sequence = kickoff.scheduled!.sequence;
      const remindAt = () =>
        kickoff.scheduled
          ? ms(kickoff.scheduled.startsAt) - durationMs(this.state.playbook.kickoff.reminderBefore)
          : null;
      const moved = () => this.isClosed() || kickoff.status !== 'scheduled' || kickoff.scheduled?.sequence !== sequence;
      if (await this.waitUntil(remindAt, moved)) {
        kickoff.remindedSequence = sequence;
        for (const role of ['host', 'talent', 'coordinator'] as const) {
          this.email(
            `kickoff-reminder-${sequence}`,
            role,
            this.state.match[role],
            { kickoff: kickoff.scheduled },
            { template: 'kickoff-reminder' },
          );
        }
        this.record('kickoff.reminded', { sequence });
      }
    }
  }

  private proposeKickoffSlots(slots: KickoffSlot[], location?: string): void {
    const { kickoff } = this.state;
    kickoff.proposal += 1;
    kickoff.slots = slots;
    kickoff.location = location;
    kickoff.responses = {};
    kickoff.status = 'proposed';
    const expiresAt = iso(now() + KICKOFF_LINK_MS);
    for (const respondent of RESPONDENTS) {
      this.email(
        `kickoff-proposal-${kickoff.proposal}`,
        respondent,
        this.state.match[respondent],
        { slots, location, proposal: kickoff.proposal },
        {
          template: 'kickoff-proposal',
          kickoffLink: { proposal: kickoff.proposal, respondent, expiresAt },
        },
      );
    }
    this.record('kickoff.proposed', { proposal: kickoff.proposal, slots, location: location ?? null });
    this.completeTaskByKey('propose_kickoff_slots');
  }

  private respondToKickoff(respondent: Respondent, choice: number | 'other', note?: string): void {
    const { kickoff } = this.state;
    kickoff.responses[respondent] = { choice, note, at: iso(now()) };
    this.record('kickoff.responded', { respondent, choice, note: note ?? null, proposal: kickoff.proposal });
    const host = kickoff.responses.host;
    const talent = kickoff.responses.talent;
    if (!host || !talent) return;
    if (host.choice !== 'other' && host.choice === talent.choice) {
      this.scheduleKickoff({ ...kickoff.slots[host.choice]!, location: kickoff.location });
    } else {
      // They did not agree on one slot: the coordinator proposes again.
      this.openDynamicTask(
        'propose_kickoff_slots',
        { ja: 'キックオフ候補日時の再提案', en: 'Propose new kickoff slots' },
        '3d',
      );
    }
  }

  /** Schedules (or moves) the meeting and sends everyone a calendar invite. */
  private scheduleKickoff(slot: KickoffSlot & { location?: string }): void {
    const { kickoff } = this.state;
    const changed = Boolean(kickoff.scheduled);
    kickoff.inviteSequence += 1;
    kickoff.status = 'scheduled';
    kickoff.scheduled = {
      startsAt: slot.startsAt,
      durationMinutes: slot.durationMinutes,
      location: slot.location,
      sequence: kickoff.inviteSequence,
    };
    const template = changed ? 'kickoff-changed' : 'kickoff-confirmed';
    const invite = this.invite('REQUEST');
    for (const role of ['host', 'talent', 'coordinator'] as const) {
      this.email(
        `${template}-${kickoff.inviteSequence}`,
        role,
        this.state.match[role],
        { kickoff: kickoff.scheduled },
        { template, invite },
      );
    }
    this.refreshContractDueDates();
    this.record(changed ? 'kickoff.rescheduled' : 'kickoff.scheduled', { ...kickoff.scheduled });
  }

  private cancelKickoff(reason: string): void {
    const { kickoff } = this.state;
    kickoff.inviteSequence += 1;
    const invite = this.invite('CANCEL');
    const cancelled = kickoff.scheduled;
    kickoff.status = 'unscheduled';
    kickoff.scheduled = undefined;
    kickoff.responses = {};
    for (const role of ['host', 'talent', 'coordinator'] as const) {
      this.email(
        `kickoff-cancelled-${kickoff.inviteSequence}`,
        role,
        this.state.match[role],
        { kickoff: cancelled, reason },
        { template: 'kickoff-cancelled', invite },
      );
    }
    this.refreshContractDueDates();
    this.record('kickoff.cancelled', { reason });
  }

  private recordKickoff(held: boolean, reason?: string): void {
    const { kickoff } = this.state;
    if (held) {
      kickoff.status = 'held';
      kickoff.heldAt = iso(now());
      if (this.state.phase === 'onboarding') this.setPhase('active');
      this.completeTaskByKey('kickoff_prep');
    } else {
      kickoff.status = 'not_held';
      kickoff.notHeldReason = reason;
      kickoff.scheduled = undefined;
      this.openDynamicTask(
        'propose_kickoff_slots',
        { ja: 'キックオフ候補日時の再提案', en: 'Propose new kickoff slots' },
        '3d',
      );
    }
    this.record(held ? 'kickoff.held' : 'kickoff.not_held', { reason: reason ?? null });
  }

  private invite(method: KickoffInvite['method']): KickoffInvite {
    const { kickoff, match } = this.state;
    const slot = kickoff.scheduled!;
    return {
      method,
      uid: `${match.id}-kickoff@bansou`,
      sequence: kickoff.inviteSequence,
      startsAt: slot.startsAt,
      durationMinutes: slot.durationMinutes,
      summary: `${match.title}: キックオフミーティング / Kickoff`,
      location: slot.location,
      organizer: { name: match.coordinator.name, email: match.coordinator.email },
      attendees: [match.host, match.talent].map((p) => ({ name: p.name, email: p.email })),
    };
  }

  // Contract documents: chased with the host until verified; overdue is an escalation. ------------------------------

  private async contractDocuments(): Promise<void> {
    const outstanding = () => this.state.contracts.filter((c) => c.required && c.status !== 'verified');
    const reminderBefore = durationMs(this.state.playbook.contracts.reminderBefore);
    for (;;) {
      await condition(() => this.isClosed() || outstanding().length > 0);
      if (this.isClosed()) return;
      const due = contractDueAt(this.state);
      const settled = () => this.isClosed() || outstanding().length === 0 || contractDueAt(this.state) !== due;
      const dueDay = localDate(due, this.state.playbook.timeZone);
      const before = `contract-${dueDay}-before`;
      const atDue = `contract-${dueDay}-due`;
      // Each reminder and the escalation happen once per due date, also across continue-as-new.
      if (!this.done(before) && (await this.waitUntil(() => due - reminderBefore, settled))) {
        this.markDone(before);
        this.remindHostOfContracts(before, false);
      }
      if (this.done(atDue) || (await this.waitUntil(() => due, settled))) {
        if (!this.done(atDue)) {
          this.markDone(atDue);
          this.remindHostOfContracts(atDue, true);
          this.raiseMilestone(contractOverdueSignal(outstanding().map((c) => ({ type: c.type, status: c.status }))));
        }
        await condition(() => this.isClosed() || outstanding().length === 0);
      }
      if (outstanding().length === 0) this.clearMilestone('contract_overdue', 'all required documents are verified');
    }
  }

  private remindHostOfContracts(step: string, overdue: boolean): void {
    const documents = this.state.contracts.filter(
      (c) => c.required && (c.status === 'missing' || c.status === 'rejected'),
    );
    if (!documents.length) return;
    const dueAt = iso(contractDueAt(this.state));
    this.email(step, 'host', this.state.match.host, { documents, dueAt, overdue }, { template: 'contract-reminder' });
  }

  private refreshContractDueDates(): void {
    const dueAt = iso(contractDueAt(this.state));
    for (const c of this.state.contracts) c.dueAt = dueAt;
  }

  // Check-ins: short surveys on a cadence, read for risk when each round closes. ------------------------------------

  private async checkins(): Promise<void> {
    for (;;) {
      const current = this.state.checkins.current;
      if (current?.status === 'open') {
        await this.runRound(current);
        continue;
      }
      if (this.checkinsDone()) return;
      const opened = await this.waitUntil(
        () => this.nextRoundAt(),
        () => this.checkinsDone() || (this.isClosed() && this.finalRoundOwed()),
      );
      if (this.checkinsDone()) return;
      if (this.isClosed() && this.finalRoundOwed()) this.openRound('final');
      else if (opened) this.openRound(this.nextRoundIsFinal() ? 'final' : 'regular');
    }
  }

  /** The next regular round, or the final one at the planned end when no regular round fits before it. */
  private nextRoundAt(): number | null {
    if (this.state.outcome) return null;
    const regular = this.state.checkins.nextOpenAt ? ms(this.state.checkins.nextOpenAt) : firstCheckinAt(this.state);
    if (regular !== null && !this.regularRoundWouldOverrunEnd(regular)) return regular;
    return this.state.checkins.finalSent ? null : ms(this.state.endAt);
  }

  private regularRoundWouldOverrunEnd(openAt: number): boolean {
    return openAt + durationMs(this.state.playbook.checkins.closeAfter) > ms(this.state.endAt);
  }

  private nextRoundIsFinal(): boolean {
    const regular = this.state.checkins.nextOpenAt ? ms(this.state.checkins.nextOpenAt) : firstCheckinAt(this.state);
    return regular === null || this.regularRoundWouldOverrunEnd(regular);
  }

  private finalRoundOwed(): boolean {
    return !this.state.checkins.finalSent && this.state.outcome?.status !== 'cancelled';
  }

  private checkinsDone(): boolean {
    const { checkins, outcome } = this.state;
    if (checkins.current?.status === 'open') return false;
    return checkins.finalSent || outcome?.status === 'cancelled';
  }

  private openRound(kind: CheckinRoundState['kind']): void {
    const { checkins, playbook } = this.state;
    const openedAt = now();
    const closeAt = openedAt + durationMs(playbook.checkins.closeAfter);
    const round: CheckinRoundState = {
      round: checkins.nextRound,
      kind,
      openedAt: iso(openedAt),
      remindAt: iso(openedAt + durationMs(playbook.checkins.reminderAfter)),
      closeAt: iso(closeAt),
      expiresAt: iso(closeAt + LINK_GRACE_MS),
      status: 'open',
      answers: {},
      reminded: [],
    };
    checkins.current = round;
    checkins.nextRound += 1;
    if (kind === 'final') checkins.finalSent = true;
    if (this.state.phase === 'onboarding') this.setPhase('active');
    const template = kind === 'final' ? 'closeout-survey' : 'checkin-request';
    for (const respondent of RESPONDENTS) {
      this.email(
        `checkin-${round.round}-request`,
        respondent,
        this.state.match[respondent],
        { round: round.round, closeAt: round.closeAt, kind },
        {
          template,
          checkin: { round: round.round, respondent, expiresAt: round.expiresAt },
        },
      );
    }
    this.record('checkin.opened', { round: round.round, kind, closeAt: round.closeAt });
  }

  /** Waits for both answers, reminding whoever has not answered, and closes the round. */
  private async runRound(round: CheckinRoundState): Promise<void> {
    const allAnswered = () => RESPONDENTS.every((r) => round.answers[r]) || round.status === 'closed';
    if (!round.reminded.length && (await this.waitUntil(() => ms(round.remindAt), allAnswered))) {
      round.reminded = RESPONDENTS.filter((r) => !round.answers[r]);
      for (const respondent of round.reminded) {
        this.email(
          `checkin-${round.round}-reminder`,
          respondent,
          this.state.match[respondent],
          { round: round.round, closeAt: round.closeAt, kind: round.kind },
          {
            template: 'checkin-reminder',
            checkin: { round: round.round, respondent, expiresAt: round.expiresAt },
          },
        );
      }
      this.record('checkin.reminded', { round: round.round, respondents: round.reminded });
    }
    await this.waitUntil(() => ms(round.closeAt), allAnswered);
    if (round.status === 'open') this.closeRound(round);
  }

  /** Closes a round: missed answers count, the round is read for risk, escalations open or clear, health moves. */
  private closeRound(round: CheckinRoundState): void {
    const { checkins, playbook } = this.state;
    round.status = 'closed';
    for (const side of RESPONDENTS)
      checkins.missedInARow[side] = round.answers[side] ? 0 : checkins.missedInARow[side] + 1;
    checkins.asked += RESPONDENTS.length;
    checkins.answered += RESPONDENTS.filter((r) => round.answers[r]).length;
    const current = Object.fromEntries(
      RESPONDENTS.filter((r) => round.answers[r]).map((r) => [r, round.answers[r]!.answers]),
    );
    const signals = evaluateRound(
      { round: round.round, current, previous: checkins.lastAnswers, missedInARow: checkins.missedInARow },
      playbook.risk,
    );
    for (const side of RESPONDENTS) if (current[side]) checkins.lastAnswers[side] = current[side];
    checkins.completedRounds += 1;
    checkins.lastRoundAt = iso(now());
    // Kept so the read model can close this round's row even if the next round opens before the next write.
    checkins.lastClosed = closedRound(round);
    if (round.kind === 'regular') {
      checkins.nextOpenAt = iso(ms(round.openedAt) + durationMs(playbook.checkins.cadence));
      this.roundsThisRun += 1;
    }
    this.state.previousRoundScore = this.state.health.score;
    this.state.signals.round = signals;
    this.record('checkin.closed', {
      round: round.round,
      kind: round.kind,
      answered: RESPONDENTS.filter((r) => round.answers[r]),
      signals: signals.map((s) => ({ type: s.type, severity: s.severity, reason: s.reason })),
    });
    // After the close (the final survey), signals show on the timeline and in health, but open no escalation.
    const raising = !this.isClosed() || !patched('closed-match-raises-nothing');
    if (raising) for (const signal of signals) this.raise(signal);
    // A round that no longer shows a condition clears its escalation, if it could see it: silence clears nothing
    // but a missed check-in.
    const bothAnswered = RESPONDENTS.every((r) => round.answers[r]);
    const judged = (type: RiskSignalType) =>
      bothAnswered || type === 'missed_checkin' || !patched('silence-clears-nothing');
    for (const escalation of this.state.escalations) {
      if (
        escalation.status !== 'resolved' &&
        ROUND_SIGNAL_TYPES.includes(escalation.type) &&
        !signals.some((s) => s.type === escalation.type) &&
        judged(escalation.type)
      ) {
        this.resolveEscalation(escalation, 'auto', `check-in ${round.round} no longer shows it`);
      }
    }
  }

  // Coordinator tasks: reminders at the playbook's points, each with a due date. -----------------------------------

  private async coordinatorTasks(): Promise<void> {
    const nextAt = () => {
      const times = this.state.tasks.flatMap((t) =>
        t.status === 'scheduled' ? [ms(t.openAt)] : t.status === 'open' && !t.overdueReminded ? [ms(t.dueAt)] : [],
      );
      return times.length ? Math.min(...times) : null;
    };
    for (;;) {
      await this.waitUntil(nextAt, () => this.finished());
      if (this.finished()) return;
      this.openTasksDueNow();
      for (const task of this.state.tasks) {
        if (task.status === 'open' && !task.overdueReminded && ms(task.dueAt) <= now()) {
          task.overdueReminded = true;
          this.email(
            `task-${task.id}-overdue`,
            'coordinator',
            this.state.match.coordinator,
            { task, overdue: true },
            { template: 'task-reminder' },
          );
          this.record('task.overdue', { taskId: task.id, key: task.key });
        }
      }
    }
  }

  private openTasksDueNow(): void {
    for (const task of this.state.tasks) {
      if (task.status !== 'scheduled' || ms(task.openAt) > now()) continue;
      task.status = 'open';
      this.email(
        `task-${task.id}-open`,
        'coordinator',
        this.state.match.coordinator,
        { task, overdue: false },
        { template: 'task-reminder' },
      );
      this.record('task.opened', { taskId: task.id, key: task.key, dueAt: task.dueAt });
    }
  }

  /** A task the situation calls for (not on the playbook's fixed points), opened now unless one is already open. */
  private openDynamicTask(key: string, label: MatchState['tasks'][number]['label'], dueWithin: string): void {
    if (this.state.tasks.some((t) => t.key === key && t.status === 'open')) return;
    this.state.tasks.push(
      plannedTask(`${this.state.matchId}-task-${++this.state.seq}`, { key, label, dueWithin }, now()),
    );
    this.openTasksDueNow();
  }

  private completeTaskByKey(key: string): void {
    for (const task of this.state.tasks) {
      if (task.key === key && (task.status === 'open' || task.status === 'scheduled'))
        this.completeTask(task.id, 'done with the action it asked for');
    }
  }

  private completeTask(taskId: string, note?: string): void {
    const task = this.state.tasks.find((t) => t.id === taskId)!;
    task.status = 'done';
    task.doneAt = iso(now());
    task.note = note;
    this.record('task.done', { taskId, key: task.key, note: note ?? null });
  }

  // Escalations: a risk raised to the coordinator with a due date; unacknowledged past it, up to the program manager.

  /** Opens an escalation for a signal, once per type while it is open; a repeat only adds its reason. */
  private raise(signal: RiskSignal): void {
    const open = this.state.escalations.find((e) => e.type === signal.type && e.status !== 'resolved');
    if (open) {
      if (!open.reasons.includes(signal.reason)) open.reasons.push(signal.reason);
      if (SEVERITY_RANK[signal.severity] > SEVERITY_RANK[open.severity]) open.severity = signal.severity;
      open.evidence = signal.evidence;
      this.record('escalation.updated', { escalationId: open.id, type: open.type, reason: signal.reason });
      return;
    }
    const openedAt = now();
    const escalation: EscalationState = {
      id: `${this.state.matchId}-esc-${++this.state.seq}`,
      type: signal.type,
      severity: signal.severity,
      reasons: [signal.reason],
      evidence: signal.evidence,
      status: 'open',
      level: 1,
      openedAt: iso(openedAt),
      dueAt: iso(addBusinessDays(openedAt, this.state.playbook.escalation.slaBusinessDays, this.state.playbook)),
      snoozes: 0,
    };
    this.state.escalations.push(escalation);
    this.email(
      `${escalation.id}-opened`,
      'coordinator',
      this.state.match.coordinator,
      { escalation },
      { template: 'escalation' },
    );
    this.record('escalation.opened', {
      escalationId: escalation.id,
      type: signal.type,
      severity: signal.severity,
      reason: signal.reason,
      dueAt: escalation.dueAt,
    });
  }

  private raiseMilestone(signal: RiskSignal): void {
    this.state.signals.milestones = [...this.state.signals.milestones.filter((s) => s.type !== signal.type), signal];
    this.raise(signal);
  }

  private clearMilestone(type: RiskSignalType, why: string): void {
    this.state.signals.milestones = this.state.signals.milestones.filter((s) => s.type !== type);
    for (const e of this.state.escalations)
      if (e.type === type && e.status !== 'resolved') this.resolveEscalation(e, 'auto', why);
  }

  private resolveEscalation(escalation: EscalationState, by: 'coordinator' | 'auto', note: string): void {
    escalation.status = 'resolved';
    escalation.resolvedAt = iso(now());
    escalation.resolution = { by, note };
    this.record('escalation.resolved', { escalationId: escalation.id, type: escalation.type, by, note });
  }

  /** Past the SLA without acknowledgement, an escalation goes up to the program manager; a snooze ends on its date. */
  private async escalationLadder(): Promise<void> {
    const nextAt = () => {
      const times = this.state.escalations.flatMap((e) =>
        e.status === 'open' && e.level === 1
          ? [ms(e.dueAt)]
          : e.status === 'snoozed' && e.snoozedUntil
            ? [ms(e.snoozedUntil)]
            : [],
      );
      return times.length ? Math.min(...times) : null;
    };
    for (;;) {
      await this.waitUntil(nextAt, () => this.finished());
      if (this.finished()) return;
      for (const e of this.state.escalations) {
        if (e.status === 'snoozed' && e.snoozedUntil && ms(e.snoozedUntil) <= now()) {
          e.status = 'open';
          e.snoozedUntil = undefined;
          e.dueAt = iso(addBusinessDays(now(), this.state.playbook.escalation.slaBusinessDays, this.state.playbook));
          this.email(
            `${e.id}-reopened-${e.snoozes}`,
            'coordinator',
            this.state.match.coordinator,
            { escalation: e, reopened: true },
            { template: 'escalation' },
          );
          this.record('escalation.reopened', { escalationId: e.id, type: e.type, dueAt: e.dueAt });
        } else if (e.status === 'open' && e.level === 1 && ms(e.dueAt) <= now()) {
          e.level = 2;
          for (const manager of this.state.match.programManagers) {
            this.email(
              `${e.id}-raised`,
              'program_manager',
              manager,
              { escalation: e, coordinator: this.state.match.coordinator },
              { template: 'escalation-raised' },
            );
          }
          this.record('escalation.raised', {
            escalationId: e.id,
            type: e.type,
            to: this.state.match.programManagers.map((m) => m.email),
          });
        }
      }
    }
  }

  // Phases and close-out ---------------------------------------------------------------------------------------

  /** Active → wrap-up before the planned end; at the end the final check-in goes out and the coordinator records the outcome. */
  private async phases(): Promise<void> {
    while (!this.isClosed()) {
      const wrapUpAt = () => wrapUpStartsAt(this.state.playbook, ms(this.state.endAt));
      if (this.state.phase !== 'wrap_up') {
        if (await this.waitUntil(wrapUpAt, () => this.isClosed())) this.setPhase('wrap_up');
      } else {
        await condition(() => this.isClosed() || this.state.phase !== 'wrap_up');
      }
    }
    // After the close, tasks anchored on it (the retrospective) open.
    const closedAt = ms(this.state.outcome!.at);
    for (const def of this.state.playbook.tasks.filter((t) => t.at.anchor === 'close')) {
      if (this.state.outcome!.status === 'cancelled' || this.state.tasks.some((t) => t.key === def.key)) continue;
      const openAt = closedAt + durationMs((def.at as { offset: string }).offset);
      this.state.tasks.push(plannedTask(`${this.state.matchId}-task-${++this.state.seq}`, def, openAt));
    }
    this.changed();
  }

  private close(outcome: Omit<Outcome, 'at'>): void {
    // A match closed while paused is no longer paused: its last emails and tasks must not wait for a resume.
    if (this.state.paused && patched('close-ends-pause')) this.state.paused = undefined;
    const closedAt = now();
    this.state.outcome = { ...outcome, at: iso(closedAt) };
    this.state.status = outcome.status;
    this.setPhase('closed');
    this.completeTaskByKey('record_outcome');
    for (const task of this.state.tasks) if (task.status === 'scheduled') task.status = 'cancelled';
    // Work that was still open is moot once the match has closed: no overdue reminders for it.
    if (this.state.tasks.some((t) => t.status === 'open') && patched('close-cancels-open-tasks'))
      for (const task of this.state.tasks) if (task.status === 'open') task.status = 'cancelled';
    const round = this.state.checkins.current;
    if (round?.status === 'open' && round.kind === 'regular') {
      round.status = 'closed';
      this.state.checkins.lastClosed = closedRound(round);
      this.record('checkin.closed', {
        round: round.round,
        kind: round.kind,
        answered: RESPONDENTS.filter((r) => round.answers[r]),
        early: true,
      });
    }
    for (const e of this.state.escalations)
      if (e.status !== 'resolved') this.resolveEscalation(e, 'auto', `the match closed (${outcome.status})`);
    this.record('match.closed', {
      outcome: outcome.status,
      reason: outcome.reason ?? null,
      note: outcome.note ?? null,
    });
  }

  private setPhase(phase: MatchState['phase']): void {
    if (this.state.phase === phase) return;
    this.record('match.phase', { from: this.state.phase, to: phase });
    this.state.phase = phase;
  }

  // Messages: answers arrive as signals; coordinator actions are updates the workflow may reject with a reason. ----

  listen(): void {
    const { state } = this;
    setHandler(matchStateQuery, () => state);

    setHandler(checkinAnsweredSignal, (answer) => {
      const round = state.checkins.current;
      if (!round || round.round !== answer.round || round.status !== 'open') {
        this.record('checkin.late_answer', {
          round: answer.round,
          respondent: answer.respondent,
          answerId: answer.answerId,
        });
        return;
      }
      const previous = round.answers[answer.respondent];
      // The same submission may arrive twice (the page's signal and the relay's): it counts once.
      const sameSubmission = previous?.answerId === answer.answerId && previous.at === answer.submittedAt;
      if (sameSubmission && patched('answer-delivered-twice-counts-once')) return;
      // An older submission arriving late (the relay read it before the person answered again) changes nothing.
      const olderSubmission = previous !== undefined && ms(answer.submittedAt) < ms(previous.at);
      if (olderSubmission && patched('older-answer-changes-nothing')) return;
      const again = Boolean(previous);
      round.answers[answer.respondent] = { answerId: answer.answerId, at: answer.submittedAt, answers: answer.answers };
      this.record(again ? 'checkin.answer_updated' : 'checkin.answered', {
        round: answer.round,
        respondent: answer.respondent,
        answerId: answer.answerId,
      });
    });

    const open = () => {
      if (this.isClosed()) throw reject('wrongState', 'the match is closed');
    };
    const action = <A>(def: UpdateDefinition<ActionResult, [A]>, apply: (a: A) => void, validate: (a: A) => void) =>
      setHandler(
        def,
        (a: A) => {
          apply(a);
          this.changed();
          return this.result();
        },
        { validator: validate },
      );

    action<{ slots: KickoffSlot[]; location?: string }>(
      proposeKickoffSlotsUpdate,
      (a) => this.proposeKickoffSlots(a.slots, a.location),
      (a) => {
        open();
        if (state.kickoff.status === 'held') throw reject('wrongState', 'the kickoff has already been held');
        if (state.kickoff.status === 'scheduled')
          throw reject(
            'wrongState',
            'a kickoff is scheduled: move it (schedule) or cancel it before proposing new slots',
          );
        this.validateSlots(a.slots);
      },
    );
    action<RespondKickoff>(
      respondKickoffUpdate,
      (a) => this.respondToKickoff(a.respondent, a.choice, a.note),
      (a) => {
        open();
        if (state.kickoff.status !== 'proposed')
          throw reject('wrongState', `no kickoff slots are waiting for an answer (kickoff is ${state.kickoff.status})`);
        if (a.proposal !== undefined && a.proposal !== state.kickoff.proposal)
          throw reject('wrongState', `proposal ${a.proposal} was replaced by proposal ${state.kickoff.proposal}`);
        if (!RESPONDENTS.includes(a.respondent)) throw reject('invalid', 'respondent must be host or talent');
        if (
          a.choice !== 'other' &&
          !(Number.isInteger(a.choice) && a.choice >= 0 && a.choice < state.kickoff.slots.length)
        ) {
          throw reject(
            'invalid',
            `choice must be "other" or a slot number from 0 to ${state.kickoff.slots.length - 1}`,
          );
        }
        if (a.choice !== 'other' && ms(state.kickoff.slots[a.choice]!.startsAt) <= now())
          throw reject('wrongState', `slot ${a.choice} has already passed; choose another or ask for other times`);
      },
    );
    action<KickoffSlot & { location?: string }>(
      scheduleKickoffUpdate,
      (a) => this.scheduleKickoff(a),
      (a) => {
        open();
        if (state.kickoff.status === 'held') throw reject('wrongState', 'the kickoff has already been held');
        this.validateSlots([a]);
      },
    );
    action<{ reason: string }>(
      cancelKickoffUpdate,
      (a) => this.cancelKickoff(a.reason),
      () => {
        open();
        if (state.kickoff.status !== 'scheduled') throw reject('wrongState', 'there is no scheduled kickoff to cancel');
      },
    );
    action<{ held: boolean; reason?: string }>(
      recordKickoffUpdate,
      (a) => this.recordKickoff(a.held, a.reason),
      (a) => {
        open();
        if (state.kickoff.status !== 'scheduled')
          throw reject('wrongState', `the kickoff cannot be recorded: it is ${state.kickoff.status}, not scheduled`);
        if (ms(state.kickoff.scheduled!.startsAt) > now())
          throw reject('wrongState', 'the kickoff has not started yet');
        if (!a.held && !a.reason?.trim()) throw reject('invalid', 'a reason is required when the kickoff was not held');
      },
    );
    action<{ type: string; status: ContractStatus; reason?: string }>(
      setContractStatusUpdate,
      (a) => {
        const doc = state.contracts.find((c) => c.type === a.type)!;
        const from = doc.status;
        doc.status = a.status;
        doc.reason = a.reason;
        doc.updatedAt = iso(now());
        this.record('contract.status', { type: a.type, from, to: a.status, reason: a.reason ?? null });
      },
      (a) => {
        open();
        const doc = state.contracts.find((c) => c.type === a.type);
        if (!doc)
          throw reject(
            'unknown',
            `no contract document "${a.type}" on this match (${state.contracts.map((c) => c.type).join(', ')})`,
          );
        if (!CONTRACT_TRANSITIONS[doc.status].includes(a.status))
          throw reject('wrongState', `a ${doc.status} document cannot become ${a.status}`);
        if (a.status === 'rejected' && !a.reason?.trim())
          throw reject('invalid', 'a reason is required to reject a document');
      },
    );
    action<{ taskId: string; note?: string }>(
      completeTaskUpdate,
      (a) => this.completeTask(a.taskId, a.note),
      (a) => {
        const task = state.tasks.find((t) => t.id === a.taskId);
        if (!task) throw reject('unknown', `no task "${a.taskId}" on this match`);
        if (task.status !== 'open') throw reject('wrongState', `the task is ${task.status}, not open`);
      },
    );
    action<{ text: string; sentiment?: number }>(
      addNoteUpdate,
      (a) => {
        if (a.sentiment !== undefined) state.sentiment = a.sentiment;
        this.record('note.added', { text: a.text, sentiment: a.sentiment ?? null });
      },
      (a) => {
        if (!a.text?.trim()) throw reject('invalid', 'the note is empty');
        if (a.sentiment !== undefined && !(Number.isInteger(a.sentiment) && a.sentiment >= 1 && a.sentiment <= 5))
          throw reject('invalid', 'sentiment must be 1 to 5');
      },
    );
    const escalation = (id: string, allowed: EscalationState['status'][]) => {
      const e = state.escalations.find((x) => x.id === id);
      if (!e) throw reject('unknown', `no escalation "${id}" on this match`);
      if (!allowed.includes(e.status)) throw reject('wrongState', `the escalation is ${e.status}`);
      return e;
    };
    action<{ escalationId: string }>(
      acknowledgeEscalationUpdate,
      (a) => {
        const e = state.escalations.find((x) => x.id === a.escalationId)!;
        e.status = 'acknowledged';
        e.acknowledgedAt = iso(now());
        this.record('escalation.acknowledged', { escalationId: e.id, type: e.type });
      },
      (a) => void escalation(a.escalationId, ['open']),
    );
    action<{ escalationId: string; note: string }>(
      resolveEscalationUpdate,
      (a) => {
        this.resolveEscalation(
          state.escalations.find((x) => x.id === a.escalationId)!,
          'coordinator',
          a.note,
        );
      },
      (a) => {
        escalation(a.escalationId, ['open', 'acknowledged', 'snoozed']);
        if (!a.note?.trim()) throw reject('invalid', 'a note is required to resolve an escalation');
      },
    );
    action<{ escalationId: string; until: string; reason: string }>(
      snoozeEscalationUpdate,
      (a) => {
        const e = state.escalations.find((x) => x.id === a.escalationId)!;
        e.status = 'snoozed';
        e.snoozedUntil = a.until;
        e.snoozeReason = a.reason;
        e.snoozes += 1;
        this.record('escalation.snoozed', { escalationId: e.id, type: e.type, until: a.until, reason: a.reason });
      },
      (a) => {
        escalation(a.escalationId, ['open', 'acknowledged']);
        if (!(ms(a.until) > now())) throw reject('invalid', 'snooze until a time in the future');
        if (!a.reason?.trim()) throw reject('invalid', 'a reason is required to snooze');
      },
    );
    action<{ reason: string }>(
      pauseUpdate,
      (a) => {
        state.paused = { since: iso(now()), reason: a.reason };
        state.status = 'paused';
        this.record('match.paused', { reason: a.reason });
      },
      (a) => {
        open();
        if (state.paused) throw reject('wrongState', 'the match is already paused');
        if (!a.reason?.trim()) throw reject('invalid', 'a reason is required to pause');
      },
    );
    action<Record<string, never>>(
      resumeUpdate,
      () => {
        const pausedFor = now() - ms(state.paused!.since);
        shiftTimers(state, pausedFor);
        this.refreshContractDueDates();
        state.paused = undefined;
        state.status = 'open';
        this.record('match.resumed', { pausedForMs: pausedFor });
      },
      () => {
        open();
        if (!state.paused) throw reject('wrongState', 'the match is not paused');
      },
    );
    action<{ endDate: string }>(
      extendUpdate,
      (a) => {
        const from = state.match.endDate;
        state.match = { ...state.match, endDate: a.endDate, endsAt: undefined };
        state.endAt = iso(startOfDate(a.endDate, state.playbook.timeZone));
        replanTasks(state);
        if (state.phase === 'wrap_up' && now() < wrapUpStartsAt(state.playbook, ms(state.endAt)))
          this.setPhase('active');
        this.record('match.extended', { from, to: a.endDate });
      },
      (a) => {
        open();
        if (!/^\d{4}-\d{2}-\d{2}$/.test(a.endDate ?? '') || Number.isNaN(Date.parse(a.endDate)))
          throw reject('invalid', 'endDate must be YYYY-MM-DD');
        if (a.endDate <= state.match.endDate)
          throw reject('invalid', `the new end date must be after ${state.match.endDate}`);
        if (state.checkins.finalSent)
          throw reject(
            'wrongState',
            'the final survey has gone out: record the outcome (complete) instead of extending',
          );
      },
    );
    action<{ coordinator: Participant }>(
      reassignUpdate,
      (a) => {
        const from = state.match.coordinator;
        state.match = { ...state.match, coordinator: a.coordinator };
        this.email(
          `reassigned-${a.coordinator.personId}`,
          'coordinator',
          a.coordinator,
          { match: state.match, handover: true },
          { template: 'match-opened' },
        );
        this.record('match.reassigned', { from: from.email, to: a.coordinator.email });
      },
      (a) => {
        open();
        if (!a.coordinator?.email) throw reject('invalid', 'a coordinator is required');
        if (a.coordinator.email === state.match.coordinator.email)
          throw reject('invalid', 'that is already the coordinator');
      },
    );
    action<{ reason: string; note?: string }>(
      endEarlyUpdate,
      (a) => this.close({ status: 'terminated_early', reason: a.reason, note: a.note }),
      (a) => {
        open();
        if (!(TERMINATION_REASONS as readonly string[]).includes(a.reason))
          throw reject('invalid', `reason must be one of ${TERMINATION_REASONS.join(', ')}`);
      },
    );
    action<{ note?: string }>(
      completeMatchUpdate,
      (a) => this.close({ status: 'completed', note: a.note }),
      () => {
        open();
        if (state.phase !== 'wrap_up')
          throw reject(
            'wrongState',
            `a match is completed in its wrap-up phase (it is ${state.phase}); use end early otherwise`,
          );
      },
    );
    action<{ reason: string }>(
      cancelMatchUpdate,
      (a) => this.close({ status: 'cancelled', reason: a.reason }),
      (a) => {
        open();
        if (state.kickoff.status === 'held' || state.checkins.completedRounds > 0)
          throw reject('wrongState', 'the match has started; end it early instead');
        if (!a.reason?.trim()) throw reject('invalid', 'a reason is required to cancel');
      },
    );
  }

  private validateSlots(slots: KickoffSlot[]): void {
    if (!Array.isArray(slots) || slots.length < 1 || slots.length > 5) throw reject('invalid', 'propose 1 to 5 slots');
    for (const slot of slots) {
      if (!(ms(slot.startsAt) > now())) throw reject('invalid', `slot ${slot.startsAt} is not in the future`);
      if (!(Number.isInteger(slot.durationMinutes) && slot.durationMinutes >= 15 && slot.durationMinutes <= 480)) {
        throw reject('invalid', 'durationMinutes must be 15 to 480');
      }
    }
  }

  private result(): ActionResult {
    return { ok: true, phase: this.state.phase, status: this.state.status };
  }

  // Effects: emails and the read model, written by two single writers so nothing races. ----------------------------

  /** Queues an email; the mailer sends it in the program's sending hours. */
  private email(
    step: string,
    to: PendingEmail['to'],
    recipient: Participant,
    data: Record<string, unknown>,
    extra: Partial<Pick<PendingEmail, 'template' | 'checkin' | 'kickoffLink' | 'invite'>> = {},
  ): void {
    const key = `${this.workflowId}/${step}/${to === 'program_manager' ? `pm-${recipient.personId}` : to}`;
    if (this.outbox.some((e) => e.key === key)) return;
    this.outbox.push({
      key,
      template: extra.template ?? step,
      to,
      recipient,
      data: { match: this.state.match, ...data },
      checkin: extra.checkin,
      kickoffLink: extra.kickoffLink,
      invite: extra.invite,
      queuedAt: iso(now()),
    });
    this.changed();
  }

  /** Why a queued reminder is no longer wanted, if it is not. */
  private overtaken(email: PendingEmail): string | undefined {
    if (email.template === 'checkin-reminder' && email.checkin) {
      const round = this.state.checkins.current;
      if (round?.round !== email.checkin.round || round.status === 'closed') return 'the round has closed';
      if (round.answers[email.checkin.respondent]) return 'answered meanwhile';
    }
    if (email.template === 'task-reminder') {
      const id = (email.data.task as { id?: string } | undefined)?.id;
      const task = this.state.tasks.find((t) => t.id === id);
      if (task && task.status !== 'open') return `the task is ${task.status}`;
    }
    return undefined;
  }

  private async mailer(): Promise<void> {
    for (;;) {
      await condition(() => this.outbox.length > 0 && !this.state.paused);
      const sendAt = nextSendTime(now(), this.state.playbook);
      if (sendAt > now()) {
        await condition(() => Boolean(this.state.paused), sendAt - now());
        continue;
      }
      const email = this.outbox[0]!;
      // An email that waited (for sending hours, a resume) may have been overtaken: nobody gets a reminder for
      // something they have already done.
      const overtaken = this.overtaken(email);
      if (overtaken && patched('mail-drops-overtaken-reminders')) {
        this.outbox.shift();
        this.record('email.skipped', { template: email.template, role: email.to, reason: overtaken });
        continue;
      }
      // The coordinator's emails go to whoever coordinates the match when they are sent (a reassign may have come
      // in while they waited).
      const current = this.state.match.coordinator;
      const redirected = email.to === 'coordinator' && email.recipient.email !== current.email;
      const recipient = redirected && patched('coordinator-mail-follows-reassign') ? current : email.recipient;
      this.activitiesInFlight += 1;
      try {
        const sent = await sendEmail({
          key: email.key,
          matchId: this.state.matchId,
          template: email.template,
          role: email.to,
          recipient,
          data: email.data,
          checkin: email.checkin,
          kickoffLink: email.kickoffLink,
          invite: email.invite,
          timeZone: this.state.playbook.timeZone,
        });
        this.record('email.sent', {
          template: email.template,
          role: email.to,
          to: sent.to,
          subject: sent.subject,
          messageId: sent.messageId,
        });
      } catch (error) {
        if (isCancellation(error)) throw error;
        // A permanent failure (e.g. the address was rejected) is on the outbox row; the timeline says so; move on.
        log.warn('email not sent', { key: email.key, error: String(error) });
        this.record('email.failed', {
          template: email.template,
          role: email.to,
          to: recipient.email,
          error: errorMessage(error),
        });
      } finally {
        this.activitiesInFlight -= 1;
      }
      this.outbox.shift();
    }
  }

  private record(type: string, payload: Record<string, unknown>): void {
    this.events.push({ key: `${this.workflowId}/e${++this.state.seq}`, type, payload, at: iso(now()) });
    this.changed();
  }

  /** Every change recomputes health at once (queries see it) and wakes the syncer to write the read model. */
  private changed(): void {
    const { state } = this;
    state.health = computeHealth({
      signals: [...state.signals.round, ...state.signals.milestones],
      completedRounds: state.checkins.completedRounds,
      unverifiedRequiredDocuments: state.contracts.filter((c) => c.required && c.status !== 'verified').length,
      sentiment: state.sentiment,
      previousScore: state.previousRoundScore,
    });
    this.dirty = true;
  }

  /** After every change: health is recomputed, and the timeline and read model are written to Postgres. */
  private async syncer(): Promise<void> {
    for (;;) {
      await condition(() => this.dirty);
      this.dirty = false;
      const { state } = this;
      const risk = state.phase === 'closed' ? 'closed' : state.health.band;
      if (this.searchAttributesShown.status !== state.status || this.searchAttributesShown.risk !== risk) {
        upsertSearchAttributes([
          { key: searchAttributes.status, value: state.status },
          { key: searchAttributes.risk, value: risk },
        ]);
        this.searchAttributesShown = { status: state.status, risk };
      }
      const events = this.events.slice();
      this.activitiesInFlight += 1;
      try {
        await syncMatch({ matchId: state.matchId, events, model: readModelOf(state, nextStep(state)) });
        this.events.splice(0, events.length);
      } catch (error) {
        if (isCancellation(error)) throw error;
        log.error('read model not written; retrying later', { error: String(error) });
        this.dirty = true;
        await condition(() => false, '10 minutes');
      } finally {
        this.activitiesInFlight -= 1;
      }
    }
  }

  // Waiting ---------------------------------------------------------------------------------------------------

  /**
   * Waits until the instant `at()` (re-read whenever the state changes it), holding while the match is paused.
   * Returns true when the instant was reached, false when `stop()` became true first.
   */
  private async waitUntil(at: () => number | null, stop: () => boolean): Promise<boolean> {
    for (;;) {
      if (stop()) return false;
      if (this.state.paused) {
        await condition(() => !this.state.paused || stop());
        continue;
      }
      const target = at();
      if (target !== null && now() >= target) return true;
      const moved = () => stop() || Boolean(this.state.paused) || at() !== target;
      if (target === null) await condition(moved);
      else await condition(moved, target - now());
    }
  }

  /** Steps that must happen once per match (milestone escalations, contract reminders), remembered in the state. */
  private done(step: string): boolean {
    return (this.state.stepsDone ?? []).includes(step);
  }

  private markDone(step: string): void {
    this.state.stepsDone = [...(this.state.stepsDone ?? []), step];
  }

  private isClosed(): boolean {
    return this.state.phase === 'closed';
  }

  /** Closed, the final check-in closed, every task done or reminded past due, every email sent, everything written. */
  private finished(): boolean {
    return (
      this.isClosed() &&
      this.checkinsDone() &&
      this.state.tasks.every((t) => t.status === 'done' || t.status === 'cancelled' || t.overdueReminded) &&
      this.state.playbook.tasks
        .filter((t) => t.at.anchor === 'close')
        .every((d) => this.state.outcome?.status === 'cancelled' || this.state.tasks.some((t) => t.key === d.key)) &&
      this.outbox.length === 0 &&
      this.events.length === 0 &&
      !this.dirty &&
      this.activitiesInFlight === 0
    );
  }

  private shouldContinueAsNew(): boolean {
    return this.roundsThisRun >= ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested;
  }

  private quiet(): boolean {
    return this.activitiesInFlight === 0 && allHandlersFinished();
  }
}
