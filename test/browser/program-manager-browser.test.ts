/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { fitsWidth, launch } from '../support/browser';
import { unique } from '../support/fixtures';
import { createDevStack, type DevStack } from '../support/stack';
import {
  addProgramManager,
  chooseLocale,
  DESKTOP,
  signedInPage,
  workspaceShot as shot,
} from '../support/workspace-pages';

/**
 * A program manager's pages in real Chromium against the real stack: the playbook, edited with the changes shown
 * before anything is saved. Screenshots under test-artifacts/screenshots/.
 */
describe('a program manager’s workspace in real Chromium', () => {
  let stack: DevStack;
  let browser: Browser;
  const manager = `pm.${unique('pm')}@pref.example.jp`;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([createDevStack(), launch()]);
    await addProgramManager(stack, manager);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const signedIn = (email: string, viewport?: { width: number; height: number }) =>
    signedInPage(browser, stack, email, viewport);
  const playbookPage = () => `${stack.api.url}/workspace/programs/${encodeURIComponent(stack.programId)}/playbook`;

  it('edits the playbook: sees each change before saving, a wrong setting named, and the new version saved', async () => {
    const { context, page } = await signedIn(manager);
    await page.goto(`${stack.api.url}/workspace/programs/${encodeURIComponent(stack.programId)}`);
    await page.getByRole('link', { name: '支援プラン（設定）' }).click();
    expect(await page.locator('h1').textContent()).toBe('支援プラン');
    const before = await stack.database.db.playbook.count({ where: { programId: stack.programId } });
    const edit = page.getByLabel('支援プラン（JSON）');
    const current = JSON.parse(await edit.inputValue()) as { checkins: { cadence: string }; tasks: unknown[] };
    const startingCadence = current.checkins.cadence;

    // A control character in a task's name and a cadence that is no duration: refused, each setting named, in Japanese.
    const wrong = structuredClone(current) as {
      checkins: { cadence: string };
      tasks: { label: { ja: string } }[];
    };
    wrong.checkins.cadence = '3週間';
    wrong.tasks[0]!.label.ja = '中間\u0007振り返り';
    await edit.fill(JSON.stringify(wrong, null, 2));
    await page.getByRole('button', { name: '変更点を確認する' }).click();
    const errors = page.locator('#playbook-errors');
    await expect(errors.textContent()).resolves.toContain(
      'checkins.cadence: 期間（14d・36h・30s など）で入力してください',
    );
    await expect(errors.textContent()).resolves.toContain('tasks[0].label.ja');
    await expect(errors.textContent()).resolves.toContain('制御文字（NUL など）は使えません');
    expect(await page.getByRole('button', { name: /として保存する/ }).count()).toBe(0);
    expect(await edit.inputValue()).toContain('3週間'); // what was typed is kept

    // Not JSON at all: the box is named.
    await edit.fill('{ "checkins": ');
    await page.getByRole('button', { name: '変更点を確認する' }).click();
    await expect(errors.textContent()).resolves.toBe('JSON として読めません');

    // A good change: the page shows it, setting by setting, and saves nothing until asked.
    const changed = { ...current, checkins: { ...current.checkins, cadence: '21d' } };
    await edit.fill(JSON.stringify(changed, null, 2));
    await page.getByRole('button', { name: '変更点を確認する' }).click();
    const rows = page.locator('#changes tbody tr');
    expect(await rows.count()).toBe(1);
    await expect(rows.first().textContent()).resolves.toBe(`checkins.cadence"${startingCadence}""21d"`);
    expect(await stack.database.db.playbook.count({ where: { programId: stack.programId } })).toBe(before);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, 'playbook-changes-ja-360');
    await page.getByRole('button', { name: /として保存する/ }).click();
    await expect(page.locator('#notice').textContent()).resolves.toBe('支援プランを保存しました。');
    const saved = await stack.database.db.playbook.findFirstOrThrow({
      where: { programId: stack.programId },
      orderBy: { version: 'desc' },
    });
    expect(saved.version).toBe(before + 1);
    expect((saved.body as { checkins: { cadence: string } }).checkins.cadence).toBe('21d');
    await expect(page.locator('#settings').textContent()).resolves.toContain('"21d"');
    await context.close();
  });

  it('refuses to save over a version someone else saved meanwhile, and shows the changes against it', async () => {
    await chooseLocale(stack, manager, 'en');
    const { context, page } = await signedIn(manager, DESKTOP);
    await page.goto(playbookPage());
    const edit = page.getByLabel('Playbook (JSON)');
    const current = JSON.parse(await edit.inputValue()) as { escalation: { slaBusinessDays: number } };
    await edit.fill(JSON.stringify({ ...current, escalation: { slaBusinessDays: 5 } }, null, 2));
    await page.getByRole('button', { name: 'Show the changes' }).click();
    // Someone else saves through the API while this page waits.
    const other = await stack.api.request('PUT', `/programs/${stack.programId}/playbook`, {
      ...current,
      escalation: { slaBusinessDays: 7 },
    });
    expect(other.status).toBe(200);
    const otherVersion = (other.body as { playbook: { version: number } }).playbook.version;
    await page.getByRole('button', { name: /^Save as version/ }).click();
    await expect(page.locator('#notice').textContent()).resolves.toContain(`someone saved version ${otherVersion}`);
    await expect(page.locator('#changes tbody tr').first().textContent()).resolves.toBe('escalation.slaBusinessDays75');
    const latest = await stack.database.db.playbook.findFirstOrThrow({
      where: { programId: stack.programId },
      orderBy: { version: 'desc' },
    });
    expect(latest.version).toBe(otherVersion);
    await shot(page, 'playbook-stale-en-1280');
    await context.close();
  });

  it('a coordinator sees the playbook but has no edit box, and a post to save is refused', async () => {
    const coordinator = { name: '鈴木 一郎', email: `coord.${unique('c')}@npo.example.jp`, locale: 'ja' as const };
    await stack.createMatch({ coordinator });
    const { context, page } = await signedIn(coordinator.email);
    await page.goto(playbookPage());
    await expect(page.locator('#settings').textContent()).resolves.toContain('checkins.cadence');
    expect(await page.getByLabel('支援プラン（JSON）').count()).toBe(0);
    const status = await page.evaluate(async (url) => {
      const csrf = document.querySelector<HTMLInputElement>('input[name="csrf"]')!.value;
      const body = new URLSearchParams({ csrf, playbook: '{}', base: '0' });
      return (await fetch(url, { method: 'POST', body })).status;
    }, playbookPage());
    expect(status).toBe(403);
    await context.close();
  });
});
