import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from 'playwright-core';

/** Debian's Chromium; CI installs it (`.ci/run`), locally the browser tests skip without it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a headless Chromium in a sandboxless container with a closed network. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** True when browser tests can run; loud when they cannot, fatal in CI. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required in CI (apt-get install chromium)`);
  process.stderr.write(`\n\n  !!! ${CHROMIUM} not found: browser tests are SKIPPED (apt-get install chromium) !!!\n\n`);
  return false;
}

/** Launches Debian's Chromium through playwright-core. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** A browser context already logged in as `user` (the web app reads its session at start). */
export async function signedInContext(
  browser: Browser,
  user: { token: string; id: string },
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const ctx = await browser.newContext(options);
  await ctx.addInitScript((s) => localStorage.setItem('kurier:session', JSON.stringify(s)), {
    token: user.token,
    userId: user.id,
  });
  return ctx;
}
