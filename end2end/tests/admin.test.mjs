// Signing in to and out of the admin, once as a plain HTML form (no JavaScript) and
// once through the hydrated client.

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

  /** Signed out, these pages answer with a real HTTP redirect to the login page. */
  async function assertRedirectsToLogin(page, path) {
    const res = await page.goto(`${server.baseURL}${path}`);
    assert.equal(new URL(page.url()).pathname, '/admin/login', `${path} should redirect to /admin/login`);
    assert.ok(res.request().redirectedFrom(), `${path} should answer with an HTTP redirect, not a page`);
    assert.equal(res.status(), 200);
    assert.equal(await page.locator(LOGIN_FORM).count(), 1, 'the login form is missing');
  }

  for (const javaScript of [false, true]) {
    test(`sign in and out ${javaScript ? 'with' : 'without'} JavaScript`, () =>
      withLogs({ server }, async () => {
        const { context, page } = await newPage(browser, { javaScriptEnabled: javaScript });
        try {
          await assertRedirectsToLogin(page, '/admin');
          await assertRedirectsToLogin(page, '/admin/devices');
          if (javaScript) await waitForHydration(page, LOGIN_FORM);

          // Wrong password: an alert, and still signed out.
          await fillLogin(page, ADMIN_EMAIL, 'not-the-password');
          await waitForText(page.locator('[role=alert]'), /wrong email or password/i);
          assert.equal(new URL(page.url()).pathname, '/admin/login');
          assert.equal(await page.locator('[data-testid=admin-email]').count(), 0);

          // Right password: the devices page, with who is signed in.
          if (javaScript) await waitForHydration(page, LOGIN_FORM);
          await fillLogin(page, ADMIN_EMAIL, ADMIN_PASSWORD);
          await waitForPath(page, '/admin/devices');
          await waitForText(page.locator('[data-testid=admin-email]'), ADMIN_EMAIL);
          await waitForText(page.locator('main h1'), 'Devices');

          // /admin is the devices page too, now.
          await page.goto(`${server.baseURL}/admin`);
          assert.equal(new URL(page.url()).pathname, '/admin');
          await waitForText(page.locator('[data-testid=admin-email]'), ADMIN_EMAIL);

          // Sign out: back to the login page, and the admin is closed again.
          if (javaScript) await waitForHydration(page, 'header form');
          await page.getByRole('button', { name: 'Sign out' }).click();
          await waitForPath(page, '/admin/login');
          await waitForText(page.locator('main h1'), /sign in/i);
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
