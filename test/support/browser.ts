/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../dev/env';

/** Where page and email screenshots are kept. */
export const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');
/** A phone screen. */
export const PHONE = { width: 360, height: 740 };

/** Debian's Chromium, headless. */
export async function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Keyboard only: Tab into the radio group, then arrow keys (or Space for the first option) pick the value. */
export async function pickWithKeyboard(page: Page, value: number): Promise<void> {
  await page.keyboard.press('Tab');
  if (value === 1) await page.keyboard.press('Space');
  for (let i = 1; i < value; i++) await page.keyboard.press('ArrowRight');
}

/** Presses Tab until the focused element matches `selector` (as a person tabbing through the page would). */
export async function tabTo(page: Page, selector: string, maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Presses Enter on the focused submit button and waits for the page the POST answers with. */
export async function submitWithEnter(page: Page): Promise<void> {
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.keyboard.press('Enter')]);
  await page.waitForLoadState('domcontentloaded');
}

/** The page fits a phone screen: no sideways scrolling. */
export async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}
