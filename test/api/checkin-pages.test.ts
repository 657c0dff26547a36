import { Client } from '@temporalio/client';
import { signLink } from '../../activities/links';
import { createApp } from '../../api/app';
import { deliverPendingAnswers } from '../../api/services/checkins';
import { createDatabase } from '../../prisma/client';
import { lazyConnection } from '../../temporal/client-connection';
import { eventually } from '../support/eventually';
import { freePort, serve } from '../support/http';
import { captureLog } from '../support/logs';
import { seedProgram } from '../support/fixtures';
import {
  COMPLETE_CHECKIN_FORM as complete,
  createDevStack,
  postCheckinForm as postForm,
  QUICK_PLAYBOOK,
  SIGNING_SECRET,
  type DevStack,
} from '../support/stack';

describe('check-in pages (dev server, real Postgres, real SMTP)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('renders the form in the respondent’s language, preselects a one-click value, saves first, then signals the workflow', async () => {
    const match = await stack.createMatch();
    const { host, talent } = await stack.openFirstCheckin(match.id);
    const hostLink = stack.linkIn(host, 'checkins');
    const talentLink = stack.linkIn(talent, 'checkins');

    // The host (ja) opens the one-click link for satisfaction 2: the page preselects it and saves nothing.
    const page = await stack.api.request('GET', `${hostLink}?satisfaction=2`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<html lang="ja">');
    expect(page.text).toContain('チェックイン（第1回）');
    expect(page.text).toContain('兼業人材の方には共有されず');
    expect(page.text).toMatch(/name="satisfaction" value="2" checked/);
    await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(0);

    // The talent (en) sees English and the other side's wording.
    const en = await stack.api.request('GET', talentLink);
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Does the way you work with the host fit');
    expect(en.text).toContain('not shared with the host');

    const saved = await postForm(stack, hostLink, {
      ...complete,
      satisfaction: '2',
      hoursSpent: '6.5',
      comment: 'ツールの使い方に慣れてきた',
      wantsCoordinator: 'yes',
    });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('ご回答ありがとうございました');
    const row = await stack.database.db.checkinAnswer.findUniqueOrThrow({
      where: { matchId_round_respondent: { matchId: match.id, round: 1, respondent: 'host' } },
    });
    expect(row.answers).toMatchObject({
      scores: { satisfaction: 2, priority: 5 },
      hoursSpent: 6.5,
      comment: 'ツールの使い方に慣れてきた',
      wantsCoordinator: true,
    });
    expect(row.signalledAt).not.toBeNull();
    await eventually(async () => {
      const s = await stack.state(match.id);
      expect(s.checkins.current?.answers.host?.answerId).toBe(row.id);
      return true;
    });

    // Answering again before the round closes updates the answer (and the page says it was answered).
    expect((await stack.api.request('GET', hostLink)).text).toContain('締め切りまでは内容を更新できます');
    expect((await postForm(stack, hostLink, { ...complete, satisfaction: '3' })).status).toBe(200);
    const updated = await stack.database.db.checkinAnswer.findUniqueOrThrow({ where: { id: row.id } });
    expect(updated.answers).toMatchObject({ scores: { satisfaction: 3 }, wantsCoordinator: false });
    await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(1);

    // The talent answers too: the round closes at once; after that the page says so and shows only the talent's answers.
    expect((await postForm(stack, talentLink, { ...complete, comment: 'talent-only comment' })).status).toBe(200);
    await eventually(
      async () =>
        (
          await stack.database.db.checkinRound.findUniqueOrThrow({
            where: { matchId_round: { matchId: match.id, round: 1 } },
          })
        ).status === 'closed',
    );
    const closed = await stack.api.request('GET', talentLink);
    expect(closed.status).toBe(200);
    expect(closed.text).toContain('This check-in has closed');
    expect(closed.text).toContain('talent-only comment');
    expect(closed.text).not.toContain('ツールの使い方'); // never the other side's answers
    const late = await postForm(stack, talentLink, complete);
    expect(late.status).toBe(409);
    expect(late.text).toContain('This check-in has closed');

    // The coordinator sees both answers through the API.
    const detail = await stack.api.request('GET', `/matches/${match.id}`);
    expect(detail.body.checkins).toEqual([
      expect.objectContaining({
        round: 1,
        status: 'closed',
        host: expect.objectContaining({ scores: expect.objectContaining({ satisfaction: 3 }), delivered: true }),
        talent: expect.objectContaining({ comment: 'talent-only comment', delivered: true }),
      }),
    ]);
  });

  it('answers forged, tampered, expired and wrong-kind links with a friendly page, never a 500 or a hint', async () => {
    const match = await stack.createMatch();
    const { host } = await stack.openFirstCheckin(match.id);
    const link = stack.linkIn(host, 'checkins');
    const token = link.split('/').pop()!;
    const [payload, mac] = token.split('.') as [string, string];

    const forged = await stack.api.request(
      'GET',
      `/checkins/${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`,
    );
    expect(forged.status).toBe(404);
    expect(forged.text).toContain('このリンクは無効です');
    expect(forged.text).not.toContain(match.id);

    // Another round of the same match, with the same signature: refused, since the signature covers the round.
    const tampered = Buffer.from(payload, 'base64url').toString('utf8').replace('~1~', '~2~');
    expect(
      (await stack.api.request('GET', `/checkins/${Buffer.from(tampered).toString('base64url')}.${mac}`)).status,
    ).toBe(404);

    const english = await stack.api.request('GET', '/checkins/not-a-token', undefined, {
      'accept-language': 'en-US,en;q=0.9',
    });
    expect(english.status).toBe(404);
    expect(english.text).toContain('This link is not valid');

    const expired = signLink(SIGNING_SECRET, {
      kind: 'checkin',
      matchId: match.id,
      n: 1,
      respondent: 'talent',
      expiresAt: Date.now() - 1000,
    });
    const gone = await stack.api.request('GET', `/checkins/${expired}`);
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('This link has expired'); // the talent's language

    const kickoffLink = signLink(SIGNING_SECRET, {
      kind: 'kickoff',
      matchId: match.id,
      n: 1,
      respondent: 'host',
      expiresAt: Date.now() + 60_000,
    });
    expect((await stack.api.request('GET', `/checkins/${kickoffLink}`)).status).toBe(404);
    const unknownMatch = signLink(SIGNING_SECRET, {
      kind: 'checkin',
      matchId: 'no-such-match',
      n: 1,
      respondent: 'host',
      expiresAt: Date.now() + 60_000,
    });
    expect((await stack.api.request('GET', `/checkins/${unknownMatch}`)).status).toBe(404);
    // A post from another site is refused even with a valid link and CSRF value.
    expect((await postForm(stack, link, complete, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(0);
  });

  it('lists every missing answer on a 400 page, refuses posts without the page’s CSRF value, sets security headers', async () => {
    const match = await stack.createMatch();
    const { host } = await stack.openFirstCheckin(match.id);
    const link = stack.linkIn(host, 'checkins');

    const partial = await postForm(stack, link, { satisfaction: '4', hoursSpent: 'lots' });
    expect(partial.status).toBe(400);
    expect(partial.text).toContain('入力内容を確認してください');
    for (const field of [
      'working_style',
      'remote_tools',
      'priority',
      'expectation',
      'task_clarity',
      'contract_admin',
      'hoursSpent',
    ]) {
      expect(partial.text).toContain(`href="#field-${field}"`);
    }
    expect(partial.text).toMatch(/name="satisfaction" value="4" checked/); // what was given is kept
    await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(0);

    const noCsrf = await fetch(`${stack.api.url}${link}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(complete).toString(),
    });
    expect(noCsrf.status).toBe(403);
    await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(0);

    const page = await stack.api.request('GET', link);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).not.toMatch(/<script/i);
  });

  it('keeps an answer when Temporal is unreachable and delivers it later', async () => {
    const match = await stack.createMatch();
    const { talent } = await stack.openFirstCheckin(match.id);
    const link = stack.linkIn(talent, 'checkins');

    // The same API, but its Temporal connection points at a port where nothing listens.
    const deadTemporal = new Client({ connection: lazyConnection({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const cut = await serve(createApp({ ...stack.deps, temporal: deadTemporal }), { headers: stack.adminHeaders });
    try {
      const res = await postForm(stack, link, complete, {}, cut.url);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Thank you for your answers');
    } finally {
      await cut.close();
      await deadTemporal.connection.close();
    }
    const row = await stack.database.db.checkinAnswer.findUniqueOrThrow({
      where: { matchId_round_respondent: { matchId: match.id, round: 1, respondent: 'talent' } },
    });
    expect(row.signalledAt).toBeNull();
    expect((await stack.state(match.id)).checkins.current?.answers.talent).toBeUndefined();

    // The relay delivers it once Temporal answers again.
    expect(await deliverPendingAnswers(stack.database.db, stack.env.client)).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await stack.state(match.id)).checkins.current?.answers.talent?.answerId === row.id);
    expect(
      (await stack.database.db.checkinAnswer.findUniqueOrThrow({ where: { id: row.id } })).signalledAt,
    ).not.toBeNull();
  });

  it('answers a mangled link, a missing asset and an oversized form with their own status, never a 500', async () => {
    // Percent-encoding cut off or mangled by a mail client: the friendly invalid-link page, in the browser's language.
    const cut = await stack.api.request('GET', '/checkins/%E0%A4%A');
    expect(cut.status).toBe(404);
    expect(cut.headers.get('content-type')).toMatch(/text\/html/);
    expect(cut.text).toContain('このリンクは無効です');
    const english = await stack.api.request('GET', '/checkins/%ZZ', undefined, { 'accept-language': 'en' });
    expect(english.status).toBe(404);
    expect(english.text).toContain('This link is not valid');

    // A missing stylesheet is a plain 404; the one that exists is served.
    const missing = await stack.api.request('GET', '/assets/nope.css');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await stack.api.request('GET', '/assets/page.css')).status).toBe(200);

    // Every field at its maxlength in Japanese (9 bytes a character once encoded) fits: here 9000 characters, ~81 kB.
    const program = await seedProgram(stack.database.db, undefined, undefined, {
      ...QUICK_PLAYBOOK,
      checkins: {
        ...QUICK_PLAYBOOK.checkins!,
        extraQuestions: [
          { id: 'sales', label: { ja: '販路の状況', en: 'Sales channels' }, kind: 'text' },
          { id: 'next', label: { ja: '次の一手', en: 'Next steps' }, kind: 'text' },
        ],
      },
    });
    const match = await stack.createMatch({ programId: program.id });
    const { host } = await stack.openFirstCheckin(match.id);
    const link = stack.linkIn(host, 'checkins');
    const full = await postForm(stack, link, {
      ...complete,
      comment: 'あ'.repeat(5000),
      extra_sales: 'い'.repeat(2000),
      extra_next: 'う'.repeat(2000),
    });
    expect(full.status).toBe(200);
    expect(full.text).toContain('ご回答ありがとうございました');
    const saved = await stack.database.db.checkinAnswer.findUniqueOrThrow({
      where: { matchId_round_respondent: { matchId: match.id, round: 1, respondent: 'host' } },
    });
    expect((saved.answers as { comment: string }).comment).toHaveLength(5000);

    // Far beyond what the form allows: 413 with a page that says what to do, in the browser's language.
    const huge = await postForm(stack, link, { ...complete, comment: 'あ'.repeat(30_000) });
    expect(huge.status).toBe(413);
    expect(huge.text).toContain('送信された内容が長すぎます');
    const hugeEn = await postForm(
      stack,
      link,
      { ...complete, comment: 'x'.repeat(300_000) },
      { 'accept-language': 'en' },
    );
    expect(hugeEn.status).toBe(413);
    expect(hugeEn.text).toContain('What you sent is too long');
  });

  it('never logs the signed part of a link, neither for a failed page nor for a request', async () => {
    const { log, lines, raw } = captureLog('api');
    // A real client for a Postgres that is not there: every page that reads the database fails.
    const failing = createDatabase(`postgresql://bansou@127.0.0.1:${await freePort()}/gone`, { poolSize: 1 });
    const broken = await serve(createApp({ ...stack.deps, db: failing, log }));
    const token = signLink(SIGNING_SECRET, {
      kind: 'checkin',
      matchId: 'any-match',
      n: 1,
      respondent: 'host',
      expiresAt: Date.now() + 60_000,
    });
    try {
      const failed = await broken.request('GET', `/checkins/${token}`);
      expect(failed.status).toBe(503);
      expect(failed.text).toContain('ただいま受け付けられません');
      expect((await broken.request('GET', `/CHECKINS/${token}`)).status).toBe(503); // routing ignores case
      expect((await broken.request('GET', '/kickoff/%E0%A4%A')).status).toBe(404);
    } finally {
      await broken.close();
      await failing.$disconnect();
    }
    await eventually(() => lines.filter((l) => l.msg === 'request').length === 3);
    const pageErrors = lines.filter((l) => l.msg === 'dependency unavailable');
    expect(pageErrors.map((l) => [l.level, l.path])).toEqual([
      ['warn', '/checkins/…'],
      ['warn', '/CHECKINS/…'],
    ]);
    // Each request's lines carry its id; the route is the declared one, never the link.
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.route, l.status])).toEqual([
      ['/checkins/:token', 503],
      ['/checkins/:token', 503],
      ['unmatched', 404],
    ]);
    expect(pageErrors.map((l) => l.requestId)).toEqual(requests.slice(0, 2).map((l) => l.requestId));
    const logged = raw.join('');
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.split('.')[1]!);
    expect(logged).not.toContain('%E0%A4%A');
  });

  it('rate-limits the pages', async () => {
    const limited = await serve(createApp({ ...stack.deps, pageRateLimit: 3 }));
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${limited.url}/checkins/whatever`)).status);
      expect(statuses).toEqual([404, 404, 404, 429]);
    } finally {
      await limited.close();
    }
  });
});
