// The machine's page live and the vending follow-ups: scale weights, mode and door
// follow the device event stream without a reload; an admin issues a machine's MQTT
// credentials (shown once); a machine going offline raises an alert the admin
// acknowledges; after the open-door redirect the shopper's Account link works; and a
// return credits the empty bottle the machine's returner puts back, listed in the account.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, startSimulator, withLogs } from '../support/server.mjs';
import {
  launchBrowser,
  newPage,
  waitForEventSource,
  waitForHydration,
  waitForPath,
  waitForText,
} from '../support/browser.mjs';
import { signIn } from '../support/app.mjs';

describe('vending live', () => {
  let server;
  let browser;
  let simulator;

  before(async () => {
    // vm-001 runs in-process (a service visit keeps its door open until service is
    // turned off); vm-002 and vm-003 are registered, vm-003 gets its own process below.
    server = await startServer({ simulatedMachines: 1, heartbeatSecs: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    await simulator?.stop();
    await browser?.close();
    await server?.stop();
  });

  const logged = (fn) => () => withLogs({ server: () => server?.logs(), simulator: () => simulator?.logs() }, fn);

  const noPageErrors = (page) =>
    assert.deepEqual(page.problems.filter((p) => p.startsWith('pageerror')), [], `uncaught errors in ${page.url()}`);

  test('the device page follows mode, door and scale weights live', logged(async () => {
    const { page, context } = await newPage(browser);
    try {
      await signIn(page, server);
      await page.goto(`${server.baseURL}/admin/devices/vm-001`);
      await waitForHydration(page, '[data-testid=service-form]');
      await waitForEventSource(page, '/admin/api/device-events');
      await waitForText(page.locator('[data-testid=door-state]'), 'closed');
      // Marks this document: a reload or a full navigation would lose it.
      await page.evaluate(() => {
        window.__sameDocument = true;
      });

      // Service mode turned on elsewhere (not through this page's form, which
      // would reload the machine): only the event stream can tell this page.
      const turnedOn = await page.evaluate(async () => {
        const res = await fetch('/api/admin/devices/service', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'device_id=vm-001&turn=on',
        });
        return res.status;
      });
      assert.ok(turnedOn < 400, `service mode turned on (HTTP ${turnedOn})`);
      await waitForText(page.locator('[data-testid=door-state]'), 'open', 20_000);
      await waitForText(page.locator('[data-testid=device-mode]'), 'service');
      const weights = page.locator('[data-testid=scale-weights] tbody tr');
      await weights.first().waitFor();
      const opening = await weights.allTextContents();
      assert.ok(opening.length > 0, 'the weights at opening are shown');

      await page.getByRole('button', { name: 'Turn service mode off' }).click();
      await waitForText(page.locator('[data-testid=device-mode]'), 'idle', 20_000);
      await waitForText(page.locator('[data-testid=door-state]'), 'closed');
      // The service visit took a unit out: the weights after closing differ.
      await page.waitForFunction(
        (before) =>
          JSON.stringify([...document.querySelectorAll('[data-testid=scale-weights] tbody tr')].map((r) => r.textContent)) !==
          JSON.stringify(before),
        opening,
        { timeout: 15_000 },
      );
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));

  test('an admin issues MQTT credentials and sees the password once, on the page it leads to', logged(async () => {
    const { page, context } = await newPage(browser);
    try {
      await signIn(page, server);
      await page.goto(`${server.baseURL}/admin/devices/vm-002`);
      await waitForHydration(page, '[data-testid=credentials-form]');
      await page.getByRole('button', { name: 'Issue new credentials' }).click();
      const issued = page.locator('[data-testid=issued-credentials]');
      await waitForText(issued.locator('[data-testid=credentials-username]'), 'vm-002');
      await waitForText(issued, /shown only this once/);
      const password = (await issued.locator('[data-testid=credentials-password]').textContent()).trim();
      assert.ok(password.length >= 16, `a password: ${password}`);

      const shownAt = page.url();
      assert.match(new URL(shownAt).search, /^\?issued=/);

      // Shown once: neither their own address loaded again nor the machine's page shows them.
      for (const url of [shownAt, `${server.baseURL}/admin/devices/vm-002`]) {
        await page.goto(url);
        await waitForHydration(page, '[data-testid=credentials-form]');
        assert.equal(await page.locator('[data-testid=issued-credentials]').count(), 0, `not shown again at ${url}`);
        assert.ok(!(await page.content()).includes(password));
      }
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));

  test('a machine going offline raises an alert the admin acknowledges', logged(async () => {
    const { page, context } = await newPage(browser);
    try {
      await signIn(page, server);
      simulator = startSimulator(server, { machines: 1, first: 3, heartbeatSecs: 1 });
      await page.goto(`${server.baseURL}/admin/devices/vm-003`);
      await waitForEventSource(page, '/admin/api/device-events');
      await waitForText(page.locator('[data-testid=device-status]'), 'online', 20_000);
      await simulator.kill('SIGKILL');
      await waitForText(page.locator('[data-testid=device-status]'), 'offline', 15_000);

      await page.goto(`${server.baseURL}/admin/alerts`);
      const alert = page.locator('[data-testid=alert-row]', { hasText: 'vm-003' }).filter({ hasText: 'device_offline' });
      await alert.waitFor();
      await waitForText(alert.locator('td').nth(4), 'open');
      await waitForHydration(page, '[data-testid=alert-row] form');
      await alert.getByRole('button', { name: 'Acknowledge' }).click();
      await waitForText(alert.locator('td').last(), 'acknowledged');
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));

  test("after the open-door redirect the Account link works, and a return's credit is listed there", logged(async () => {
    const { page, context } = await newPage(browser);
    try {
      await page.goto(`${server.baseURL}/account/register`);
      await waitForHydration(page, 'form:has(input[name=password])');
      await page.locator('input[name=email]').fill('otto.e2e@example.com');
      await page.locator('input[name=password]').fill('a long password');
      await page.getByRole('button', { name: 'Create account' }).click();
      await waitForPath(page, '/account');

      await page.goto(`${server.baseURL}/machines/vm-001`);
      await waitForText(page.locator('[data-testid=machine-status]'), 'online', 20_000);
      await waitForHydration(page, 'form:has(input[name=machine_id])');
      await page.evaluate(() => {
        window.__sameDocument = true;
      });
      await page.getByRole('button', { name: 'Open the door' }).click();
      await page.waitForURL(/\/machines\/vm-001\/sessions\/[^/]+$/, { timeout: 15_000 });
      const purchase = page.url();

      // At once, while the purchase is under way: the client-rendered page must not
      // reload itself (its no-JavaScript refresh) and swallow the navigation.
      await page.locator('[data-testid=account-link]').click();
      await waitForPath(page, '/account');
      await waitForText(page.locator('[data-testid=account-email]'), 'otto.e2e@example.com');
      await page.waitForTimeout(3_000);
      assert.equal(new URL(page.url()).pathname, '/account', 'still on the account page');
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload since the machine page');
      await page.locator('[data-testid=no-deposit-credits]').waitFor();

      await page.goto(purchase);
      await waitForText(page.locator('[data-testid=purchase-state]'), /Done/, 30_000);

      // A return: the machine's returner puts an empty bottle back on its scale.
      await page.goto(`${server.baseURL}/machines/vm-001`);
      await waitForHydration(page, 'form:has([data-testid=return-containers])');
      await page.getByRole('button', { name: 'Return containers' }).click();
      await page.waitForURL(/\/machines\/vm-001\/sessions\/[^/]+$/, { timeout: 15_000 });
      await waitForText(page.locator('[data-testid=deposit-credit]'), 'Deposit credited: €0.25', 30_000);

      await page.locator('[data-testid=account-link]').click();
      await waitForPath(page, '/account');
      const credit = page.locator('[data-testid=deposit-credit-row]');
      await waitForText(credit, /Vending machine 1\s*Sparkling Water 0\.5 l.*1\s*€0\.25/);
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));
});
