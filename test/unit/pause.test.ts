import { durationMs } from '../../workflows/durations';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { contractDueAt, firstCheckinAt, holdComputedDueDates, shiftTimers } from '../../workflows/schedule';
import type { MatchState } from '../../workflows/shared';
import { at, DAY, freshState, NOW } from '../support/match-state';

const fresh = freshState;

/** What the resume does: every stored timer moves by the pause, then the computed due dates are held. */
function pause(state: MatchState, since: number, resumedAt: number): void {
  shiftTimers(state, resumedAt - since);
  holdComputedDueDates(state, since, resumedAt);
}

describe('a pause holds the due dates computed from the kickoff', () => {
  it('the contract due at a scheduled kickoff moves later by the pause; the kickoff itself stays', () => {
    const s = fresh();
    const kickoff = NOW + 10 * DAY;
    s.kickoff.status = 'scheduled';
    s.kickoff.scheduled = { startsAt: at(kickoff), durationMinutes: 60, sequence: 1 };
    pause(s, NOW + DAY, NOW + 5 * DAY);
    expect(contractDueAt(s)).toBe(kickoff + 4 * DAY);
    // Two pauses add up; a kickoff moved to another time starts a due date of its own.
    pause(s, NOW + 6 * DAY, NOW + 7 * DAY);
    expect(contractDueAt(s)).toBe(kickoff + 5 * DAY);
    expect(s.kickoff.scheduled.startsAt).toBe(at(kickoff));
    s.kickoff.scheduled = { startsAt: at(kickoff + 2 * DAY), durationMinutes: 60, sequence: 2 };
    expect(contractDueAt(s)).toBe(kickoff + 2 * DAY);
  });

  it('the contract due at the kickoff deadline moves once, with the deadline', () => {
    const s = fresh();
    const due = contractDueAt(s);
    pause(s, NOW + DAY, NOW + 3 * DAY);
    expect(contractDueAt(s)).toBe(due + 2 * DAY);
  });

  it('a contract due date that had passed before the pause stays', () => {
    const s = fresh({
      ...DEFAULT_PLAYBOOK,
      contracts: { ...DEFAULT_PLAYBOOK.contracts, due: { kind: 'after_start', offset: '3d' } },
    });
    const due = contractDueAt(s);
    pause(s, due + DAY, due + 3 * DAY);
    expect(contractDueAt(s)).toBe(due);
  });

  it('the first check-in after a held kickoff moves by as long as it was waiting during the pause', () => {
    const s = fresh();
    const heldAt = NOW + 3 * DAY;
    s.kickoff.status = 'held';
    s.kickoff.heldAt = at(heldAt);
    const first = heldAt + durationMs(DEFAULT_PLAYBOOK.checkins.firstAfterKickoff);
    expect(firstCheckinAt(s)).toBe(first);
    pause(s, heldAt + DAY, heldAt + 4 * DAY);
    expect(s.checkins.nextOpenAt).toBe(at(first + 3 * DAY));
    // Held during a pause that began before: the wait starts at the kickoff.
    const t = fresh();
    t.kickoff.status = 'held';
    t.kickoff.heldAt = at(heldAt);
    pause(t, heldAt - DAY, heldAt + 2 * DAY);
    expect(t.checkins.nextOpenAt).toBe(at(first + 2 * DAY));
  });

  it('a later round is not moved twice: its time is stored and moved with the other timers', () => {
    const s = fresh();
    s.kickoff.status = 'held';
    s.kickoff.heldAt = at(NOW);
    s.checkins.nextRound = 2;
    s.checkins.nextOpenAt = at(NOW + 21 * DAY);
    pause(s, NOW + 10 * DAY, NOW + 12 * DAY);
    expect(s.checkins.nextOpenAt).toBe(at(NOW + 23 * DAY));
  });
});
