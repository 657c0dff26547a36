/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import path from 'node:path';
import { fitsWidth, launch, SCREENSHOTS } from '../support/browser';
import { LARGEST_PLAYBOOK, MAX_PLAYBOOK_SETTINGS } from '../../api/services/playbooks';
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
 * A program manager's pages in real Chromium against the real stack: the playbook, edited in its form (or as JSON)
 * with the changes shown before anything is saved. Screenshots under test-artifacts/screenshots/.
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

  it('edits the playbook in its form: each change shown before saving, a wrong setting named beside its field', async () => {
    const { context, page } = await signedIn(manager);
    await page.goto(`${stack.api.url}/workspace/programs/${encodeURIComponent(stack.programId)}`);
    await page.getByRole('link', { name: '支援プラン（設定）' }).click();
    expect(await page.locator('h1').textContent()).toBe('支援プラン');
    const before = await stack.database.db.playbook.count({ where: { programId: stack.programId } });
    const form = page.locator('#settings-form');
    const preview = form.getByRole('button', { name: '変更点を確認する' });
    const cadence = form.getByLabel('チェックインの間隔');
    const startingCadence = await cadence.inputValue();
    expect(startingCadence).toMatch(/^\d+[dh]$/);
    // Every setting has its field; the ones people change most are named in Japanese, grouped by section.
    await expect(form.locator('legend').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['送信の時間帯', '定期チェックイン', 'コーディネーターのタスク', 'エスカレーション']),
    );
    expect(await form.getByLabel('タスク 1 · 名前（日本語）').inputValue()).toBe('キックオフの準備');
    expect(await form.locator('input, select').count()).toBeGreaterThan(80);

    // A cadence that is no duration and a task without a name: refused, each named beside its field, in Japanese.
    await cadence.fill('3週間');
    await form.getByLabel('タスク 1 · 名前（日本語）').fill('');
    await preview.click();
    await expect(page.locator('#playbook-errors').textContent()).resolves.toContain('checkins.cadence');
    const cadenceError = page.locator(`#${await cadence.getAttribute('id')}-error`);
    await expect(cadenceError.textContent()).resolves.toBe('期間（14d・36h・30s など）で入力してください');
    expect(await cadence.getAttribute('aria-invalid')).toBe('true');
    expect(await cadence.getAttribute('aria-describedby')).toBe(await cadenceError.getAttribute('id'));
    expect(await cadence.inputValue()).toBe('3週間'); // what was typed is kept
    const taskName = form.getByLabel('タスク 1 · 名前（日本語）');
    expect(await taskName.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: /として保存する/ }).count()).toBe(0);
    await shot(page, 'playbook-form-errors-ja-360');

    // The JSON box (for adding tasks and the like) is checked by the same schema; not JSON at all, the box is named.
    await page.locator('#json summary').click();
    await page.getByLabel('支援プラン（JSON）').fill('{ "checkins": ');
    await page.locator('#playbook-form').getByRole('button', { name: '変更点を確認する' }).click();
    await expect(page.locator('#playbook-errors').textContent()).resolves.toBe('JSON として読めません');
    expect(await page.locator('#json').getAttribute('open')).not.toBeNull();

    // Good changes: the page shows them, setting by setting, and saves nothing until asked.
    await page.goto(playbookPage());
    await form.getByLabel('チェックインの間隔').fill('21d');
    const holidays = form.getByLabel('祝日は送らない');
    const skipping = (await holidays.inputValue()) === 'true';
    await holidays.selectOption({ label: skipping ? 'いいえ' : 'はい' });
    await preview.click();
    const rows = page.locator('#changes tbody tr');
    expect((await rows.allTextContents()).sort()).toEqual(
      [`skipHolidays${skipping}${!skipping}`, `checkins.cadence"${startingCadence}""21d"`].sort(),
    );
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
    expect(saved.body).toMatchObject({ checkins: { cadence: '21d' }, skipHolidays: !skipping });
    await expect(page.locator('#settings').textContent()).resolves.toContain('"21d"');
    expect(await form.getByLabel('チェックインの間隔').inputValue()).toBe('21d');
    await context.close();
  });

  it('refuses to save over a version someone else saved meanwhile, and shows the changes against it', async () => {
    await chooseLocale(stack, manager, 'en');
    const { context, page } = await signedIn(manager, DESKTOP);
    await page.goto(playbookPage());
    const current = JSON.parse(await page.getByLabel('Playbook (JSON)').inputValue()) as Record<string, unknown>;
    await page.getByLabel('Time to act (business days)').fill('5');
    await page.locator('#settings-form').getByRole('button', { name: 'Show the changes' }).click();
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
    expect(await page.locator('#settings-form').count()).toBe(0);
    const status = await page.evaluate(async (url) => {
      const csrf = document.querySelector<HTMLInputElement>('input[name="csrf"]')!.value;
      const body = new URLSearchParams({ csrf, playbook: '{}', base: '0' });
      return (await fetch(url, { method: 'POST', body })).status;
    }, playbookPage());
    expect(status).toBe(403);
    await context.close();
  });

  it('edits the largest playbook there can be in its form, every field named with its unit (en 1280, ja 360)', async () => {
    // Ten documents, ten extra questions and twenty tasks: more fields than other workspace forms may send.
    const put = await stack.api.request('PUT', `/programs/${stack.programId}/playbook`, LARGEST_PLAYBOOK);
    expect(put.status).toBe(200);
    const version = (put.body as { playbook: { version: number } }).playbook.version;
    await chooseLocale(stack, manager, 'en');
    const { context, page } = await signedIn(manager, DESKTOP);
    await page.goto(playbookPage());
    const form = page.locator('#settings-form');
    const names = await form.locator('input[name^="setting:"], select[name^="setting:"]').evaluateAll((fields) =>
      fields.map((f) => {
        const label = document.querySelector(`label[for="${f.id}"]`)!;
        const words = [...label.childNodes]
          .filter((n) => n.nodeName !== 'CODE')
          .map((n) => n.textContent)
          .join('');
        return { path: f.getAttribute('name')!.slice('setting:'.length), words: words.trim() };
      }),
    );
    expect(names.length).toBeGreaterThan(200);
    expect(names.length).toBeLessThanOrEqual(MAX_PLAYBOOK_SETTINGS);
    // Each field says what it does in words (its path only beside them), the risk model's too.
    expect(names.filter((n) => !n.words || n.words === n.path)).toEqual([]);
    expect(names.find((n) => n.path === 'riskModel.carryOver')!.words).toBe(
      'Share of the score carried to the next check-in (0 to 1)',
    );
    await form.getByLabel('Escalate a cause from this score').fill('4');
    await form.getByLabel('Task 20 · Due within').fill('9d');
    await form.getByRole('button', { name: 'Show the changes' }).click();
    expect((await page.locator('#changes tbody tr').allTextContents()).sort()).toEqual(
      ['riskModel.escalateAt3.64', 'tasks[19].dueWithin"7d""9d"'].sort(),
    );
    await page.getByRole('button', { name: /^Save as version/ }).click();
    await expect(page.locator('#notice').textContent()).resolves.toBe('The playbook is saved.');
    const saved = await stack.database.db.playbook.findFirstOrThrow({
      where: { programId: stack.programId },
      orderBy: { version: 'desc' },
    });
    expect(saved.version).toBe(version + 1);
    expect(saved.body).toMatchObject({ riskModel: { escalateAt: 4 } });
    expect((saved.body as { tasks: { dueWithin: string }[] }).tasks[19]!.dueWithin).toBe('9d');
    await page.locator('fieldset', { hasText: 'Risk model tuning' }).screenshot({
      path: path.join(SCREENSHOTS, 'workspace-playbook-risk-model-en-1280.png'),
    });
    await context.close();

    await chooseLocale(stack, manager, 'ja');
    const phone = await signedIn(manager);
    await phone.page.goto(playbookPage());
    const risk = phone.page.locator('#settings-form').getByLabel('要因をエスカレーションするスコア');
    expect(await risk.inputValue()).toBe('4');
    expect(await fitsWidth(phone.page)).toBe(true);
    await phone.page.locator('fieldset', { hasText: 'リスク判定の調整値' }).screenshot({
      path: path.join(SCREENSHOTS, 'workspace-playbook-risk-model-ja-360.png'),
    });
    await phone.context.close();
  });
});
