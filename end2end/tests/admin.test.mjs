// Signing in to and out of the admin: as plain HTML forms (JavaScript disabled, each
// submit a full-page POST) and through the hydrated client (server functions called
// with fetch, no page loads).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForPath, waitForText } from '../support/browser.mjs';
import { LOGIN_FORM, fillLogin } from '../support/app.mjs';

describe('admin sign-in', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ simulatedMachines: 0 });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Records the page's form POSTs that load a new document. */
  function documentPosts(page) {
    const posts = [];
    page.on('request', (req) => {
      if (req.isNavigationRequest() && req.method() === 'POST') posts.push(new URL(req.url()).pathname);
    });
    return posts;
  }

  function assertPosts(posts, javaScript, count) {
    if (javaScript) assert.deepEqual(posts, [], 'with JavaScript, the forms should not load a new page');
    else assert.equal(posts.length, count, `expected ${count} form POST(s), saw ${JSON.stringify(posts)}`);
  }

  /** Signed out, these pages answer with a real HTTP redirect to the login page. */
  async function assertRedirectsToLogin(page, path) {
    const res = await page.goto(`${server.baseURL}${path}`);
    assert.equal(new URL(page.url()).pathname, '/admin/login', `${path} should redirect to /admin/login`);
    assert.ok(res.request().redirectedFrom(), `${path} should answer with an HTTP redirect, not a page`);
    assert.equal(res.status(), 200);
    assert.equal(await page.locator(LOGIN_FORM).count(), 1, 'the login form is missing');
  }

  test('signed out, the admin redirects to the login page', () =>
    withLogs({ server }, async () => {
      const { context, page } = await newPage(browser, { javaScriptEnabled: false });
      try {
        await assertRedirectsToLogin(page, '/admin');
        await assertRedirectsToLogin(page, '/admin/devices');
        const events = await context.request.get(`${server.baseURL}/admin/api/device-events`);
        assert.equal(events.status(), 401, 'the device event stream is open to anyone');
      } finally {
        await context.close();
      }
    }));

  for (const javaScript of [false, true]) {
    const how = javaScript ? 'with JavaScript' : 'without JavaScript';

    test(`a wrong password shows an alert (${how})`, () =>
      withLogs({ server }, async () => {
        const { context, page } = await newPage(browser, { javaScriptEnabled: javaScript });
        try {
          await page.goto(`${server.baseURL}/admin/login`);
          if (javaScript) await waitForHydration(page, LOGIN_FORM);
          const posts = documentPosts(page);
          await fillLogin(page, ADMIN_EMAIL, 'not-the-password');
          await waitForText(page.locator('[role=alert]'), /wrong email or password/i);
          assert.equal(new URL(page.url()).pathname, '/admin/login');
          assertPosts(posts, javaScript, 1);
          assert.equal(await page.locator('[data-testid=admin-email]').count(), 0);
          // Still signed out.
          await assertRedirectsToLogin(page, '/admin');
        } finally {
          await context.close();
        }
      }));

    test(`sign in, then sign out (${how})`, () =>
      withLogs({ server }, async () => {
        const { context, page } = await newPage(browser, { javaScriptEnabled: javaScript });
        try {
          await assertRedirectsToLogin(page, '/admin');
          if (javaScript) await waitForHydration(page, LOGIN_FORM);
          const posts = documentPosts(page);

          // Back to the page asked for (/admin, the overview), with who is signed in.
          await fillLogin(page, ADMIN_EMAIL, ADMIN_PASSWORD);
          await waitForPath(page, '/admin');
          await waitForText(page.locator('[data-testid=admin-email]'), ADMIN_EMAIL);
          await waitForText(page.locator('main h1'), 'Overview');
          assertPosts(posts, javaScript, 1);

          // The devices page is one click away, at /admin/devices.
          await page.goto(`${server.baseURL}/admin/devices`);
          assert.equal(new URL(page.url()).pathname, '/admin/devices');
          await waitForText(page.locator('main h1'), 'Devices');
          await waitForText(page.locator('[data-testid=admin-email]'), ADMIN_EMAIL);

          // Sign out: back to the login page, and the admin is closed again.
          if (javaScript) await waitForHydration(page, 'header form');
          await page.getByRole('button', { name: 'Sign out', exact: true }).click();
          await waitForPath(page, '/admin/login');
          await waitForText(page.locator('main h1'), /sign in/i);
          assertPosts(posts, javaScript, 2);
          await assertRedirectsToLogin(page, '/admin');
          await assertRedirectsToLogin(page, '/admin/devices');
          const events = await context.request.get(`${server.baseURL}/admin/api/device-events`);
          assert.equal(events.status(), 401, 'the device event stream is still open after signing out');

          if (javaScript) {
            const errors = page.problems.filter((p) => p.startsWith('pageerror'));
            assert.deepEqual(errors, [], 'uncaught errors in the page');
          }
        } finally {
          await context.close();
        }
      }));
  }
});
