/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createSignInLink } from '../../api/workspace/sessions';
import { PROJECT_ROOT } from '../../dev/env';
import { eventually } from '../support/eventually';
import { ALWAYS_SEND, escalationRow, matchDates, matchRequest, seedMatch } from '../support/fixtures';
import { createDevStack, type DevStack } from '../support/stack';

/**
 * The coordinator's workspace in real Chromium against the real stack (Temporal dev server, API, Postgres, SMTP):
 * sign in from the email, triage an escalation the workflow raised, propose a kickoff and see it confirmed when host
 * and talent pick, record a note. Screenshots at 360 px and 1280 px, in Japanese and English.
 */
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 900 };
const COORDINATOR = { name: '鈴木 一郎', email: 'suzuki.workspace@npo.example.jp', locale: 'ja' as const };

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** The page fits its screen: no sideways scrolling. */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SCREENSHOTS, `workspace-${name}.png`), fullPage: true });

/** A `datetime-local` value `days` from now at `hour`:00 in Japan. */
function jstInput(days: number, hour: number): string {
  const date = new Date(Date.now() + days * 86_400_000 + 9 * 3_600_000).toISOString().slice(0, 10);
  return `${date}T${String(hour).padStart(2, '0')}:00`;
}

describe('the coordinator’s workspace in real Chromium', () => {
  let stack: DevStack;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [stack, browser] = await Promise.all([
      createDevStack({
        // Rounds every 4 s, each closed 3 s after it opens: two check-ins nobody answers raise a real escalation within
        // seconds (the risk model escalates a match neither side answers twice in a row).
        playbook: {
          ...ALWAYS_SEND,
          kickoff: { deadline: '7d', reminderBefore: '1s' },
          checkins: {
            cadence: '4s',
            firstAfterKickoff: '1s',
            reminderAfter: '2s',
            closeAfter: '3s',
            extraQuestions: [],
          },
        },
      }),
      launch(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A browser already signed in as the coordinator (a link made directly, then its page's button). */
  async function signedIn(
    viewport: typeof PHONE,
    locale: 'ja-JP' | 'en-GB',
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport, locale });
    const page = await context.newPage();
    const token = await createSignInLink(stack.deps, COORDINATOR.email);
    await page.goto(`${stack.api.url}/workspace/sign-in/${token}`);
    await Promise.all([page.waitForURL(`${stack.api.url}/workspace`), page.getByRole('button').last().click()]);
    return { context, page };
  }

  it('a coordinator signs in from the email on a phone, in Japanese, and finds what needs them today', async () => {
    await stack.createMatch({ coordinator: COORDINATOR, title: '老舗旅館の予約サイト刷新' });
    const context = await browser.newContext({ viewport: PHONE, locale: 'ja-JP' });
    const page = await context.newPage();
    await page.goto(`${stack.api.url}/`);
    expect(page.url()).toBe(`${stack.api.url}/workspace/sign-in`);
    expect(await page.locator('h1').textContent()).toBe('ワークスペースにサインイン');
    await shot(page, 'sign-in-ja-360');
    await page.getByLabel('メールアドレス').fill(COORDINATOR.email);
    await page.getByRole('button', { name: 'サインイン用リンクを送る' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('メールをご確認ください');

    const [email] = await stack.smtp.waitFor(1, {
      filter: (e) => e.to === COORDINATOR.email && e.subject.includes('サインイン'),
    });
    await page.setContent(String(email!.mail.html));
    await shot(page, 'email-sign-in-ja-360');
    const link = await page.getByRole('link', { name: 'サインインする' }).getAttribute('href');
    await page.goto(link!);
    expect(await page.locator('h1').textContent()).toBe('サインインしますか？');
    await page.getByRole('button', { name: 'サインインする' }).click();
    await page.waitForURL(`${stack.api.url}/workspace`);
    expect(await page.locator('h1').textContent()).toBe('今日やること');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await expect(page.getByRole('heading', { name: /日程調整が必要なキックオフ/ }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('老舗旅館の予約サイト刷新').first().isVisible()).resolves.toBe(true);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'today-ja-360');
    await context.close();
  });

  it('triages an escalation the workflow raised: acknowledge, snooze, then resolve with a note', async () => {
    const match = await stack.createMatch({ coordinator: COORDINATOR, title: 'EC 販路開拓（未回答）' });
    await stack.openFirstCheckin(match.id);
    // Nobody answers two rounds in a row; the workflow escalates the silence.
    const escalation = await eventually(
      async () =>
        (await stack.database.db.escalation.findFirst({ where: { matchId: match.id, type: 'rounds_missed' } }))!,
      { timeoutMs: 30_000 },
    );
    const { context, page } = await signedIn(DESKTOP, 'ja-JP');
    await page.goto(`${stack.api.url}/workspace`);
    // Ids hold a colon (`<program>:<reference>`), so the card is found by its id attribute, not a `#` selector.
    const cardOf = `[id="esc-${escalation.id}"]`;
    const card = page.locator(cardOf);
    // The cause in words, and the reason with its numbers (not the evidence's raw shape).
    await expect(card.textContent()).resolves.toContain('どちらもチェックインに未回答');
    await expect(card.textContent()).resolves.toContain(
      '直近2回のチェックインに、受入事業者・人材のどちらも回答していません',
    );
    await expect(card.textContent()).resolves.not.toContain('rounds_missed');
    await shot(page, 'today-ja-1280');
    await card.getByRole('button', { name: '対応を始める（確認）' }).click();
    await expect(page.locator('#notice').textContent()).resolves.toContain('エスカレーションの対応を始めました');
    await expect(page.locator(cardOf).textContent()).resolves.toContain('対応中');
    // Put off until the time the form offers, with a reason; it stays on Today.
    await page.locator(`${cardOf} summary`, { hasText: '保留する' }).click();
    await page.locator(cardOf).getByLabel('理由（必須）').fill('来週の定例で確認する');
    await page.locator(cardOf).getByRole('button', { name: '保留する' }).click();
    await expect(page.locator('#notice').textContent()).resolves.toContain('エスカレーションを保留にしました。');
    expect(await page.locator(cardOf).count()).toBe(1);
    expect(await stack.database.db.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).toMatchObject({
      status: 'snoozed',
      snoozeReason: '来週の定例で確認する',
    });

    await page.locator(`${cardOf} summary`, { hasText: '解決にする' }).click();
    await page.locator(cardOf).getByLabel('対応の内容（必須）').fill('お二人に電話で確認。次回から回答するとのこと。');
    await page.locator(cardOf).getByRole('button', { name: '解決にする' }).click();
    await expect(page.locator('#notice').textContent()).resolves.toContain('解決にしました');
    expect(await page.locator(cardOf).count()).toBe(0);
    const stored = await stack.database.db.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(stored).toMatchObject({ status: 'resolved', resolution: 'お二人に電話で確認。次回から回答するとのこと。' });
    await context.close();
  });

  it('proposes a kickoff, sees it confirmed when host and talent pick, is told in words what cannot be done yet, cancels it', async () => {
    const match = await stack.createMatch({ coordinator: COORDINATOR, title: '地域商社の新商品開発' });
    const { context, page } = await signedIn(PHONE, 'ja-JP');
    await page.goto(`${stack.api.url}/workspace/matches/${match.id}`);
    await page.getByLabel('候補 1').fill(jstInput(5, 10));
    await page.getByLabel('候補 2').fill(jstInput(6, 14));
    await page.getByLabel('候補 3').fill(jstInput(7, 16));
    await page.getByLabel('場所・URL（任意）').fill('https://meet.example.jp/kickoff');
    await page.getByRole('button', { name: 'キックオフの候補を送る' }).last().click();
    await expect(page.locator('#notice').textContent()).resolves.toContain('キックオフの候補を送りました');
    await expect(page.locator('#kickoff').textContent()).resolves.toContain('候補を提示中');
    expect(await fitsWidth(page)).toBe(true);

    // Host and talent each pick the first slot on their own page, from their email.
    for (const who of ['host', 'talent'] as const) {
      const to = match[who].email;
      const [proposal] = await stack.smtp.waitFor(1, {
        filter: (e) => e.to === to && e.mail.headers.get('x-bansou-template') === 'kickoff-proposal',
      });
      const answer = await context.newPage();
      await answer.goto(`${stack.api.url}${stack.linkIn(proposal!, 'kickoff')}`);
      await answer.locator('input[name="choice"][value="0"]').check();
      await answer.locator('button[type="submit"]').click();
      await answer.waitForLoadState('domcontentloaded');
      await answer.close();
    }
    await eventually(
      async () =>
        (await stack.database.db.match.findUniqueOrThrow({ where: { id: match.id } })).kickoffStatus === 'scheduled',
    );
    await page.reload();
    await expect(page.locator('#kickoff').textContent()).resolves.toContain('日程確定');
    await expect(page.locator('#kickoff').textContent()).resolves.toContain('受入事業者');
    await shot(page, 'match-ja-360');

    // Recording it held before it has started: the workflow says no, and the page says why.
    await page.getByRole('button', { name: '保存する' }).click();
    await expect(page.locator('#notice').textContent()).resolves.toContain('この操作はできませんでした');
    await expect(page.locator('#notice').textContent()).resolves.toContain('キックオフの開始時刻がまだ来ていません');

    // The date no longer suits the host: the kickoff is cancelled, with the reason, and is to be arranged again.
    await page.locator('#kickoff summary', { hasText: 'キックオフを取り消す' }).click();
    await page.locator('#kcreason').fill('受入事業者の都合が悪くなったため');
    await page.getByRole('button', { name: 'キックオフを取り消す' }).click();
    await expect(page.locator('#notice').textContent()).resolves.toContain('キックオフを取り消しました。');
    await eventually(
      async () =>
        (await stack.database.db.match.findUniqueOrThrow({ where: { id: match.id } })).kickoffStatus !== 'scheduled',
    );
    await context.close();
  });

  it('records a note with a sentiment; it shows in the notes and on the timeline (English, 1280 px)', async () => {
    const match = await stack.createMatch({ coordinator: COORDINATOR, title: 'Tourism DX' });
    await stack.database.db.account.upsert({
      where: { email: COORDINATOR.email },
      create: { email: COORDINATOR.email, locale: 'en' },
      update: { locale: 'en' },
    });
    try {
      const { context, page } = await signedIn(DESKTOP, 'en-GB');
      await page.goto(`${stack.api.url}/workspace/matches/${match.id}`);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await page.getByLabel('Note', { exact: true }).fill('First call with both: the host wants weekly updates.');
      await page.getByLabel('How the match looks to you (1–5, optional)').selectOption('4');
      await page.getByRole('button', { name: 'Record the note' }).click();
      await expect(page.locator('#notice').textContent()).resolves.toContain('The note is recorded.');
      await expect(page.locator('#notes').textContent()).resolves.toContain('the host wants weekly updates');
      await expect(page.locator('#timeline').textContent()).resolves.toContain('Note');
      await shot(page, 'match-en-1280');
      await page.goto(`${stack.api.url}/workspace/matches`);
      await shot(page, 'matches-en-1280');
      await page.goto(`${stack.api.url}/workspace`);
      await shot(page, 'today-en-1280');
      await context.close();
      const phone = await signedIn(PHONE, 'en-GB');
      await phone.page.goto(`${stack.api.url}/workspace/matches`);
      expect(await fitsWidth(phone.page)).toBe(true);
      await shot(phone.page, 'matches-en-360');
      await phone.page.goto(`${stack.api.url}/workspace/matches/${match.id}`);
      expect(await fitsWidth(phone.page)).toBe(true);
      await shot(phone.page, 'match-en-360');
      await phone.context.close();
    } finally {
      await stack.database.db.account.update({ where: { email: COORDINATOR.email }, data: { locale: null } });
    }
  });

  it('completes the other actions from a phone in Japanese: task, contract, pause, resume, extend, end early, cancel, reassign, complete', async () => {
    // Starting today, so its first coordinator task is due at once.
    const match = await stack.createMatch({
      coordinator: COORDINATOR,
      title: '酒蔵の海外販路',
      ...matchDates({ inDays: 0 }),
    });
    const db = stack.database.db;
    const task = await eventually(async () => db.coordinatorTask.findFirst({ where: { matchId: match.id } }), {
      timeoutMs: 30_000,
    });
    const { context, page } = await signedIn(PHONE, 'ja-JP');
    const notice = () => page.locator('#notice').textContent();
    await page.goto(`${stack.api.url}/workspace/matches/${match.id}`);

    await page.locator(`[id="task-${task!.id}"]`).getByRole('button', { name: '完了にする' }).click();
    await expect(notice()).resolves.toContain('タスクを完了にしました。');
    const contract = page.locator(`[id="contract-${match.id}-outsourcing_contract"]`);
    await contract.getByLabel('状況を変える').selectOption('submitted');
    await contract.getByRole('button', { name: '状況を変える' }).click();
    await expect(notice()).resolves.toContain('契約書類の状況を更新しました。');

    await page.locator('#pause summary').click();
    await page.getByLabel('理由（必須）').first().fill('受入事業者の繁忙期のため');
    await page.locator('#pause').getByRole('button', { name: '一時停止する' }).click();
    await expect(notice()).resolves.toContain('一時停止しました。');
    await page.getByRole('button', { name: '再開する' }).click();
    await expect(notice()).resolves.toContain('再開しました。');
    const later = new Date(`${match.endDate}T00:00:00Z`);
    later.setUTCMonth(later.getUTCMonth() + 1);
    await page.locator('#extend summary').click();
    await page.getByLabel('新しい終了日').fill(later.toISOString().slice(0, 10));
    await page.locator('#extend').getByRole('button', { name: '終了日を延ばす' }).click();
    await expect(notice()).resolves.toContain('終了日を延ばしました。');
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'match-actions-ja-360');
    await page.locator('#end-early summary').click();
    await page.locator('#end-early').getByLabel('理由', { exact: true }).selectOption({ index: 0 });
    await page.locator('#end-early').getByRole('button', { name: '途中終了にする' }).click();
    await expect(notice()).resolves.toContain('途中終了として記録しました。');
    const ended = await db.match.findUniqueOrThrow({ where: { id: match.id } });
    expect(ended).toMatchObject({ status: 'terminated_early', endDate: later });
    expect(await db.coordinatorTask.findUniqueOrThrow({ where: { id: task!.id } })).toMatchObject({ status: 'done' });
    expect(
      await db.contractDocument.findFirstOrThrow({ where: { matchId: match.id, type: 'outsourcing_contract' } }),
    ).toMatchObject({ status: 'submitted' });

    const notStarted = await stack.createMatch({ coordinator: COORDINATOR, title: '商店街の EC' });
    await page.goto(`${stack.api.url}/workspace/matches/${notStarted.id}`);
    await page.locator('#cancel summary').click();
    await page.locator('#cancel').getByLabel('理由（必須）').fill('受入事業者の都合により見送り');
    await page.locator('#cancel').getByRole('button', { name: '開始前に中止する' }).click();
    await expect(notice()).resolves.toContain('中止しました。');

    const handedOver = await stack.createMatch({ coordinator: COORDINATOR, title: '観光協会の DX' });
    await page.goto(`${stack.api.url}/workspace/matches/${handedOver.id}`);
    await page.locator('#reassign summary').click();
    await page.getByLabel('新しいコーディネーターの名前').fill('高橋 美咲');
    await page.getByLabel('新しいコーディネーターのメールアドレス').fill('takahashi.workspace@npo.example.jp');
    await page.locator('#reassign').getByRole('button', { name: '担当コーディネーターを変える' }).click();
    await expect(notice()).resolves.toContain('担当コーディネーターを変えました。');
    const statuses = await eventually(async () => {
      const rows = await db.match.findMany({
        where: { id: { in: [notStarted.id, handedOver.id] } },
        include: { coordinator: true },
      });
      return rows.find((r) => r.id === notStarted.id)?.status === 'cancelled' ? rows : null;
    });
    expect(statuses!.find((r) => r.id === handedOver.id)!.coordinator.email).toBe('takahashi.workspace@npo.example.jp');

    // Ten days from its end, a match is in its wrap-up: it can be recorded as completed.
    const nearlyDone = await stack.createMatch({
      coordinator: COORDINATOR,
      title: '農園の直販サイト',
      ...matchDates({ inDays: 0, days: 10 }),
    });
    await eventually(
      async () => (await db.match.findUniqueOrThrow({ where: { id: nearlyDone.id } })).phase === 'wrap_up',
      { timeoutMs: 30_000 },
    );
    await page.goto(`${stack.api.url}/workspace/matches/${nearlyDone.id}`);
    await page.locator('#complete summary').click();
    await page.locator('#complete').getByLabel('メモ（任意）').fill('成果物を納品し、双方が合意');
    await page.locator('#complete').getByRole('button', { name: '完遂として記録する' }).click();
    await expect(notice()).resolves.toContain('完遂として記録しました。');
    expect(await db.match.findUniqueOrThrow({ where: { id: nearlyDone.id } })).toMatchObject({ status: 'completed' });
    await context.close();
  });

  it('shows a program month by month and by cohort: health, answers, escalations, days to kickoff, health bands, as charts with their figures', async () => {
    // Three months of a program's read model, the latest ending last month (so the page has them at any date).
    const month = (ago: number) => {
      const d = new Date(Date.now() + 9 * 3_600_000);
      d.setUTCDate(1);
      d.setUTCMonth(d.getUTCMonth() - ago);
      return d.toISOString().slice(0, 7);
    };
    const inMonth = (ago: number) => new Date(`${month(ago)}-10T03:00:00Z`);
    const db = stack.database.db;
    // Three matches of a cohort three months back: two running (good, at risk) and one completed; kickoffs held 4, 10
    // and 6 days after the start.
    const cohort = { startDate: `${month(3)}-01`, endDate: `${month(-3)}-01` };
    const a = await seedMatch(db, matchRequest(stack.programId, { coordinator: COORDINATOR, ...cohort }));
    const b = await seedMatch(db, matchRequest(stack.programId, cohort));
    const c = await seedMatch(db, matchRequest(stack.programId, cohort));
    const heldAfter = (days: number) => new Date(`${month(3)}-${String(1 + days).padStart(2, '0')}T00:00:00+09:00`);
    await db.match.update({ where: { id: a.id }, data: { healthBand: 'green', kickoffHeldAt: heldAfter(4) } });
    await db.match.update({ where: { id: b.id }, data: { healthBand: 'red', kickoffHeldAt: heldAfter(10) } });
    await db.match.update({
      where: { id: c.id },
      data: { status: 'completed', healthBand: 'amber', kickoffHeldAt: heldAfter(6) },
    });
    await db.healthSample.createMany({
      data: [
        { matchId: a.id, at: inMonth(3), score: 80, band: 'green' },
        { matchId: b.id, at: inMonth(3), score: 60, band: 'amber' },
        { matchId: a.id, at: inMonth(2), score: 70, band: 'green' },
        { matchId: b.id, at: inMonth(2), score: 30, band: 'red' },
      ],
    });
    const round = (matchId: string, answered: string[]) => ({
      matchId,
      round: 1,
      kind: 'regular',
      status: 'closed',
      openedAt: inMonth(3),
      closeAt: inMonth(3),
      expiresAt: inMonth(3),
      answered,
    });
    await db.checkinRound.createMany({ data: [round(a.id, ['host', 'talent']), round(b.id, ['host'])] });
    await db.escalation.createMany({
      data: [escalationRow(b.id, { status: 'resolved', openedAt: inMonth(3), resolvedAt: inMonth(2) })],
    });

    const { context, page } = await signedIn(PHONE, 'ja-JP');
    await page.goto(`${stack.api.url}/workspace/programs/${encodeURIComponent(stack.programId)}`);
    const row = (chart: string, m: string) => page.locator(`#${chart} tbody tr`, { hasText: m }).textContent();
    await expect(page.locator('#trend-health figcaption').textContent()).resolves.toContain('健全度の推移');
    expect(await page.locator('#trend-health svg path').count()).toBe(1);
    await expect(row('trend-health', month(3))).resolves.toBe(`${month(3)}701 / 1 / 0`);
    await expect(row('trend-health', month(2))).resolves.toBe(`${month(2)}501 / 0 / 1`);
    await expect(row('trend-answers', month(3))).resolves.toBe(`${month(3)}2100.0%50.0%`);
    await expect(row('trend-escalations', month(3))).resolves.toBe(`${month(3)}10`);
    await expect(row('trend-escalations', month(2))).resolves.toBe(`${month(2)}01`);
    await expect(page.locator('#trend-cohorts svg').count()).resolves.toBe(1);
    // Days to kickoff and the running matches by health band, by cohort: the figures of GET /programs/:id/kpis.
    const kpis = await stack.api.request('GET', `/programs/${encodeURIComponent(stack.programId)}/kpis`);
    const figures = kpis.body.byCohort.find((f: { cohort: string }) => f.cohort === month(3));
    expect(figures).toMatchObject({
      medianDaysToKickoff: 6,
      kickoffsHeld: 3,
      active: 2,
      healthBands: { green: 1, amber: 0, red: 1, too_early: 0 },
    });
    await expect(page.getByRole('figure', { name: /キックオフまでの日数/ }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('table', { name: /キックオフまでの日数/ }).count()).resolves.toBe(1);
    await expect(row('trend-kickoff', month(3))).resolves.toBe(`${month(3)}63`);
    await expect(page.getByRole('figure', { name: /健全度の分布/ }).isVisible()).resolves.toBe(true);
    await expect(page.locator('#trend-bands thead').textContent()).resolves.toBe(
      'コホート良好注意要対応判定前計（件）',
    );
    await expect(row('trend-bands', month(3))).resolves.toBe(`${month(3)}10102`);
    // The chart is hidden from screen readers (the table speaks for it); each band has its own fill, not colour alone.
    expect(await page.locator('#trend-bands svg').getAttribute('aria-hidden')).toBe('true');
    const fills = await page
      .locator('#trend-bands svg > rect[class^="k-"]')
      .evaluateAll((rects) => rects.map((r) => `${r.getAttribute('class')} ${r.getAttribute('fill') ?? ''}`));
    expect(fills).toEqual(expect.arrayContaining(['k-good ', 'k-bad url(#bands-bad)']));
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'program-ja-360');
    await context.close();

    const desktop = await signedIn(DESKTOP, 'en-GB');
    await desktop.page.goto(`${stack.api.url}/workspace/programs/${encodeURIComponent(stack.programId)}?lang=en`);
    await expect(desktop.page.locator('#trend-health figcaption').textContent()).resolves.toContain('Health over time');
    await expect(desktop.page.locator('#trend-kickoff figcaption').textContent()).resolves.toContain(
      'Days to kickoff by cohort',
    );
    await expect(desktop.page.locator('#trend-bands thead').textContent()).resolves.toBe(
      'CohortGoodWatchAt riskToo earlyTotal',
    );
    await shot(desktop.page, 'program-en-1280');
    await desktop.context.close();
  });
});
