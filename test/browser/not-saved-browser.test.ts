import path from 'node:path';
import type { Browser } from 'playwright-core';
import { fitsWidth, launch, PHONE, pickWithKeyboard, SCREENSHOTS, submitWithEnter, tabTo } from '../support/browser';
import { eventually } from '../support/eventually';
import { createDevStack, type DevStack } from '../support/stack';

/**
 * A check-in sent while Postgres is away, in real Chromium: the person is told in their language that nothing was
 * saved, sees what they wrote, and sends it again with one key once Postgres is back.
 */
describe('a check-in sent while Postgres is down, in real Chromium (360 px, keyboard only)', () => {
  let stack: DevStack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([createDevStack({ cuttablePostgres: true }), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.postgres?.restore();
    await stack?.close();
  });

  it('the talent (en) is told the answer was not saved, keeps it, and sends it again when Postgres is back', async () => {
    const match = await stack.createMatch();
    const { talent } = await stack.openFirstCheckin(match.id);
    // The browser prefers Japanese: the page still speaks the talent's English, as the form did.
    const context = await browser.newContext({ viewport: PHONE, locale: 'ja-JP' });
    const page = await context.newPage();
    await page.goto(`${stack.api.url}${stack.linkIn(talent, 'checkins')}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');

    await tabTo(page, 'input[name="satisfaction"]');
    await page.keyboard.press('Space'); // 1 …
    for (let i = 1; i < 5; i++) await page.keyboard.press('ArrowRight'); // … 5
    for (const value of [4, 4, 3, 3, 4, 4]) await pickWithKeyboard(page, value); // working_style … contract_admin
    await tabTo(page, '#comment');
    await page.keyboard.type('The weekly call moved to Thursdays.');
    await tabTo(page, 'button[type="submit"]');

    await stack.postgres!.cut();
    try {
      await submitWithEnter(page);
      await expect(page.locator('h1').textContent()).resolves.toBe('Your answer has not been saved');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await expect(page.locator('.answers').textContent()).resolves.toContain('The weekly call moved to Thursdays.');
      expect(await fitsWidth(page)).toBe(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'checkin-not-saved-en.png'), fullPage: true });
      await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(0);
    } finally {
      await stack.postgres!.restore();
    }

    // A minute later (here: at once), "Send again" by keyboard saves exactly what was typed.
    await tabTo(page, 'button[type="submit"]');
    await submitWithEnter(page);
    await expect(page.locator('h1').textContent()).resolves.toBe('Thank you for your answers');
    const row = await stack.database.db.checkinAnswer.findUniqueOrThrow({
      where: { matchId_round_respondent: { matchId: match.id, round: 1, respondent: 'talent' } },
    });
    expect(row.answers).toMatchObject({
      scores: {
        satisfaction: 5,
        working_style: 4,
        remote_tools: 4,
        priority: 3,
        expectation: 3,
        task_clarity: 4,
        contract_admin: 4,
      },
      comment: 'The weekly call moved to Thursdays.',
    });
    await eventually(async () => (await stack.state(match.id)).checkins.current?.answers.talent?.answerId === row.id);
    await context.close();
  });
});
