// The browsers the tests and benchmarks drive, launched one way everywhere: Debian's chromium
// through playwright-core, Debian's Firefox ESR through puppeteer-core (WebDriver BiDi), and
// WebKitGTK's MiniBrowser (WebKit, Safari's engine) through its WebKitWebDriver and
// selenium-webdriver, on an Xvfb display.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { Builder } from 'selenium-webdriver';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
export const XVFB = '/usr/bin/Xvfb';

const setup = 'scripts/setup.sh --browser';
/** What each browser needs on disk, as [file, what to do when it is missing] pairs. */
export const NEEDS = {
  chromium: [[CHROMIUM, `install Debian's chromium (${setup}) or set CHROMIUM`]],
  firefox: [[FIREFOX, `install Debian's firefox-esr (${setup}) or set FIREFOX`]],
  webkit: [
    [WEBKIT_DRIVER, `install Debian's webkit2gtk-driver (${setup}) or set WEBKIT_DRIVER`],
    [MINIBROWSER, `install Debian's libwebkit2gtk-4.1-0 (${setup}) or set MINIBROWSER`],
    [XVFB, `install Debian's xvfb (${setup})`],
  ],
};

/** Headless Chromium without the background traffic and first-run work of a fresh profile. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', ...extraArgs],
  });
}

/** Headless Firefox at a 1280x900 window (puppeteer's viewport emulation needed a later Firefox
 * than ESR 140), with Firefox's own prefs: ESR 140 ran the page's wasm ~100x slower in about one
 * launch in four unless its wasm SIMD avoided AVX encodings; 153 did not in 32 of 32 launches with
 * the default, so the tests run Firefox as shoppers get it (BENCHMARKS.md, "Other engines"). */
export function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: null, args: ['--width=1280', '--height=900'],
  });
}

/** How long opening a MiniBrowser session may take before it is retried (a launch takes ~3 s). */
const WEBKIT_SESSION_MS = 60_000;

/**
 * Xvfb (WebKitGTK draws on an X display) and WebKitWebDriver on a free port: `session()` opens a
 * MiniBrowser (a selenium WebDriver, its own ephemeral profile) at 1280x900, `stop()` ends both.
 * A session that does not open within a minute is retried once on a fresh Xvfb and driver: a CI
 * run once hung for good when the display's socket vanished from /tmp ("cannot open display")
 * and the driver waited for a browser that never started.
 */
export async function startWebKit() {
  let current = await startDisplayAndDriver();
  const open = async (url) => {
    const browser = await new Builder().usingServer(url).withCapabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    }).build();
    await browser.manage().window().setRect({ width: 1280, height: 900 });
    return browser;
  };
  const session = async () => {
    try {
      return await withTimeout(open(current.url), WEBKIT_SESSION_MS, 'opening a WebKit session');
    } catch (error) {
      console.warn(`WebKit: ${error.message}; retrying once on a fresh Xvfb and WebKitWebDriver`);
      current.stop();
      current = await startDisplayAndDriver();
      return withTimeout(open(current.url), WEBKIT_SESSION_MS, 'opening a WebKit session (retry)');
    }
  };
  return { session, stop: () => current.stop() };
}

/** `promise`, or an Error naming `what` after `ms` milliseconds. */
function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A fresh Xvfb display and a WebKitWebDriver on it: `{ url, stop }`. */
async function startDisplayAndDriver() {
  const xvfb = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
  });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    xvfb.stdio[3].on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited with ${code} before it gave a display`)));
  });
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'inherit', env: { ...process.env, DISPLAY: display } });
  const stop = () => { driver.kill(); xvfb.kill(); };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/status`)).ok) break;
    } catch (error) {
      if (i === 50) {
        stop();
        throw new Error(`WebKitWebDriver did not answer on ${url}: ${error.message}`);
      }
    }
    await sleep(100);
  }
  return { url, stop };
}
