import { signLink } from '../../activities/links';
import { createApp } from '../../api/app';
import { csrfFor } from '../../api/pages/render';
import { matchIdFor, matchWorkflowId } from '../../workflows/shared';
import { matchRequest, unique } from '../support/fixtures';
import { serve } from '../support/http';
import type { ReceivedEmail } from '../support/smtp';
import { parseInvite } from '../support/ics';
import { eventually } from '../support/eventually';
import { addDays, firstDateAt, JST, jstAt, weekdayOf } from '../support/instants';
import { createDevStack, SIGNING_SECRET, type DevStack } from '../support/stack';
import { localDate } from '../../workflows/calendar';

const template = (e: ReceivedEmail) => String(e.mail.headers.get('x-bansou-template'));

function postChoice(stack: DevStack, path: string, fields: Record<string, string>, baseUrl = stack.api.url) {
  const token = path.split('/').pop()!;
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: csrfFor(SIGNING_SECRET, token), ...fields }).toString(),
  }).then(async (r) => ({ status: r.status, text: await r.text() }));
}

/**
 * Kickoff days a month out on the real clock (these tests run on the dev server): a Tuesday and the Wednesday and
 * Thursday after it, with how the pages write them.
 */
const tuesday = localDate(
  firstDateAt(Date.now() + 30 * 86_400_000, 0, 0, (date) => weekdayOf(date) === 2),
  JST,
);
const [wednesday, thursday] = [addDays(tuesday, 1), addDays(tuesday, 2)];
const at = (date: string, hour: number) => new Date(jstAt(date, hour)).toISOString();
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const parts = (date: string) => date.split('-').map(Number) as [number, number, number];
/** As the Japanese page writes it: 2031年1月14日(火) 10:00 JST. */
const inJapanese = (date: string, weekday: string, time: string) => {
  const [y, m, d] = parts(date);
  return `${y}年${m}月${d}日(${weekday}) ${time} JST`;
};
/** As the English page writes it: Wed, 15 Jan 2031, 14:00 GMT+9. */
const inEnglish = (date: string, weekday: string, time: string) => {
  const [y, m, d] = parts(date);
  return `${weekday}, ${d} ${MONTHS[m - 1]} ${y}, ${time} GMT+9`;
};

/** The calendar invite attached to an email (nodemailer's icalEvent: a text/calendar part). */
function inviteIn(email: ReceivedEmail) {
  const calendar = email.mail.attachments.find(
    (a) => a.contentType.startsWith('text/calendar') || a.contentType === 'application/ics',
  );
  if (!calendar) throw new Error(`no calendar invite in "${email.subject}"`);
  return parseInvite(calendar.content.toString('utf8'));
}

describe('kickoff scheduling: proposal page, invites, changes and cancellation', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('host and talent pick the same slot on their pages; everyone gets a REQUEST invite; a move and a cancel follow with growing SEQUENCE', async () => {
    const match = await stack.createMatch();
    const slots = [
      { startsAt: at(tuesday, 10), durationMinutes: 60 },
      { startsAt: at(wednesday, 14), durationMinutes: 90 },
    ];
    expect(
      (
        await stack.api.request('POST', `/matches/${match.id}/kickoff/proposals`, {
          slots,
          location: 'https://meet.example.jp/k',
        })
      ).status,
    ).toBe(200);

    const proposals = await stack.smtp.waitFor(2, {
      filter: (e) => template(e) === 'kickoff-proposal' && [match.host.email, match.talent.email].includes(e.to),
    });
    const hostLink = stack.linkIn(
      proposals.find((e) => e.to === match.host.email)!,
      'kickoff',
    );
    const talentLink = stack.linkIn(
      proposals.find((e) => e.to === match.talent.email)!,
      'kickoff',
    );
    await eventually(
      async () =>
        (await stack.database.db.match.findUniqueOrThrow({ where: { id: match.id } })).kickoffStatus === 'proposed',
    );

    const hostPage = await stack.api.request('GET', hostLink);
    expect(hostPage.status).toBe(200);
    expect(hostPage.text).toContain('キックオフミーティングの日程');
    expect(hostPage.text).toContain(inJapanese(tuesday, '火', '10:00'));
    const talentPage = await stack.api.request('GET', talentLink);
    expect(talentPage.text).toContain(inEnglish(wednesday, 'Wed', '14:00'));
    expect(talentPage.text).toContain('None of these work');

    // No choice: the page says so (400) and nothing reaches the workflow.
    expect((await postChoice(stack, hostLink, {})).status).toBe(400);
    expect((await postChoice(stack, hostLink, { choice: '1', note: '午後が助かります' })).status).toBe(200);
    expect((await stack.state(match.id)).kickoff).toMatchObject({
      status: 'proposed',
      responses: { host: { choice: 1, note: '午後が助かります' } },
    });
    expect((await postChoice(stack, talentLink, { choice: '1' })).status).toBe(200);
    expect((await stack.state(match.id)).kickoff).toMatchObject({
      status: 'scheduled',
      scheduled: { startsAt: slots[1]!.startsAt, sequence: 1 },
    });

    const confirmed = await stack.smtp.waitFor(3, {
      filter: (e) => template(e) === 'kickoff-confirmed' && e.mail.text!.includes(match.title),
    });
    expect(confirmed.map((e) => e.to).sort()).toEqual(
      [match.coordinator.email, match.host.email, match.talent.email].sort(),
    );
    const first = inviteIn(confirmed[0]!);
    expect(first).toMatchObject({
      method: 'REQUEST',
      sequence: 1,
      startLocal: `${wednesday}T14:00:00`,
      tzid: 'Asia/Tokyo',
    });
    expect(first.organizer).toBe(`mailto:${match.coordinator.email}`);
    expect(first.attendees.map((a) => a.toLowerCase()).sort()).toEqual(
      [`mailto:${match.host.email}`, `mailto:${match.talent.email}`].sort(),
    );

    // The old link now says the kickoff is scheduled.
    expect((await stack.api.request('GET', hostLink)).text).toContain('キックオフの日程は決まっています');

    // The coordinator moves it: same UID, SEQUENCE 2.
    expect(
      (
        await stack.api.request('POST', `/matches/${match.id}/kickoff/schedule`, {
          startsAt: `${thursday}T06:00:00+00:00`, // 15:00 JST
          durationMinutes: 60,
        })
      ).status,
    ).toBe(200);
    const changed = await stack.smtp.waitFor(3, {
      filter: (e) => template(e) === 'kickoff-changed' && e.mail.text!.includes(match.title),
    });
    expect(inviteIn(changed[0]!)).toMatchObject({
      method: 'REQUEST',
      uid: first.uid,
      sequence: 2,
      startLocal: `${thursday}T15:00:00`,
    });

    // And cancels it: METHOD:CANCEL, SEQUENCE 3.
    expect(
      (await stack.api.request('POST', `/matches/${match.id}/kickoff/cancel`, { reason: '受入企業の都合' })).status,
    ).toBe(200);
    const cancelled = await stack.smtp.waitFor(3, {
      filter: (e) => template(e) === 'kickoff-cancelled' && e.mail.text!.includes(match.title),
    });
    expect(inviteIn(cancelled[0]!)).toMatchObject({
      method: 'CANCEL',
      uid: first.uid,
      sequence: 3,
      status: 'CANCELLED',
    });

    // A new proposal replaces the old links.
    await stack.api.request('POST', `/matches/${match.id}/kickoff/proposals`, { slots: [slots[0]] });
    await eventually(
      async () => (await stack.database.db.match.findUniqueOrThrow({ where: { id: match.id } })).kickoffProposal === 2,
    );
    const stale = await stack.api.request('GET', talentLink);
    expect(stale.status).toBe(410);
    expect(stale.text).toContain('These times have been replaced');
  });

  it('turns the workflow’s rejections into 409/422 with its reason, and validation errors into 400', async () => {
    const match = await stack.createMatch();
    const held = await stack.api.request('POST', `/matches/${match.id}/kickoff/record`, { held: true });
    expect(held.status).toBe(409);
    expect(held.body).toMatchObject({
      status: 409,
      detail: 'the kickoff cannot be recorded: it is unscheduled, not scheduled',
    });

    const past = await stack.api.request('POST', `/matches/${match.id}/kickoff/schedule`, {
      startsAt: '2020-01-01T00:00:00Z',
    });
    expect(past.status).toBe(422);
    expect(past.body.detail).toContain('not in the future');

    const noTask = await stack.api.request('POST', `/matches/${match.id}/tasks/nope/done`, {});
    expect(noTask.status).toBe(422);

    const bad = await stack.api.request('POST', `/matches/${match.id}/end-early`, { reason: 'bored' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('reason');

    expect((await stack.api.request('POST', '/matches/no-such/pause', { reason: 'x' })).status).toBe(404);
  });

  it('shows a slot that has passed as passed, and asks again instead of sending it to the workflow', async () => {
    const match = await stack.createMatch();
    const soon = new Date(Date.now() + 2500).toISOString();
    const slots = [
      { startsAt: soon, durationMinutes: 30 },
      { startsAt: at(wednesday, 14), durationMinutes: 60 },
    ];
    expect((await stack.api.request('POST', `/matches/${match.id}/kickoff/proposals`, { slots })).status).toBe(200);
    const [proposal] = await stack.smtp.waitFor(1, {
      filter: (e) => template(e) === 'kickoff-proposal' && e.to === match.host.email,
    });
    const hostLink = stack.linkIn(proposal!, 'kickoff');
    await eventually(
      async () =>
        (await stack.database.db.match.findUniqueOrThrow({ where: { id: match.id } })).kickoffStatus === 'proposed',
    );
    await new Promise((r) => setTimeout(r, 3000));

    const page = await stack.api.request('GET', hostLink);
    expect(page.text).toMatch(/<input type="radio" name="choice" value="0" disabled required><span>[^<]*終了<\/span>/);
    expect(page.text).toMatch(/<input type="radio" name="choice" value="1" required>/);
    const refused = await postChoice(stack, hostLink, { choice: '0', note: '午前で' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('この日時は過ぎています');
    expect(refused.text).toContain('午前で'); // what they wrote is kept
    expect((await stack.state(match.id)).kickoff.responses).toEqual({});
    expect((await postChoice(stack, hostLink, { choice: '1' })).status).toBe(200);
    expect((await stack.state(match.id)).kickoff.responses.host).toMatchObject({ choice: 1 });
  });

  it('says a kickoff link expired in kickoff words, and a mangled link is an invalid link', async () => {
    const match = await stack.createMatch();
    const expired = (respondent: 'host' | 'talent') =>
      `/kickoff/${signLink(SIGNING_SECRET, { kind: 'kickoff', matchId: match.id, n: 1, respondent, expiresAt: Date.now() - 1000 })}`;
    const host = await stack.api.request('GET', expired('host'));
    expect(host.status).toBe(410);
    expect(host.text).toContain('このリンクの有効期限が切れています');
    expect(host.text).toContain('キックオフの日程調整の回答期間は終了しています');
    expect(host.text).not.toContain('この回の回答期間'); // the check-in wording
    const talent = await stack.api.request('GET', expired('talent'));
    expect(talent.status).toBe(410);
    expect(talent.text).toContain('The time to answer these kickoff times is over');
    expect(talent.text).not.toContain('check-in');

    const mangled = await stack.api.request('GET', '/kickoff/%ZZ');
    expect(mangled.status).toBe(404);
    expect(mangled.text).toContain('このリンクは無効です');
    const english = await stack.api.request('GET', '/kickoff/%E0%A4%A', undefined, { 'accept-language': 'en' });
    expect(english.status).toBe(404);
    expect(english.text).toContain('This link is not valid');
  });

  it('answers 503 (page and API) when no worker takes the action in time, instead of waiting forever', async () => {
    // An API whose matches start on a task queue no worker polls: their workflows never run an update.
    const stalled = await serve(
      createApp({ ...stack.deps, taskQueue: unique('nobody-listens'), temporalDeadlineMs: 1000 }),
      { headers: stack.adminHeaders },
    );
    const body = matchRequest(stack.programId);
    const id = matchIdFor(stack.programId, body.id);
    try {
      expect((await stalled.request('POST', '/matches', body)).status).toBe(201);
      await stack.database.db.match.update({
        where: { id },
        data: {
          kickoffStatus: 'proposed',
          kickoffProposal: 1,
          kickoffSlots: [{ startsAt: at(tuesday, 10), durationMinutes: 60 }],
        },
      });
      const link = `/kickoff/${signLink(SIGNING_SECRET, { kind: 'kickoff', matchId: id, n: 1, respondent: 'host', expiresAt: Date.now() + 60_000 })}`;

      let started = Date.now();
      const page = await postChoice(stack, link, { choice: '0' }, stalled.url);
      expect(page.status).toBe(503);
      // Not taken: said so, with the choice kept in the form to send again.
      expect(page.text).toContain('回答はまだ保存されていません');
      expect(page.text).toContain('<input type="hidden" name="choice" value="0">');
      expect(Date.now() - started).toBeLessThan(5000);

      started = Date.now();
      const api = await stalled.request('POST', `/matches/${id}/pause`, { reason: '繁忙期' });
      expect(api.status).toBe(503);
      expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(api.body).toMatchObject({ status: 503, type: '/docs#problem-unavailable' });
      expect(api.body.detail).toContain('Temporal');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await stalled.close();
      await stack.env.client.workflow
        .getHandle(matchWorkflowId(id))
        .terminate('test done')
        .catch(() => undefined);
    }
  });
});
