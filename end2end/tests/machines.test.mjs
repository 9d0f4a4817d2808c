// Buying at a vending machine: a signed-in shopper opens a machine from its page,
// the in-process simulated machine's shopper takes an item, and the purchase page
// shows the receipt; the purchase is in the account's order history.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForPath, waitForText } from '../support/browser.mjs';

describe('machines', () => {
  let server;
  let browser;

  before(async () => {
    // vm-001 runs in-process; its scripted shopper takes one unit from scale 1.
    server = await startServer({ simulatedMachines: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const logged = (fn) => () => withLogs({ server }, fn);

  test('a shopper opens a machine, takes an item and sees the receipt', logged(async () => {
    const { page, context } = await newPage(browser);
    try {
      await page.goto(`${server.baseURL}/machines/vm-001`);
      await waitForHydration(page, 'form:has(input[name=machine_id])');
      // Signed out, opening asks for a sign-in first and comes back.
      await page.getByRole('button', { name: 'Open the door' }).click();
      await waitForPath(page, '/account/login');
      await page.getByRole('link', { name: 'Create an account' }).click();
      await waitForPath(page, '/account/register');
      await waitForHydration(page, 'form:has(input[name=password])');
      await page.locator('input[name=email]').fill('vera.e2e@example.com');
      await page.locator('input[name=password]').fill('a long password');
      await page.getByRole('button', { name: 'Create account' }).click();
      await waitForPath(page, '/account');

      await page.locator('[data-testid=machines-link]').click();
      await waitForPath(page, '/machines');
      await page.locator('[data-testid=machine] a', { hasText: 'Vending machine 1' }).click();
      await waitForPath(page, '/machines/vm-001');
      await waitForText(page.locator('[data-testid=machine-status]'), 'online', 20_000);
      await waitForText(page.locator('[data-testid=machine-url]'), `${server.baseURL}/machines/vm-001`);
      await waitForHydration(page, 'form:has(input[name=machine_id])');
      await page.getByRole('button', { name: 'Open the door' }).click();
      await page.waitForURL(/\/machines\/vm-001\/sessions\/[^/]+$/, { timeout: 15_000 });

      await waitForText(page.locator('[data-testid=purchase-state]'), /Done/, 30_000);
      const receipt = page.locator('[data-testid=receipt]');
      await waitForText(page.locator('[data-testid=receipt-line]'), /Sparkling Water 0\.5 l\s*× 1\s*€1\.50/);
      await waitForText(receipt.locator('[data-testid=receipt-total]'), 'Total charged: €1.50');
      await waitForText(receipt.locator('[data-testid=hold-released]'), 'Hold released: €18.50');

      const errors = page.problems.filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(errors, [], 'uncaught errors in the purchase page');
      await page.goto(`${server.baseURL}/account`);
      await waitForText(page.locator('[data-testid=account-order]'), /1 item — €1\.50/);
      const laterErrors = page.problems.filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(laterErrors, [], 'uncaught errors in the account page');
    } finally {
      await context.close();
    }
  }));
});
