import {
  completeTaskUpdate,
  matchReference,
  reassignUpdate,
  scheduleKickoffUpdate,
  setContractStatusUpdate,
} from '../../workflows/shared';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { eventually } from '../support/eventually';
import { saveHistories } from '../support/histories';
import { CALENDAR_STARTS, describeJst, inJstBusinessHours, jstSlot, sendingOpensAt } from '../support/instants';
import { createHarness, DAY, HOUR, type Harness } from '../support/lifecycle';
import { advanceUntil, historiesOf, holdKickoff, templateOf, untilRoundOpens } from '../support/people';

const jstTime = (iso: string) => new Date(iso).toLocaleTimeString('en-GB', { timeZone: 'Asia/Tokyo' });

/**
 * Emails wait for the program's sending hours (09:00–18:00 JST on working days). Each scenario runs from every kind
 * of start (a working-day morning, a Friday evening, the eve of a public holiday, year-end, Golden Week), and its
 * expectations are computed from the calendar, so it passes whatever the day the suite runs on.
 */
describe('match lifecycle: emails that wait for sending hours', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(CALENDAR_STARTS)(
    'an unsigned contract: the host is reminded before and at the due date, then it escalates until verified (from $name)',
    async (start) => {
      await h.startAt(start);
      const m = await h.startMatch();
      const startsAt = jstSlot(await h.now(), 7, 10);
      await m.act(scheduleKickoffUpdate, { startsAt, durationMinutes: 60 });
      expect((await m.state()).contracts[0]).toMatchObject({
        type: 'outsourcing_contract',
        required: true,
        status: 'missing',
        dueAt: startsAt,
      });

      // Three days before the kickoff (on days off, the next sending window), then at it: reminders to the host; at
      // the due date an escalation.
      const remindAt = Date.parse(startsAt) - 3 * DAY;
      await h.advanceTo(remindAt - HOUR);
      const reminders = () => m.emails((e) => templateOf(e) === 'contract-reminder');
      expect(reminders()).toHaveLength(0);
      await advanceUntil(h, 'the first contract reminder', () => reminders().length >= 1, {
        step: HOUR,
        within: sendingOpensAt(remindAt) - remindAt + 2 * HOUR,
      });
      // The kickoff is at 10:00 on a working day, so even a reminder that waited goes out before it (maybe just
      // before: then the one at the due date follows within the hour).
      const firstSentAt = await eventually(
        async () =>
          (await m.timeline()).find((e) => e.type === 'email.sent' && e.payload.template === 'contract-reminder')?.at,
      );
      expect(firstSentAt!.getTime()).toBeLessThan(Date.parse(startsAt));
      expect(reminders()[0]!.to).toBe(m.snapshot.host.email);
      expect(reminders()[0]!.mail.text).toContain('業務委託契約書');
      await h.advanceTo(Date.parse(startsAt) + 2 * HOUR);
      expect(reminders().map((e) => e.to)).toEqual([m.snapshot.host.email, m.snapshot.host.email]);
      let s = await m.state();
      expect(s.escalations).toEqual([
        expect.objectContaining({ type: 'contract_overdue', severity: 'high', status: 'open' }),
      ]);
      expect(s.health.signals.map((x) => x.type)).toContain('contract_overdue');

      // Rejected, then submitted again and verified: the escalation closes by itself.
      await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'submitted' });
      await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'rejected', reason: '押印漏れ' });
      await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'submitted' });
      await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'verified' });
      s = await m.state();
      expect(s.escalations[0]).toMatchObject({
        status: 'resolved',
        resolution: {
          by: 'auto',
          note: '必要な契約書類が確認されました / the required contract documents are verified',
        },
      });
      expect(s.contracts[0]).toMatchObject({ status: 'verified' });
      await eventually(async () => {
        const rows = await h.database.db.contractDocument.findMany({
          where: { matchId: m.id },
          orderBy: { type: 'asc' },
        });
        expect(rows.map((r) => [r.type, r.status, r.required])).toEqual([
          ['nda', 'missing', false],
          ['outsourcing_contract', 'verified', true],
        ]);
        return true;
      });
      // The optional NDA never triggers a reminder or an escalation.
      expect(reminders().every((e) => !e.mail.text?.includes('NDA'))).toBe(true);
      const sent = (await m.timeline()).filter((e) => e.type === 'email.sent');
      expect(sent.filter((e) => !inJstBusinessHours(e.at)).map((e) => describeJst(e.at.getTime()))).toEqual([]);
    },
  );

  it.each(CALENDAR_STARTS)(
    'the kickoff reminder goes out the day before, or on the morning of the meeting after days off (from $name)',
    async (start) => {
      const from = await h.startAt(start);
      const m = await h.startMatch();
      // The next working day at 14:00: its eve may be a weekend, a holiday, or already past.
      const startsAt = jstSlot(from, 1, 14);
      await m.act(scheduleKickoffUpdate, { startsAt, durationMinutes: 60 });
      const dueAt = Math.max(from, Date.parse(startsAt) - DAY);
      await h.advanceTo(Date.parse(startsAt) + HOUR);
      const reminders = m.emails((e) => templateOf(e) === 'kickoff-reminder');
      const { host, talent, coordinator } = m.snapshot;
      expect(reminders.map((e) => e.to).sort()).toEqual([coordinator.email, host.email, talent.email].sort());
      const sentAt = (await m.timeline())
        .filter((e) => e.type === 'email.sent' && e.payload.template === 'kickoff-reminder')
        .map((e) => e.at.getTime());
      expect(sentAt).toHaveLength(3);
      for (const at of sentAt) {
        expect({ at: describeJst(at), inHours: inJstBusinessHours(at) }).toEqual({
          at: describeJst(at),
          inHours: true,
        });
        expect(at).toBeGreaterThanOrEqual(sendingOpensAt(dueAt));
        expect(at).toBeLessThan(Date.parse(startsAt));
      }
    },
  );

  it.each(CALENDAR_STARTS)(
    'a reminder that waited for sending hours is dropped for whoever answered meanwhile (from $name)',
    async (start) => {
      await h.startAt(start);
      // Reminders fall due at midnight JST (3.5 days after a round opens at noon): they wait for 09:00 or later.
      const m = await h.startMatch({
        months: 3,
        playbook: { checkins: { ...DEFAULT_PLAYBOOK.checkins, reminderAfter: '3d12h' } },
      });
      await holdKickoff(h, m);
      const { round, remindAt } = await untilRoundOpens(h, m);
      // A round opens when its workflow task runs: on a loaded machine the time-skipping server may have moved on a
      // second or so past noon by then, and the reminder is due as much after midnight.
      expect(jstTime(remindAt)).toMatch(/^00:00:\d\d$/);
      await h.moveTo(Date.parse(remindAt) + HOUR);
      await m.answer(round, 'host'); // at 01:00, while the reminders wait
      const reminders = () => m.emails((e) => templateOf(e) === 'checkin-reminder');
      const opens = sendingOpensAt(Date.parse(remindAt));
      await advanceUntil(h, 'the reminder to the talent', () => reminders().length > 0, {
        step: HOUR,
        within: opens - (await h.now()) + 2 * HOUR,
      });
      await h.advance(DAY);
      // Kept for the replay test: this history has the `mail-drops-overtaken-reminders` patch marker.
      saveHistories('reminder-overtaken', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));
      expect(reminders().map((e) => e.to)).toEqual([m.snapshot.talent.email]);
      const skipped = (await m.timeline()).filter((e) => e.type === 'email.skipped');
      expect(skipped.map((e) => e.payload)).toEqual([
        { template: 'checkin-reminder', role: 'host', reason: 'answered meanwhile' },
      ]);
      // Dropped when sending opened, not before.
      expect(skipped[0]!.at.getTime() - opens).toBeGreaterThanOrEqual(0);
      expect(skipped[0]!.at.getTime() - opens).toBeLessThan(HOUR);
    },
  );

  it.each(CALENDAR_STARTS)(
    'a coordinator email that waited for sending hours goes to the coordinator the match has when it is sent (from $name)',
    async (start) => {
      await h.startAt(start);
      const m = await h.startMatch({ days: 60 });
      await holdKickoff(h, m);
      // The mid-point review opens at midnight JST (half of a 60-day term); its email waits for sending hours.
      const midpoint = (await m.state()).tasks.find((t) => t.key === 'midpoint_review')!;
      expect(jstTime(midpoint.openAt)).toBe('00:00:00');
      await h.moveTo(Date.parse(midpoint.openAt) + HOUR);
      expect((await m.state()).tasks.find((t) => t.key === 'midpoint_review')?.status).toBe('open');
      const next = {
        personId: 'night-handover',
        name: '高橋 三郎',
        email: `takahashi.${matchReference(m.id)}@npo.example.jp`,
        locale: 'ja' as const,
      };
      await m.act(reassignUpdate, { coordinator: next });
      const midpointEmails = () =>
        h.smtp.received.filter(
          (e) =>
            [m.snapshot.coordinator.email, next.email].includes(e.to) &&
            templateOf(e) === 'task-reminder' &&
            Boolean(e.mail.text?.includes('中間振り返り')),
        );
      await advanceUntil(h, 'the mid-point review email', () => midpointEmails().length > 0, {
        step: HOUR,
        within: sendingOpensAt(Date.parse(midpoint.openAt)) - (await h.now()) + 2 * HOUR,
      });
      // Kept for the replay test: this history has the `coordinator-mail-follows-reassign` patch marker.
      saveHistories('reassigned-at-night', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));
      expect(midpointEmails().map((e) => e.to)).toEqual([next.email]);
    },
  );

  it.each(CALENDAR_STARTS)(
    'a task done before its reminder could go out gets no reminder (from $name)',
    async (start) => {
      await h.startAt(start);
      const m = await h.startMatch({ days: 60 });
      await holdKickoff(h, m);
      // The mid-point review opens at midnight JST; the coordinator marks it done at 01:00, before sending hours open
      // (09:00 that day, or after the weekend or holidays).
      const midpoint = (await m.state()).tasks.find((t) => t.key === 'midpoint_review')!;
      await h.moveTo(Date.parse(midpoint.openAt) + HOUR);
      await m.act(completeTaskUpdate, { taskId: midpoint.id, note: '前倒しで実施済み' });
      const opens = sendingOpensAt(Date.parse(midpoint.openAt));
      await h.moveTo(opens + HOUR);
      const midpointEmails = m.emails(
        (e) => templateOf(e) === 'task-reminder' && Boolean(e.mail.text?.includes('中間振り返り')),
      );
      expect(midpointEmails).toEqual([]);
      const skipped = (await m.timeline()).filter((e) => e.type === 'email.skipped');
      expect(skipped.map((e) => e.payload)).toEqual([
        { template: 'task-reminder', role: 'coordinator', reason: 'the task is done' },
      ]);
      // Dropped when sending opened, not before.
      expect(skipped[0]!.at.getTime() - opens).toBeGreaterThanOrEqual(0);
      expect(skipped[0]!.at.getTime() - opens).toBeLessThan(HOUR);
    },
  );

  it.each(CALENDAR_STARTS)(
    'a task that falls due while its opening email waits for sending hours gets one email, the overdue one (from $name)',
    async (start) => {
      await h.startAt(start);
      // The mid-point review opens at midnight JST and is due an hour later, long before sending hours open.
      const tasks = DEFAULT_PLAYBOOK.tasks.map((t) => (t.key === 'midpoint_review' ? { ...t, dueWithin: '1h' } : t));
      const m = await h.startMatch({ days: 60, playbook: { tasks } });
      await holdKickoff(h, m);
      const midpoint = (await m.state()).tasks.find((t) => t.key === 'midpoint_review')!;
      expect(jstTime(midpoint.openAt)).toBe('00:00:00');
      const opens = sendingOpensAt(Date.parse(midpoint.openAt));
      const midpointEmails = () =>
        m.emails((e) => templateOf(e) === 'task-reminder' && Boolean(e.mail.text?.includes('中間振り返り')));
      await advanceUntil(h, 'the mid-point review email', () => midpointEmails().length > 0, {
        step: HOUR,
        within: opens - (await h.now()) + 2 * HOUR,
      });
      await h.advance(HOUR);
      // Kept for the replay test: this history has the `opening-reminder-gives-way-to-overdue` patch marker.
      saveHistories(
        'opening-reminder-gave-way',
        await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId),
      );
      expect(midpointEmails().map((e) => e.subject)).toEqual([expect.stringContaining('期限超過')]);
      const skipped = (await m.timeline()).filter((e) => e.type === 'email.skipped');
      expect(skipped.map((e) => e.payload)).toEqual([
        { template: 'task-reminder', role: 'coordinator', reason: 'the overdue reminder replaces it' },
      ]);
      expect(skipped[0]!.at.getTime() - opens).toBeGreaterThanOrEqual(0);
      expect(skipped[0]!.at.getTime() - opens).toBeLessThan(HOUR);
    },
  );
});
