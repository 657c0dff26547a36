import path from 'node:path';
import type { Browser } from 'playwright-core';
import { fitsWidth, launch, PHONE, pickWithKeyboard, SCREENSHOTS, submitWithEnter, tabTo } from '../support/browser';
import { eventually } from '../support/eventually';
import { createDevStack, type DevStack } from '../support/stack';

/**
 * Answering a check-in in real Chromium, the way people do: from the link in an email that arrived at a real SMTP
 * listener, on a 360 px phone screen, with the keyboard alone, once in Japanese and once in English.
 */
describe('check-in in real Chromium (360 px, keyboard only, ja and en)', () => {
  let stack: DevStack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([createDevStack(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('the host answers in Japanese from the one-click link in the email; the answer reaches Postgres and the workflow', async () => {
    const match = await stack.createMatch();
    const { host } = await stack.openFirstCheckin(match.id);

    // The rendered email, as the host sees it, and its one-click "4" for overall satisfaction.
    const context = await browser.newContext({ viewport: PHONE, locale: 'ja-JP' });
    const page = await context.newPage();
    await page.setContent(String(host.mail.html));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'email-checkin-request-ja.png'), fullPage: true });
    const oneClick = await page
      .locator('a', { hasText: /^\s*4\s*$/ })
      .first()
      .getAttribute('href');
    expect(oneClick).toMatch(new RegExp(`^${stack.deps.links.publicBaseUrl}/checkins/[^?]+\\?satisfaction=4$`));

    await page.goto(oneClick!);
    expect(await page.title()).toContain('チェックイン（第1回）');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await expect(page.locator('input[name="satisfaction"][value="4"]').isChecked()).resolves.toBe(true);
    await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(0); // not saved by a GET
    expect(await page.locator('fieldset > legend').count()).toBe(7);
    expect(await page.getByLabel('コーディネーターと話したい').count()).toBe(1);
    expect(await fitsWidth(page)).toBe(true);

    // Keyboard only, from the top: Tab reaches the satisfaction group on its preselected 4; the rest by arrows.
    await tabTo(page, 'input[name="satisfaction"][value="4"]');
    for (const value of [3, 4, 5, 2, 4, 5]) await pickWithKeyboard(page, value); // working_style … contract_admin
    await page.keyboard.press('Tab');
    await page.keyboard.type('8');
    await page.keyboard.press('Tab');
    await page.keyboard.type('リモート会議の時間が合わないことがある');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space'); // I would like to talk to the coordinator
    await page.screenshot({ path: path.join(SCREENSHOTS, 'checkin-form-ja.png'), fullPage: true });
    await page.keyboard.press('Tab');
    await submitWithEnter(page);
    await expect(page.locator('h1').textContent()).resolves.toBe('ご回答ありがとうございました');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'checkin-thanks-ja.png'), fullPage: true });

    const row = await stack.database.db.checkinAnswer.findUniqueOrThrow({
      where: { matchId_round_respondent: { matchId: match.id, round: 1, respondent: 'host' } },
    });
    expect(row.answers).toEqual({
      scores: {
        satisfaction: 4,
        working_style: 3,
        remote_tools: 4,
        priority: 5,
        expectation: 2,
        task_clarity: 4,
        contract_admin: 5,
      },
      hoursSpent: 8,
      comment: 'リモート会議の時間が合わないことがある',
      wantsCoordinator: true,
    });
    await eventually(
      async () => (await stack.state(match.id)).checkins.current?.answers.host?.answers.scores.expectation === 2,
    );
    await context.close();
  });

  it('the talent answers in English by keyboard; a missing answer is pointed out first', async () => {
    const match = await stack.createMatch();
    const { talent } = await stack.openFirstCheckin(match.id);
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-GB' });
    const page = await context.newPage();
    await page.setContent(String(talent.mail.html));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'email-checkin-request-en.png'), fullPage: true });
    const link = await page.locator('a[href*="/checkins/"]:not([href*="?"])').first().getAttribute('href');

    await page.goto(link!);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toContain('Check-in 1');
    expect(await fitsWidth(page)).toBe(true);

    // Everything but the last scale, then send: the page lists what is missing and keeps the rest.
    await tabTo(page, 'input[name="satisfaction"]');
    await page.keyboard.press('Space'); // 1 …
    for (let i = 1; i < 4; i++) await page.keyboard.press('ArrowRight'); // … 4
    for (const v of [4, 4, 3, 3, 4]) await pickWithKeyboard(page, v); // working_style … task_clarity
    await tabTo(page, '#hoursSpent'); // passes over the unanswered contract question
    await page.keyboard.type('3');
    await submitWithEnter(page);
    await expect(page.locator('.error-summary').textContent()).resolves.toContain('Please check your answers');
    await expect(page.locator('.error-summary a').allTextContents()).resolves.toEqual([
      expect.stringContaining('Any trouble with the contract or paperwork'),
    ]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'checkin-missing-en.png'), fullPage: true });
    await expect(page.locator('input[name="task_clarity"][value="4"]').isChecked()).resolves.toBe(true);

    // Follow the error link by keyboard to the missing question and answer it.
    await tabTo(page, '.error-summary a');
    await page.keyboard.press('Enter');
    await pickWithKeyboard(page, 4);
    await expect(page.locator('input[name="contract_admin"][value="4"]').isChecked()).resolves.toBe(true);
    await tabTo(page, 'button[type="submit"]');
    await submitWithEnter(page);
    await expect(page.locator('h1').textContent()).resolves.toBe('Thank you for your answers');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'checkin-thanks-en.png'), fullPage: true });

    const row = await stack.database.db.checkinAnswer.findUniqueOrThrow({
      where: { matchId_round_respondent: { matchId: match.id, round: 1, respondent: 'talent' } },
    });
    expect(row.answers).toMatchObject({
      scores: {
        satisfaction: 4,
        working_style: 4,
        remote_tools: 4,
        priority: 3,
        expectation: 3,
        task_clarity: 4,
        contract_admin: 4,
      },
      hoursSpent: 3,
      wantsCoordinator: false,
    });
    await eventually(async () => (await stack.state(match.id)).checkins.current?.answers.talent?.answerId === row.id);
    await context.close();
  });
});
