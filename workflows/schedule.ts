/**
 * The match's schedule as data: its initial state, when coordinator tasks fall due, what is next, and how a pause
 * holds the timers. Pure functions of the state, so the workflow stays a story and these stay unit-testable.
 */
import { startOfDate } from './calendar';
import { DAY_MS, durationMs } from './durations';
import { computeHealth } from './health';
import type { CoordinatorTaskDef, Playbook } from './playbook';
import type { MatchSnapshot, MatchState, PlaybookSnapshot, TaskState } from './shared';

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (isoString: string) => Date.parse(isoString);

/** When a task defined by the playbook opens, or null for tasks anchored on the close (opened when it happens). */
export function taskOpensAt(def: CoordinatorTaskDef, startAt: number, endAt: number): number | null {
  switch (def.at.anchor) {
    case 'start':
      return startAt + durationMs(def.at.offset);
    case 'term':
      return startAt + Math.round((endAt - startAt) * def.at.fraction);
    case 'end':
      return endAt - durationMs(def.at.before);
    case 'close':
      return null;
  }
}

/** A task planned to open at `openAt`, due `dueWithin` later. */
export function plannedTask(
  id: string,
  def: Pick<CoordinatorTaskDef, 'key' | 'label' | 'dueWithin'>,
  openAt: number,
): TaskState {
  return {
    id,
    key: def.key,
    label: def.label,
    status: 'scheduled',
    openAt: iso(openAt),
    dueAt: iso(openAt + durationMs(def.dueWithin)),
    overdueReminded: false,
  };
}

/** The wrap-up phase starts with the first end-anchored task (the wrap-up interview), or 14 days before the end. */
export function wrapUpStartsAt(playbook: Playbook, endAt: number): number {
  const before = playbook.tasks
    .filter((t) => t.at.anchor === 'end')
    .map((t) => durationMs((t.at as { before: string }).before))
    .filter((d) => d > 0);
  return endAt - (before.length ? Math.max(...before) : 14 * DAY_MS);
}

/** The initial state of a new match: everything scheduled from the playbook, nothing done. */
export function initialState(match: MatchSnapshot, playbook: PlaybookSnapshot, now: number): MatchState {
  const startAt = startOfDate(match.startDate, playbook.timeZone);
  const endAt = match.endsAt ? Date.parse(match.endsAt) : startOfDate(match.endDate, playbook.timeZone);
  const kickoffDeadline = Math.max(startAt, now) + durationMs(playbook.kickoff.deadline);
  let seq = 0;
  const tasks: TaskState[] = [];
  for (const def of playbook.tasks) {
    const opensAt = taskOpensAt(def, startAt, endAt);
    if (opensAt === null) continue;
    tasks.push(plannedTask(`${match.id}-task-${++seq}`, def, Math.max(opensAt, now)));
  }
  const state: MatchState = {
    matchId: match.id,
    match,
    playbook,
    phase: 'onboarding',
    status: 'open',
    startAt: iso(startAt),
    endAt: iso(endAt),
    kickoff: {
      status: 'unscheduled',
      deadlineAt: iso(kickoffDeadline),
      proposal: 0,
      slots: [],
      responses: {},
      inviteSequence: 0,
    },
    contracts: playbook.contracts.documents.map((d) => ({
      type: d.type,
      label: d.label,
      required: d.required,
      status: 'missing',
      dueAt: null,
      updatedAt: iso(now),
    })),
    checkins: {
      nextRound: 1,
      nextOpenAt: null,
      completedRounds: 0,
      finalSent: false,
      asked: 0,
      answered: 0,
      lastAnswers: {},
      missedInARow: { host: 0, talent: 0 },
    },
    tasks,
    escalations: [],
    signals: { round: [], milestones: [] },
    health: computeHealth({ signals: [], completedRounds: 0, unverifiedRequiredDocuments: 0 }),
    previousRoundScore: null,
    seq,
    run: 1,
  };
  state.contracts = state.contracts.map((c) => ({ ...c, dueAt: iso(contractDueAt(state)) }));
  return state;
}

/** What the contract due date is anchored on: the kickoff (its time once scheduled, else its deadline), or the start. */
function contractDueAnchor(state: MatchState): number {
  const due = state.playbook.contracts.due;
  if (due.kind === 'after_start') return ms(state.startAt) + durationMs(due.offset);
  return state.kickoff.scheduled ? ms(state.kickoff.scheduled.startsAt) : ms(state.kickoff.deadlineAt);
}

/**
 * Required contract documents are due before the kickoff (its time once scheduled, else its deadline), or after start;
 * later by the pauses that held it while it had that anchor.
 */
export function contractDueAt(state: MatchState): number {
  const anchor = contractDueAnchor(state);
  const held = state.contractDueHeld;
  return held && ms(held.anchorAt) === anchor ? anchor + held.byMs : anchor;
}

/**
 * A pause from `since` to `resumedAt` also holds the due dates that are computed rather than stored: the contract due
 * date (the kickoff it is anchored on is an appointment and stays) and the first check-in after a held kickoff. Each
 * moves later by as long as it was waiting during the pause; one that had passed before the pause stays.
 */
export function holdComputedDueDates(state: MatchState, since: number, resumedAt: number): void {
  const contractDue = contractDueAt(state);
  // Due at the kickoff's deadline, it has moved with the deadline already (`shiftTimers`).
  const onDeadline = state.playbook.contracts.due.kind === 'before_kickoff' && !state.kickoff.scheduled;
  if (contractDue > since && !onDeadline) {
    const anchor = contractDueAnchor(state);
    state.contractDueHeld = { anchorAt: iso(anchor), byMs: contractDue - anchor + (resumedAt - since) };
  }
  const heldAt = state.kickoff.heldAt ? ms(state.kickoff.heldAt) : null;
  const firstAt = firstCheckinAt(state);
  if (heldAt !== null && firstAt !== null && !state.checkins.nextOpenAt && state.checkins.nextRound === 1) {
    // Waiting since the kickoff was held, or since the pause began if it was held before.
    if (firstAt > since) state.checkins.nextOpenAt = iso(firstAt + resumedAt - Math.max(since, heldAt));
  }
}

/** When check-ins begin: after the kickoff is held, or after its deadline if it never was. */
export function firstCheckinAt(state: MatchState): number | null {
  const after = durationMs(state.playbook.checkins.firstAfterKickoff);
  if (state.kickoff.heldAt) return ms(state.kickoff.heldAt) + after;
  if (state.kickoff.status === 'held') return null;
  return ms(state.kickoff.deadlineAt) + after;
}

/**
 * Holds every timer for the length of a pause: kickoff deadline, contract due dates, check-in round times, task
 * times and escalation due dates move later by `delta`. The planned end date stays (extending it is its own action),
 * and so do tasks anchored on it.
 */
export function shiftTimers(state: MatchState, delta: number): void {
  const shift = (value: string) => iso(ms(value) + delta);
  state.kickoff.deadlineAt = shift(state.kickoff.deadlineAt);
  for (const c of state.contracts) if (c.dueAt) c.dueAt = shift(c.dueAt);
  if (state.checkins.nextOpenAt) state.checkins.nextOpenAt = shift(state.checkins.nextOpenAt);
  const round = state.checkins.current;
  if (round?.status === 'open') {
    round.remindAt = shift(round.remindAt);
    round.closeAt = shift(round.closeAt);
    round.expiresAt = shift(round.expiresAt);
  }
  const endAnchored = new Set(state.playbook.tasks.filter((t) => t.at.anchor === 'end').map((t) => t.key));
  for (const task of state.tasks) {
    if (task.status === 'done' || endAnchored.has(task.key)) continue;
    if (task.status === 'scheduled') task.openAt = shift(task.openAt);
    task.dueAt = shift(task.dueAt);
  }
  for (const e of state.escalations) {
    if (e.status === 'resolved') continue;
    e.dueAt = shift(e.dueAt);
    if (e.snoozedUntil) e.snoozedUntil = shift(e.snoozedUntil);
  }
}

/** Re-plans tasks that have not opened yet after the end date moved. */
export function replanTasks(state: MatchState): void {
  const startAt = ms(state.startAt);
  const endAt = ms(state.endAt);
  for (const def of state.playbook.tasks) {
    const task = state.tasks.find((t) => t.key === def.key && t.status === 'scheduled');
    const opensAt = taskOpensAt(def, startAt, endAt);
    if (!task || opensAt === null) continue;
    task.openAt = iso(opensAt);
    task.dueAt = iso(opensAt + durationMs(def.dueWithin));
  }
}

export type NextStep = { at: string; what: string };

/** The next thing scheduled to happen on the match, for the read model. */
export function nextStep(state: MatchState): NextStep | null {
  if (state.phase === 'closed' && !state.tasks.some((t) => t.status !== 'done')) return null;
  const candidates: NextStep[] = [];
  const add = (at: string | null | undefined, what: string) => at && candidates.push({ at, what });
  if (state.kickoff.status !== 'held' && state.kickoff.status !== 'not_held') {
    add(state.kickoff.scheduled?.startsAt, 'kickoff');
    add(state.kickoff.deadlineAt, 'kickoff deadline');
  }
  const round = state.checkins.current;
  if (round?.status === 'open') add(round.closeAt, `check-in ${round.round} closes`);
  if (state.phase !== 'closed') add(state.checkins.nextOpenAt, `check-in ${state.checkins.nextRound} opens`);
  for (const c of state.contracts) if (c.required && c.status !== 'verified') add(c.dueAt, `${c.type} due`);
  for (const t of state.tasks) {
    if (t.status === 'scheduled') add(t.openAt, `task ${t.key}`);
    if (t.status === 'open') add(t.dueAt, `task ${t.key} due`);
  }
  for (const e of state.escalations) if (e.status === 'open' && e.level === 1) add(e.dueAt, `escalation ${e.type} SLA`);
  if (state.phase !== 'closed') add(state.endAt, 'planned end');
  candidates.sort((a, b) => ms(a.at) - ms(b.at));
  return candidates[0] ?? null;
}
