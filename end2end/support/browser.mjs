// Debian's chromium driven by playwright-core (no browser download needed).
//
// Environment:
//   CHROMIUM_PATH   the browser binary (default /usr/bin/chromium)
//   E2E_HEADED=1    show the window (needs a display)

import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// What works as root on a closed network. Playwright itself adds --headless and
// --no-sandbox (chromiumSandbox is off by default) and always starts the browser
// with a fresh --user-data-dir of its own (mkdtemp playwright_chromiumdev_profile-*,
// removed on close); it refuses --user-data-dir in `args`.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Content Security Policy violations seen in contexts not closed yet: the store's pages
// must work under their policy, so any violation fails the test (when its context closes)
// or, at the latest, the test file (when the browser closes).
const cspViolations = new Map();

function reportCspViolations(violations, where) {
  if (violations.length > 0) {
    throw new Error(`Content Security Policy violations (${where}):\n  ${violations.join('\n  ')}`);
  }
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found: apt-get install -y chromium (scripts/e2e.sh does it)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: process.env.E2E_HEADED !== '1',
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  const close = browser.close.bind(browser);
  browser.close = async (...args) => {
    await close(...args);
    const left = [...cspViolations.values()].flat();
    cspViolations.clear();
    reportCspViolations(left, 'in a context the test left open');
  };
  return browser;
}

// Runs in every page (with JavaScript): tells the test about each Content Security Policy
// violation, with the native addEventListener so that it is not taken for the page's own.
function reportViolations() {
  EventTarget.prototype.addEventListener.call(document, 'securitypolicyviolation', (e) =>
    window.__e2eCspViolation(
      `${e.effectiveDirective} blocked ${e.blockedURI || 'inline code'} in ${e.documentURI}` +
        (e.sample ? ` (${e.sample})` : ''),
    ),
  );
}

// Runs in every page before its own scripts: records which event listeners the page
// registers (on which element) and every EventSource it opens, so that tests can tell
// when the WASM client has hydrated the server-rendered page without relying on
// framework internals or timing.
function instrument() {
  const state = { listeners: [], eventSources: [] };
  Object.defineProperty(window, '__e2e', { value: state });
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, ...rest) {
    state.listeners.push({ type, target: this });
    return add.call(this, type, ...rest);
  };
  const NativeEventSource = window.EventSource;
  if (NativeEventSource) {
    window.EventSource = class extends NativeEventSource {
      constructor(...args) {
        super(...args);
        state.eventSources.push(this);
      }
    };
  }
}

/**
 * A new isolated context (own cookies) and a page in it.
 * Collects the page's console errors and uncaught exceptions in `page.problems`, and its
 * Content Security Policy violations in `page.cspViolations`: closing the context throws
 * when there are any.
 */
export async function newPage(browser, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const violations = [];
  cspViolations.set(context, violations);
  context.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) violations.push(`console: ${msg.text()}`);
  });
  const close = context.close.bind(context);
  context.close = async (...args) => {
    await close(...args);
    cspViolations.delete(context);
    reportCspViolations(violations, 'this test');
  };
  if (contextOptions.javaScriptEnabled !== false) {
    await context.exposeBinding('__e2eCspViolation', (_source, violation) => violations.push(violation));
    await context.addInitScript(reportViolations);
    await context.addInitScript(instrument);
  }
  const page = await context.newPage();
  page.cspViolations = violations;
  page.problems = [];
  // Where the current document's problems start (see waitForHydration).
  page.documentProblems = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) page.documentProblems = page.problems.length;
  });
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') page.problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => page.problems.push(`requestfailed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) page.problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return { context, page };
}

/**
 * Waits until the WASM client has hydrated the elements matching `selector`: the
 * page has registered a `type` listener on each of them (or on document/window, for
 * delegated events). The server-rendered HTML registers none. Fails early when the
 * client's files are missing (HTTP 404 for /pkg/*.js or /pkg/*.wasm) or the page
 * throws an uncaught error.
 */
export async function waitForHydration(page, selector, type = 'submit', timeout = 30_000) {
  const start = Date.now();
  for (;;) {
    const hydrated = await page
      .evaluate(
        ({ selector, type }) => {
          const targets = [...document.querySelectorAll(selector)];
          if (targets.length === 0) return false;
          const listening = new Set(window.__e2e.listeners.filter((l) => l.type === type).map((l) => l.target));
          return listening.has(document) || listening.has(window) || targets.every((t) => listening.has(t));
        },
        { selector, type },
      )
      .catch(() => false); // e.g. the page is navigating
    if (hydrated) return Date.now() - start;
    // The client's files are missing, or it crashed: waiting longer would not help.
    const fatal = page.problems
      .slice(page.documentProblems)
      .filter((p) => /^HTTP 404: .*\/pkg\/.*\.(js|wasm)$/.test(p) || p.startsWith('pageerror'))
      .concat(page.cspViolations.map((v) => `Content Security Policy: ${v}`));
    if (fatal.length > 0 || Date.now() - start > timeout) {
      throw new Error(
        `the page did not hydrate "${selector}" (no ${type} listener after ${Date.now() - start} ms). ` +
          `Is the site in ${process.env.AUTOMAT_SITE_ROOT || 'AUTOMAT_SITE_ROOT'} built (scripts/build-site.sh) ` +
          'from the same sources as the server, and does the client start (see below)?\n' +
          `browser problems:\n  ${page.problems.join('\n  ') || '(none)'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the page has an open EventSource on `pathname`. */
export async function waitForEventSource(page, pathname, timeout = 30_000) {
  try {
    await page.waitForFunction(
      (pathname) =>
        window.__e2e.eventSources.some((s) => new URL(s.url).pathname === pathname && s.readyState === EventSource.OPEN),
      pathname,
      { timeout, polling: 50 },
    );
  } catch (err) {
    throw new Error(
      `no open EventSource on ${pathname} after ${timeout} ms\nbrowser problems:\n  ${page.problems.join('\n  ') || '(none)'}`,
      { cause: err },
    );
  }
}

/**
 * Polls `locator`'s trimmed text until it equals `expected` (a string) or matches it
 * (a RegExp). Works with JavaScript disabled too: the driver reads the text, not page
 * scripts. Returns the milliseconds it took.
 */
export async function waitForText(locator, expected, timeout = 15_000) {
  const start = Date.now();
  const ok = (text) => (expected instanceof RegExp ? expected.test(text ?? '') : text === expected);
  let last;
  for (;;) {
    try {
      last = (await locator.textContent({ timeout: 1_000 }))?.trim();
    } catch (err) {
      last = `<${err.message.split('\n')[0]}>`;
    }
    if (ok(last)) return Date.now() - start;
    if (Date.now() - start > timeout) {
      const want = expected instanceof RegExp ? String(expected) : JSON.stringify(expected);
      throw new Error(
        `${locator} text is ${JSON.stringify(last)}, expected ${want} (waited ${timeout} ms)\n` +
          `page: ${await describePage(locator.page())}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The page's address and the start of its text, for error messages. */
export async function describePage(page) {
  let text = '';
  try {
    text = (await page.locator('body').innerText({ timeout: 1_000 })).replace(/\s+/g, ' ').slice(0, 400);
  } catch (err) {
    text = `<${err.message.split('\n')[0]}>`;
  }
  return `${page.url()} ${JSON.stringify(text)}`;
}

/** Polls until the page's path is `pathname`; returns the milliseconds it took. */
export async function waitForPath(page, pathname, timeout = 15_000) {
  const start = Date.now();
  while (new URL(page.url()).pathname !== pathname) {
    if (Date.now() - start > timeout) {
      throw new Error(`expected path ${pathname} (waited ${timeout} ms); page: ${await describePage(page)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}
