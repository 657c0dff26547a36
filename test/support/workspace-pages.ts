import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createSignInLink } from '../../api/workspace/sessions';
import { launch, PHONE, SCREENSHOTS } from './browser';
import { seedProgram, unique } from './fixtures';
import { createDevStack, type DevStack } from './stack';

/** A desktop screen. */
export const DESKTOP = { width: 1280, height: 900 };

/** A workspace page's screenshot, under test-artifacts/screenshots/. */
export const workspaceShot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SCREENSHOTS, `workspace-${name}.png`), fullPage: true });

/** Makes `email` a program manager of the stack's program (as the programs' settings do). */
export async function addProgramManager(stack: DevStack, email: string): Promise<void> {
  const db = stack.database.db;
  const person = await db.person.create({
    data: { programId: stack.programId, email, name: '事務局 佐藤', role: 'program_manager' },
  });
  await db.programManager.create({ data: { programId: stack.programId, personId: person.id } });
}

/** A browser signed in as `email` from a sign-in link, on the Today page. */
export async function signedInPage(browser: Browser, stack: DevStack, email: string, viewport = PHONE) {
  const context = await browser.newContext({ viewport, locale: 'ja-JP' });
  const page = await context.newPage();
  await page.goto(`${stack.api.url}/workspace/sign-in/${await createSignInLink(stack.deps, email)}`);
  await Promise.all([page.waitForURL(`${stack.api.url}/workspace`), page.getByRole('button').last().click()]);
  return { context, page };
}

/** The language `email` chose in the workspace (as its language switch stores it). */
export async function chooseLocale(stack: DevStack, email: string, locale: 'ja' | 'en'): Promise<void> {
  await stack.database.db.account.upsert({ where: { email }, create: { email, locale }, update: { locale } });
}

/**
 * The scene of a browser test file: the stack and Chromium, a program manager of the stack's program, and a second
 * program that manager does not cover (started before the file's tests, closed after).
 */
export function twoProgramScene() {
  const scene = { manager: `pm.${unique('pm')}@pref.example.jp` } as {
    stack: DevStack;
    browser: Browser;
    otherProgram: string;
    manager: string;
  };
  beforeAll(async () => {
    [scene.stack, scene.browser] = await Promise.all([createDevStack(), launch()]);
    scene.otherProgram = (await seedProgram(scene.stack.database.db)).id;
    await addProgramManager(scene.stack, scene.manager);
  });
  afterAll(async () => {
    await scene.browser?.close();
    await scene.stack?.close();
  });
  return scene;
}
