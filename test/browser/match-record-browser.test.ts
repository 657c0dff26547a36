/// <reference lib="dom" />
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createSignInLink } from '../../api/workspace/sessions';
import { PHONE, SCREENSHOTS, submitWithEnter, tabTo } from '../support/browser';
import { matchRequest, seedMatch, seedProgram, unique } from '../support/fixtures';
import { DESKTOP, signedInPage, twoProgramScene, workspaceShot as shot } from '../support/workspace-pages';

/**
 * What the workspace shows and how it is driven, in real Chromium against the real stack: a match's answers drawn per
 * question (the values drawn are the saved answers, the table beside them says the same) and its email record; the
 * language switch, which stays with the person; the match list sorted and paged; a journey by keyboard alone with
 * the focus visible at each step.
 */
describe('the workspace read and driven in real Chromium', () => {
  const scene = twoProgramScene();

  const person = (name: string) => ({ name, email: `${unique('coord')}@npo.example.jp`, locale: 'ja' as const });

  /** The values a line chart draws for each side: each marker's height read back against the chart's own scale. */
  const drawn = (page: Page, figure: string) =>
    page.locator(`${figure} svg`).evaluate((svg) => {
      // The scale: each grid line is followed by its tick label.
      const scale = [...svg.querySelectorAll(':scope > line.grid')].map((line) => ({
        y: Number(line.getAttribute('y1')),
        value: Number(line.nextElementSibling!.textContent),
      }));
      const valueAt = (y: number) => scale.find((s) => Math.abs(s.y - y) < 0.5)?.value ?? NaN;
      const host = [...svg.querySelectorAll(':scope > circle.m-a')].map((c) => ({
        x: Number(c.getAttribute('cx')),
        v: valueAt(Number(c.getAttribute('cy'))),
      }));
      const talent = [...svg.querySelectorAll(':scope > rect.m-b')].map((r) => ({
        x: Number(r.getAttribute('x')) + 3.5,
        v: valueAt(Number(r.getAttribute('y')) + 3.5),
      }));
      const inOrder = (points: { x: number }[]) => points.every((p, i) => i === 0 || p.x > points[i - 1]!.x);
      return {
        host: host.map((p) => p.v),
        talent: talent.map((p) => p.v),
        ordered: inOrder(host) && inOrder(talent),
      };
    });

  it('draws each question’s saved answers, host against talent, with the same figures in a table, and the email record with why', async () => {
    const coordinator = person('鈴木 一郎');
    const db = scene.stack.database.db;
    const match = await seedMatch(db, matchRequest(scene.stack.programId, { coordinator, title: '酒蔵の海外販路' }));
    // Three rounds: the talent skipped the second. Satisfaction falls on both sides; working style differs.
    const saved = {
      host: [
        { satisfaction: 4, working_style: 2 },
        { satisfaction: 3, working_style: 2 },
        { satisfaction: 2, working_style: 3 },
      ],
      talent: [{ satisfaction: 5, working_style: 4 }, null, { satisfaction: 1, working_style: 5 }],
    };
    for (const who of ['host', 'talent'] as const) {
      for (const [i, scores] of saved[who].entries()) {
        if (!scores) continue;
        await db.checkinAnswer.create({
          data: { matchId: match.id, round: i + 1, respondent: who, answers: { scores }, signalledAt: new Date() },
        });
      }
    }
    const email = (status: string, to: string, extra: object) => ({
      idempotencyKey: unique(`${match.id}:mail`),
      messageId: `<${unique('mail')}@bansou.example>`,
      matchId: match.id,
      template: 'checkin',
      locale: 'ja',
      to,
      subject: `【bansou】チェックインのお願い（${status}）`,
      text: '-',
      html: '-',
      status,
      ...extra,
    });
    await db.email.createMany({
      data: [
        email('sent', match.host.email, { sentAt: new Date(Date.now() - 3_600_000) }),
        email('failed', match.talent.email, { error: '550 5.1.1 mailbox unavailable' }),
      ],
    });
    await db.matchEvent.create({
      data: {
        matchId: match.id,
        key: unique(`${match.id}:skipped`),
        type: 'email.skipped',
        payload: { template: 'checkin-reminder', role: 'talent', reason: 'answered meanwhile' },
      },
    });

    const { context, page } = await signedInPage(scene.browser, scene.stack, coordinator.email, DESKTOP);
    await page.goto(`${scene.stack.api.url}/workspace/matches/${match.id}`);
    for (const [question, title] of [
      ['satisfaction', '満足度'],
      ['working_style', '働き方の相性'],
    ] as const) {
      const figure = `[id="q-${question}"]`;
      await expect(page.locator(`${figure} figcaption`).textContent()).resolves.toBe(title);
      const values = (who: 'host' | 'talent') => saved[who].map((s) => s?.[question] ?? null);
      // The chart draws the saved values, in round order, each side with its own marker; a missing answer is a gap.
      expect(await drawn(page, figure)).toEqual({
        host: values('host').filter((v) => v !== null),
        talent: values('talent').filter((v) => v !== null),
        ordered: true,
      });
      expect(await page.locator(`${figure} svg`).getAttribute('aria-hidden')).toBe('true');
      // The table beside it, for screen readers and for exact figures.
      await expect(page.locator(`${figure} thead`).textContent()).resolves.toBe('回受入事業者兼業人材');
      const rows = await page.locator(`${figure} tbody tr`).allTextContents();
      expect(rows).toEqual(
        [1, 2, 3].map((n) => `第${n}回${values('host')[n - 1] ?? '–'}${values('talent')[n - 1] ?? '–'}`),
      );
    }

    // The email record: sent, failed with the server's reason, and skipped with the workflow's reason and the email's kind in words.
    const row = (status: string) => page.locator(`#emails tr.email-${status}`);
    await expect(row('sent').textContent()).resolves.toContain('送信済み');
    await expect(row('sent').textContent()).resolves.toContain(match.host.email);
    await expect(row('sent').textContent()).resolves.toContain('チェックインのお願い（sent）');
    await expect(row('failed').textContent()).resolves.toContain('送信失敗');
    await expect(row('failed').textContent()).resolves.toContain('理由: 550 5.1.1 mailbox unavailable');
    await expect(row('failed').textContent()).resolves.toContain(match.talent.email);
    expect(await row('failed').locator('.badge').getAttribute('class')).toContain('warn');
    await expect(row('skipped').textContent()).resolves.toContain('送信せず');
    await expect(row('skipped').textContent()).resolves.toContain('理由: 送信前に回答済みだったため');
    await expect(row('skipped').locator('td').nth(2).textContent()).resolves.toBe('兼業人材');
    await expect(row('skipped').locator('td').nth(3).textContent()).resolves.toBe('チェックインのリマインド');
    // Newest first: the failure and the skip (now) before the email sent an hour ago.
    const order = await page
      .locator('#emails tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.className.replace('email-', '')));
    expect(order.indexOf('sent')).toBe(2);
    await page.locator('#checkins').screenshot({ path: shotPath('match-answers-ja-1280') });
    await page.locator('#emails').screenshot({ path: shotPath('match-emails-ja-1280') });
    await context.close();
  });

  it('switches language from the link, ja → en → ja, and the choice stays with the person in another browser', async () => {
    const coordinator = person('田中 花子');
    await scene.stack.createMatch({ coordinator, title: '温泉地の観光 DX' });
    const first = await signedInPage(scene.browser, scene.stack, coordinator.email, PHONE);
    const page = first.page;
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await page.goto(`${scene.stack.api.url}/workspace/matches`);
    await page.getByRole('button', { name: 'English' }).click();
    await page.waitForURL(`${scene.stack.api.url}/workspace/matches`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect(page.locator('h1').textContent()).resolves.toBe('Matches');
    const account = () => scene.stack.database.db.account.findUniqueOrThrow({ where: { email: coordinator.email } });
    expect((await account()).locale).toBe('en');

    // Another browser, which itself asks for Japanese: the person's choice wins.
    const second = await signedInPage(scene.browser, scene.stack, coordinator.email, PHONE);
    expect(await second.page.locator('html').getAttribute('lang')).toBe('en');
    await shot(second.page, 'today-en-360-switched');
    await second.page.getByRole('button', { name: '日本語' }).click();
    await second.page.waitForURL(`${scene.stack.api.url}/workspace`);
    expect(await second.page.locator('html').getAttribute('lang')).toBe('ja');
    expect((await account()).locale).toBe('ja');
    await page.reload();
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await first.context.close();
    await second.context.close();
  });

  it('sorts the match list by health from its menu and pages through it with the next and first links', async () => {
    const coordinator = person('佐藤 三郎');
    const db = scene.stack.database.db;
    const program = await seedProgram(db);
    // 27 matches (a page holds 25), health 10, 13, … 88, created in a shuffled order.
    const scores = Array.from({ length: 27 }, (_, i) => 10 + i * 3);
    for (const score of [...scores].sort((a, b) => ((a * 7919) % 31) - ((b * 7919) % 31))) {
      const m = await seedMatch(db, matchRequest(program.id, { coordinator, title: `健全度 ${score} の案件` }));
      await db.match.update({
        where: { id: m.id },
        data: { healthScore: score, healthBand: score < 40 ? 'red' : score < 70 ? 'amber' : 'green' },
      });
    }
    const titles = (page: Page) => page.locator('table.list tbody tr td:nth-child(2) a').allTextContents();
    const titled = (list: number[]) => list.map((s) => `健全度 ${s} の案件`);

    const { context, page } = await signedInPage(scene.browser, scene.stack, coordinator.email, DESKTOP);
    await page.goto(`${scene.stack.api.url}/workspace/matches`);
    // By default the matches in trouble come first.
    expect(await page.locator('#f-sort').inputValue()).toBe('health');
    expect(await titles(page)).toEqual(titled(scores.slice(0, 25)));
    // The menu applies at once (the page's script submits the form); the healthiest come first.
    await Promise.all([page.waitForURL(/sort=-health/), page.locator('#f-sort').selectOption('-health')]);
    const descending = [...scores].reverse();
    expect(await titles(page)).toEqual(titled(descending.slice(0, 25)));
    await expect(page.locator('table.list tbody tr').first().locator('.health').textContent()).resolves.toContain('88');
    await shot(page, 'matches-sorted-ja-1280');
    // The next page continues the same order, and keeps the sort.
    await Promise.all([page.waitForURL(/cursor=/), page.getByRole('link', { name: /次へ/ }).click()]);
    expect(page.url()).toContain('sort=-health');
    expect(await titles(page)).toEqual(titled(descending.slice(25)));
    expect(await page.getByRole('link', { name: /次へ/ }).count()).toBe(0);
    await Promise.all([
      page.waitForURL((u) => !u.search.includes('cursor')),
      page.getByRole('link', { name: '最初へ' }).click(),
    ]);
    expect(await titles(page)).toEqual(titled(descending.slice(0, 25)));
    await context.close();
  });

  /** The focused element shows it has the focus: an outline or a shadow that is drawn. */
  const focusVisible = (page: Page) =>
    page.evaluate(() => {
      const el = document.activeElement!;
      const style = getComputedStyle(el);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      return { tag: el.tagName, shown: outline || style.boxShadow !== 'none' };
    });

  async function tabToVisibly(page: Page, selector: string) {
    await tabTo(page, selector, 150);
    expect(await focusVisible(page)).toMatchObject({ shown: true });
  }

  it('by keyboard alone (Tab and Enter): signs in from the link, opens a match, records a note; the focus always shows', async () => {
    const coordinator = person('高橋 四郎');
    const match = await scene.stack.createMatch({ coordinator, title: '鍵盤だけで開く案件' });
    const context = await scene.browser.newContext({ viewport: DESKTOP, locale: 'ja-JP' });
    const page = await context.newPage();
    await page.goto(
      `${scene.stack.api.url}/workspace/sign-in/${await createSignInLink(scene.stack.deps, coordinator.email)}`,
    );
    await tabToVisibly(page, 'main button[type="submit"]');
    await Promise.all([page.waitForURL(`${scene.stack.api.url}/workspace`), page.keyboard.press('Enter')]);
    // The first Tab on a page reaches the skip link, and it shows.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    expect(await focusVisible(page)).toMatchObject({ shown: true });
    await shot(page, 'today-keyboard-skip-ja-1280');

    await tabToVisibly(page, 'nav a[href="/workspace/matches"]');
    await Promise.all([page.waitForURL(`${scene.stack.api.url}/workspace/matches`), page.keyboard.press('Enter')]);
    await tabToVisibly(page, `table.list a[href="/workspace/matches/${match.id}"]`);
    await Promise.all([page.waitForURL(/\/workspace\/matches\/.+/), page.keyboard.press('Enter')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('鍵盤だけで開く案件');

    await tabToVisibly(page, '#note-text');
    await page.keyboard.type('キーボードだけで記録したメモ');
    await tabToVisibly(page, '#note-sentiment');
    await tabToVisibly(page, '#note button[type="submit"]');
    await shot(page, 'match-keyboard-focus-ja-1280');
    await submitWithEnter(page);
    await expect(page.locator('#notes').textContent()).resolves.toContain('キーボードだけで記録したメモ');
    // The confirmation is a status message (read out by screen readers) at the top of the page.
    await expect(page.getByRole('status').textContent()).resolves.toBe('メモを記録しました。');
    // It has the focus, after the browser's jump to the form's anchor: the next Tab goes on from there.
    await page.waitForLoadState('load');
    await page.waitForFunction(() => document.activeElement?.id === 'notice', undefined, { timeout: 5000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('notice');
    expect(await focusVisible(page)).toMatchObject({ shown: true });
    const { top, bottom } = await page.locator('#notice').evaluate((el) => el.getBoundingClientRect().toJSON());
    expect(top).toBeGreaterThanOrEqual(0);
    expect(bottom).toBeLessThanOrEqual(DESKTOP.height);
    await context.close();
  });
});

const shotPath = (name: string) => path.join(SCREENSHOTS, `workspace-${name}.png`);
