// Orders after checkout: a registered shopper finds their order in the account's
// order history, and an admin cancels it from the dashboard.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForPath, waitForText } from '../support/browser.mjs';
import { checkOutWithPickup, signIn } from '../support/app.mjs';

describe('orders', () => {
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

  const logged = (fn) => () => withLogs({ server }, fn);

  test('a shopper registers, orders, sees the order in the history; an admin cancels it', logged(async () => {
    const shopper = await newPage(browser);
    const admin = await newPage(browser);
    try {
      const { page } = shopper;
      await page.goto(`${server.baseURL}/account/register`);
      await waitForHydration(page, 'form:has(input[name=password])');
      await page.locator('input[name=first_name]').fill('Ada');
      await page.locator('input[name=last_name]').fill('Lovelace');
      await page.locator('input[name=email]').fill('ada.e2e@example.com');
      await page.locator('input[name=password]').fill('a long password');
      await page.getByRole('button', { name: 'Create account' }).click();
      await waitForPath(page, '/account');
      await waitForText(page.locator('[data-testid=no-orders]'), /No orders yet/);

      await page.goto(`${server.baseURL}/products/sparkling-water`);
      await waitForHydration(page, 'form.add-to-cart');
      await page.locator('article.product-detail form.add-to-cart button[type=submit]').click();
      await waitForText(page.locator('[data-testid=cart-count]'), '1');
      await page.goto(`${server.baseURL}/checkout`);
      await waitForHydration(page, 'section.checkout form');
      await checkOutWithPickup(page, { email: 'ada.e2e@example.com' });
      const orderId = (await page.locator('[data-testid=order-id]').textContent()).trim();

      await page.locator('[data-testid=account-link]').click();
      await waitForPath(page, '/account');
      const entry = page.locator('[data-testid=account-order]');
      await waitForText(entry, new RegExp(orderId));
      assert.equal(await entry.count(), 1);
      await entry.locator('a').click();
      await waitForPath(page, `/orders/${orderId}`);
      await waitForText(page.locator('[data-testid=order-total]'), '€1.50');

      await signIn(admin.page, server);
      await admin.page.goto(`${server.baseURL}/admin/orders`);
      const row = admin.page.locator('tr[data-testid=order-row]', { hasText: orderId });
      await waitForText(row, /ada\.e2e@example\.com/);
      await row.locator('a').click();
      await waitForPath(admin.page, `/admin/orders/${orderId}`);
      await waitForHydration(admin.page, 'form:has(input[name=id])');
      await admin.page.getByRole('button', { name: /Cancel order/ }).click();
      await waitForText(admin.page.locator('[data-testid=order-status]'), 'canceled');
      await waitForText(admin.page.locator('[data-testid=payment-status]'), 'canceled');

      await page.reload();
      await waitForText(page.locator('[data-testid=order-canceled]'), /canceled/);
      const errors = [...page.problems, ...admin.page.problems].filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(errors, [], 'uncaught errors in the pages');
    } finally {
      await shopper.context.close();
      await admin.context.close();
    }
  }));

  test('an admin fulfils and ships an order; the shopper returns an item; the admin receives and refunds it', logged(async () => {
    const shopper = await newPage(browser);
    const admin = await newPage(browser);
    try {
      const { page } = shopper;
      await page.goto(`${server.baseURL}/account/register`);
      await waitForHydration(page, 'form:has(input[name=password])');
      await page.locator('input[name=first_name]').fill('Grace');
      await page.locator('input[name=last_name]').fill('Hopper');
      await page.locator('input[name=email]').fill('grace.e2e@example.com');
      await page.locator('input[name=password]').fill('a long password');
      await page.getByRole('button', { name: 'Create account' }).click();
      await waitForPath(page, '/account');
      await page.goto(`${server.baseURL}/products/sparkling-water`);
      await waitForHydration(page, 'form.add-to-cart');
      const addButton = page.locator('article.product-detail form.add-to-cart button[type=submit]');
      await addButton.click();
      await waitForText(page.locator('[data-testid=cart-count]'), '1');
      await addButton.click();
      await waitForText(page.locator('[data-testid=cart-count]'), '2');
      await page.goto(`${server.baseURL}/checkout`);
      await waitForHydration(page, 'section.checkout form');
      await checkOutWithPickup(page, { email: 'grace.e2e@example.com' });
      const orderId = (await page.locator('[data-testid=order-id]').textContent()).trim();

      await signIn(admin.page, server);
      await admin.page.goto(`${server.baseURL}/admin/orders/${orderId}`);
      await waitForHydration(admin.page, 'form:has(input[name=id])');
      await admin.page.getByRole('button', { name: 'Fulfil order' }).click();
      await waitForText(admin.page.locator('[data-testid=order-status]'), 'completed');
      await admin.page.locator('input[name=tracking_number]').fill('E2E-TRACK');
      await admin.page.getByRole('button', { name: 'Mark shipped' }).click();
      await waitForText(admin.page.locator('[data-testid=tracking]'), 'E2E-TRACK');

      await page.reload();
      await waitForText(page.locator('[data-testid=order-tracking]'), 'E2E-TRACK');
      await waitForHydration(page, 'form.return-form');
      await page.locator('form.return-form input[name=quantity]').fill('1');
      await page.getByRole('button', { name: 'Ask to return' }).click();
      await waitForText(page.locator('[data-testid=shopper-return]'), /asked for/);

      await admin.page.reload();
      await waitForHydration(admin.page, 'form:has(input[name=return_id])');
      await waitForText(admin.page.locator('[data-testid=return-status]'), 'requested');
      await admin.page.getByRole('button', { name: 'Receive and refund' }).click();
      await waitForText(admin.page.locator('[data-testid=return-status]'), 'received');
      await waitForText(admin.page.locator('[data-testid=payment-status]'), 'partially_refunded');

      await page.reload();
      await waitForText(page.locator('[data-testid=shopper-return]'), /received, €1\.50 refunded/);
      const errors = [...page.problems, ...admin.page.problems].filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(errors, [], 'uncaught errors in the pages');
    } finally {
      await shopper.context.close();
      await admin.context.close();
    }
  }));
});
