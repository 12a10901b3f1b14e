// The browsers the tests and benchmarks drive, launched one way everywhere: Debian's chromium
// through playwright-core and Debian's Firefox ESR through puppeteer-core (WebDriver BiDi).
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

/** Headless Chromium without the background traffic and first-run work of a fresh profile. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', ...extraArgs],
  });
}

/** Headless Firefox at a 1280x900 window (puppeteer's viewport emulation needs a later Firefox
 * than ESR 140). */
export function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: null, args: ['--width=1280', '--height=900'],
  });
}
