/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { matchIdFor } from '../../workflows/shared';
import { fitsWidth } from '../support/browser';
import { matchDates, unique } from '../support/fixtures';
import {
  chooseLocale,
  DESKTOP,
  signedInPage,
  twoProgramScene,
  workspaceShot as shot,
} from '../support/workspace-pages';

/**
 * CSV import in the workspace, in real Chromium against the real stack: a file's problems by row and column before
 * anything is registered, the registration only on confirming (once, however often the button is sent), and the
 * same roles and program scope as the API import. Screenshots under test-artifacts/screenshots/.
 */
describe('CSV import in the workspace, in real Chromium', () => {
  const scene = twoProgramScene();
  const dates = matchDates();
  /** The Japanese header a program's spreadsheet has. */
  const header =
    'マッチングID,プログラムID,プロジェクト名,開始日,終了日,受入事業者,受入担当者,受入担当者メール,人材,人材メール,コーディネーター,コーディネーターメール';
  const line = (id: string, overrides: { program?: string; hostEmail?: string } = {}) =>
    [
      id,
      overrides.program ?? scene.stack.programId,
      `"販路開拓, ${id}"`, // a comma inside a quoted cell
      dates.startDate.replaceAll('-', '/'),
      dates.endDate,
      '山田食品',
      '山田 花子',
      overrides.hostEmail ?? `host.${id}@example.jp`,
      'Alex',
      `talent.${id}@example.com`,
      '鈴木',
      `coord.${id}@example.jp`,
    ].join(',');
  const csv = (...lines: string[]) => Buffer.from(`\uFEFF${[header, ...lines].join('\r\n')}\r\n`);

  const signedIn = (email: string, viewport?: { width: number; height: number }) =>
    signedInPage(scene.browser, scene.stack, email, viewport);
  const upload = async (page: Page, file: Buffer, name = 'matches.csv') => {
    await page
      .getByLabel('CSV ファイル')
      .or(page.getByLabel('CSV file'))
      .setInputFiles({ name, mimeType: 'text/csv', buffer: file });
    await page.getByRole('button', { name: /内容を確認する|Check the file/ }).click();
  };
  const stored = (ids: string[]) =>
    scene.stack.database.db.match.count({
      where: { id: { in: ids.map((id) => matchIdFor(scene.stack.programId, id)) } },
    });

  it('shows each problem by row and column, registers nothing, then registers the fixed file once on confirming', async () => {
    const { context, page } = await signedIn(scene.manager);
    await page.goto(`${scene.stack.api.url}/workspace/programs`);
    await page.getByRole('link', { name: 'CSV でマッチングを登録' }).click();
    expect(await page.locator('h1').textContent()).toBe('CSV でマッチングを登録');

    const [good, bad, outside] = [unique('imp'), unique('imp'), unique('imp')];
    await upload(
      page,
      csv(line(good), line(bad, { hostEmail: 'not-an-email' }), line(outside, { program: scene.otherProgram })),
    );
    await expect(page.locator('#notice').textContent()).resolves.toContain('2 件の問題があります');
    const row3 = page.locator('#row-3');
    await expect(row3.locator('.row-problems').textContent()).resolves.toBe(
      '受入担当者メール: メールアドレスの形式で入力してください',
    );
    await expect(row3.locator('td.invalid-cell').textContent()).resolves.toBe('not-an-email');
    await expect(page.locator('#row-4 .row-problems').textContent()).resolves.toBe(
      'プログラムID: このプログラムにマッチングを登録する権限がありません',
    );
    await expect(page.locator('#row-2 .row-problems').textContent()).resolves.toBe('–');
    await expect(page.locator('#row-2').textContent()).resolves.toContain(`販路開拓, ${good}`);
    expect(await page.getByRole('button', { name: /件を登録する/ }).count()).toBe(0);
    expect(await stored([good, bad, outside])).toBe(0);
    expect(await scene.stack.database.db.match.count({ where: { programId: scene.otherProgram } })).toBe(0);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'import-problems-ja-360');

    // The fixed file: a preview, and still nothing registered until the button.
    const second = unique('imp');
    await upload(page, csv(line(good), line(second)));
    await expect(page.locator('#preview').textContent()).resolves.toContain('2 行：新しく登録 2 件、登録済み 0 件');
    expect(await stored([good, second])).toBe(0);
    const fields = await page.evaluate(() =>
      Object.fromEntries(
        new FormData(document.querySelector<HTMLFormElement>('#confirm')!) as unknown as [string, string][],
      ),
    );
    await page.getByRole('button', { name: '2 件を登録する' }).click();
    await expect(page.locator('#notice').textContent()).resolves.toBe(
      '2 件のマッチングが登録されています（今回新しく登録 2 件）。',
    );
    await expect(page.locator('#result tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('#result').textContent()).resolves.toContain('今回登録');
    expect(await stored([good, second])).toBe(2);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'import-registered-ja-360');

    // The same confirmation again (a double tap, a reload): nothing registered twice, the same matches listed.
    const again = await page.evaluate(async (body) => {
      const r = await fetch('/workspace/imports', { method: 'POST', body: new URLSearchParams(body) });
      return { status: r.status, text: await r.text() };
    }, fields);
    expect(again.status).toBe(200);
    expect(again.text).toContain('2 件のマッチングが登録されています（今回新しく登録 0 件）');
    expect(await stored([good, second])).toBe(2);

    // A confirmation whose file is not the one checked registers nothing.
    const third = unique('imp');
    const tampered = await page.evaluate(
      async ({ body, file }) => {
        const r = await fetch('/workspace/imports', { method: 'POST', body: new URLSearchParams({ ...body, file }) });
        return r.status;
      },
      { body: fields, file: csv(line(third)).toString('base64') },
    );
    expect(tampered).toBe(400);
    expect(await stored([third])).toBe(0);
    await context.close();
  });

  it('in English at desktop width: a file that is not CSV is named; an upload without the form’s CSRF value is refused', async () => {
    await chooseLocale(scene.stack, scene.manager, 'en');
    const { context, page } = await signedIn(scene.manager, DESKTOP);
    await page.goto(`${scene.stack.api.url}/workspace/imports`);
    const id = unique('imp');
    await upload(page, Buffer.from(`${header}\r\n${id},"unclosed\r\n`));
    await expect(page.locator('#notice').textContent()).resolves.toBe(
      'This file cannot be read as CSV (nothing is registered).',
    );
    await expect(page.locator('#file-problems').textContent()).resolves.toMatch(/Quote Not Closed/i);
    await upload(page, csv(line(id, { hostEmail: 'x@' })));
    await expect(page.locator('#row-2 .row-problems').textContent()).resolves.toBe(
      '受入担当者メール: must be an email address',
    );
    await shot(page, 'import-problems-en-1280');
    const status = await page.evaluate(
      async (row) => {
        const body = new FormData();
        body.append('file', new Blob([row], { type: 'text/csv' }), 'm.csv');
        return (await fetch('/workspace/imports/preview', { method: 'POST', body })).status;
      },
      `${header}\n${line(id)}`,
    );
    expect(status).toBe(403);
    await context.close();
  });

  it('a coordinator (who may register, as with the API) gets the same words for another program and for none', async () => {
    const coordinator = { name: '鈴木 一郎', email: `coord.${unique('c')}@npo.example.jp`, locale: 'ja' as const };
    await scene.stack.createMatch({ coordinator });
    const { context, page } = await signedIn(coordinator.email);
    await page.goto(`${scene.stack.api.url}/workspace/programs`);
    await page.getByRole('link', { name: 'CSV でマッチングを登録' }).click();
    const [theirs, nowhere] = [unique('imp'), unique('imp')];
    await upload(page, csv(line(theirs, { program: scene.otherProgram }), line(nowhere, { program: unique('none') })));
    const words = 'プログラムID: このプログラムにマッチングを登録する権限がありません';
    await expect(page.locator('#row-2 .row-problems').textContent()).resolves.toBe(words);
    await expect(page.locator('#row-3 .row-problems').textContent()).resolves.toBe(words);
    expect(await scene.stack.database.db.match.count({ where: { programId: scene.otherProgram } })).toBe(0);
    await context.close();
  });

  it('without a session, an upload is refused before its file is read', async () => {
    const id = unique('imp');
    const body = new FormData();
    body.append('file', new Blob([`${header}\n${line(id)}`], { type: 'text/csv' }), 'm.csv');
    const response = await fetch(`${scene.stack.api.url}/workspace/imports/preview`, { method: 'POST', body });
    expect(response.status).toBe(403);
    expect(await stored([id])).toBe(0);
  });
});
