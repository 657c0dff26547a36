import { createApp } from '../../api/app';
import { maySendAt, nextSendTime } from '../../workflows/calendar';
import { MAIL_RETRY } from '../../workflows/mail-delivery';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import type { Locale } from '../../workflows/shared';
import { saveHistories } from '../support/histories';
import { serve } from '../support/http';
import { keyHeaders } from '../support/keys';
import { createHarness, DAY, HOUR, type Harness, type RunningMatch } from '../support/lifecycle';
import { jstSlot } from '../support/instants';
import { advanceUntil, historiesOf, templateOf } from '../support/people';
import { testKeyRing } from '../support/temporal';

const MINUTE = 60_000;
const policy = { ...DEFAULT_PLAYBOOK, version: 1 };

/** The read model's delivery problems of a match, as the API's detail view shows them. */
async function problemsShown(h: Harness, m: RunningMatch) {
  const api = await serve(
    createApp({
      db: h.database.db,
      temporal: h.env.client,
      taskQueue: 'unused',
      keys: testKeyRing(),
      links: { publicBaseUrl: 'http://bansou.test', signingSecret: 'x'.repeat(32) },
      checkSmtp: async () => undefined,
    }),
    { headers: await keyHeaders(h.database.db, 'admin') },
  );
  try {
    const res = await api.request('GET', `/matches/${m.id}`);
    expect(res.status).toBe(200);
    return res.body.match.deliveryProblems as Record<string, unknown>[];
  } finally {
    await api.close();
  }
}

/**
 * Email that does not go through: a mailbox that keeps answering "try again later" (4xx) is tried a bounded number
 * of times, backing off, only inside sending hours, while the match's other emails go on; then the email is failed,
 * the match shows a delivery problem and the coordinator is told. An email that cannot be sent at all (it does not
 * render, the address is refused) shows the same way at once.
 */
describe('mail that cannot be delivered', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({
      smtp: { deferRecipients: (a) => a.startsWith('full.'), rejectRecipients: (a) => a.startsWith('gone.') },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a mailbox that stays full: bounded retries inside sending hours, the rest goes on, then a delivery problem', async () => {
    // 17:30 JST on a working day: the third try falls after 18:00 and must wait for the next morning.
    await h.advanceTo(Date.parse(jstSlot(await h.now(), 1, 17)) + 30 * MINUTE);
    const openedAt = await h.now();
    const host = { name: '山田 花子', email: `full.${openedAt}@yamada.example.jp`, locale: 'ja' as const };
    const m = await h.startMatch({ people: { host: { ...host, organization: '山田食品' } } });

    // The talent and the coordinator get their opening email at once, though the host's is first in line.
    await advanceUntil(
      h,
      'the other opening emails',
      () => m.emails((e) => templateOf(e) === 'match-opened').length === 2,
      {
        step: MINUTE,
        within: 5 * MINUTE,
      },
    );
    expect(
      m
        .emails((e) => templateOf(e) === 'match-opened')
        .map((e) => e.to)
        .sort(),
    ).toEqual([m.snapshot.coordinator.email, m.snapshot.talent.email].sort());

    // Three working days of tries: with a weekend, Golden Week or the year's end in between, more calendar days.
    await advanceUntil(
      h,
      'the notice to the coordinator',
      () => m.emails((e) => templateOf(e) === 'delivery-problem').length > 0,
      {
        step: 6 * HOUR,
        within: 15 * DAY,
      },
    );
    await h.advance(HOUR);
    // Kept for the replay test: this history has the `mail-retries-in-sending-hours` patch marker.
    saveHistories('mail-deferred-for-good', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));

    const timeline = await m.timeline();
    const tries = timeline.filter((e) => e.type === 'email.deferred' && e.payload.role === 'host');
    const failed = timeline.filter((e) => e.type === 'email.failed');
    // Every try was made, each inside sending hours, none after the bound; the server saw exactly those.
    expect(tries.length + 1).toBe(MAIL_RETRY.tries);
    expect(h.smtp.deferred.filter((d) => d.address === host.email)).toHaveLength(MAIL_RETRY.tries);
    const attempts = [...tries, ...failed].map((e) => e.at.getTime());
    expect(attempts.filter((at) => !maySendAt(at, policy))).toEqual([]);
    // The try that fell due after 18:00 went out when the next morning's sending window opened.
    const nextMorning = nextSendTime(openedAt + HOUR, policy);
    expect(attempts.some((at) => at >= nextMorning && at < nextMorning + MINUTE)).toBe(true);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.payload).toMatchObject({ template: 'match-opened', role: 'host', to: host.email });
    expect(String(failed[0]!.payload.error)).toMatch(/452/);

    const row = await h.database.db.email.findFirstOrThrow({ where: { matchId: m.id, to: host.email } });
    expect(row).toMatchObject({ status: 'failed', attempts: MAIL_RETRY.tries });
    expect(await problemsShown(h, m)).toEqual([
      expect.objectContaining({ role: 'host', to: host.email, template: 'match-opened' }),
    ]);
    // The coordinator is told, in their language, who did not get what.
    const notice = m.emails((e) => templateOf(e) === 'delivery-problem');
    expect(notice.map((e) => e.to)).toEqual([m.snapshot.coordinator.email]);
    expect(notice[0]!.mail.text).toContain(host.email);
    expect(notice[0]!.subject).toContain('届きませんでした');
  });

  it('an email that cannot be rendered shows as a delivery problem at once, and the coordinator is told', async () => {
    await h.advanceTo(jstSlot(await h.now(), 1, 10));
    // A language with no templates: the talent's email cannot be rendered, which no retry would change.
    const m = await h.startMatch({ alter: (s) => ({ ...s, talent: { ...s.talent, locale: 'fr' as Locale } }) });
    await advanceUntil(
      h,
      'the notice to the coordinator',
      () => m.emails((e) => templateOf(e) === 'delivery-problem').length > 0,
      {
        step: MINUTE,
        within: HOUR,
      },
    );
    // Kept for the replay test: a failure that is not retried, after the `mail-retries-in-sending-hours` patch.
    saveHistories('mail-unrenderable', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));

    const failed = (await m.timeline()).filter((e) => e.type === 'email.failed');
    expect(failed.map((e) => e.payload)).toEqual([
      expect.objectContaining({ template: 'match-opened', role: 'talent', error: 'no template fr/match-opened' }),
    ]);
    expect(await problemsShown(h, m)).toEqual([
      expect.objectContaining({ role: 'talent', to: m.snapshot.talent.email, error: 'no template fr/match-opened' }),
    ]);
    const notice = m.emails((e) => templateOf(e) === 'delivery-problem');
    expect(notice.map((e) => e.to)).toEqual([m.snapshot.coordinator.email]);
    expect(notice[0]!.mail.text).toContain(m.snapshot.talent.name);
  });

  it("the coordinator's own address refused: the program managers are told", async () => {
    await h.advanceTo(jstSlot(await h.now(), 1, 10));
    const coordinator = { name: '鈴木 一郎', email: `gone.${await h.now()}@npo.example.jp`, locale: 'ja' as const };
    const m = await h.startMatch({ people: { coordinator } });
    await advanceUntil(
      h,
      'the notice to the program manager',
      () => m.emails((e) => templateOf(e) === 'delivery-problem').length > 0,
      {
        step: MINUTE,
        within: HOUR,
      },
    );
    const notice = m.emails((e) => templateOf(e) === 'delivery-problem');
    expect(notice.map((e) => e.to)).toEqual([m.programManagerEmail]);
    expect(notice[0]!.mail.text).toContain(coordinator.email);
    expect(await problemsShown(h, m)).toEqual([
      expect.objectContaining({ role: 'coordinator', to: coordinator.email }),
    ]);
    // Refused for good (5xx): each email tried once, not retried. The task email that followed is refused too; the
    // program managers already know.
    const rows = await h.database.db.email.findMany({ where: { matchId: m.id, to: coordinator.email } });
    expect(rows.map((r) => [r.template, r.status, r.attempts]).sort()).toEqual([
      ['match-opened', 'failed', 1],
      ['task-reminder', 'failed', 1],
    ]);
    const failed = (await m.timeline()).filter((e) => e.type === 'email.failed').map((e) => e.payload.told);
    expect(failed).toEqual(['program_manager', null]);
  });
});
