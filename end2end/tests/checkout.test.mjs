// The whole shopping trip: a shopper registers, browses the catalog, puts two
// different products in the cart, applies a promotion code, checks out with
// pick-up at a vending machine, sees the confirmation with its totals and then
// finds the order in the account's order history.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForPath, waitForText } from '../support/browser.mjs';
import { checkOutWithPickup } from '../support/app.mjs';

const CART_COUNT = '[data-testid=cart-count]';
const CARD = 'li[data-testid=product-card]';

describe('checkout', () => {
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

  test('a registered shopper buys two products for pick-up at a machine', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.goto(`${server.baseURL}/account/register`);
      await waitForHydration(page, 'form:has(input[name=password])');
      await page.locator('input[name=first_name]').fill('Grace');
      await page.locator('input[name=last_name]').fill('Hopper');
      await page.locator('input[name=email]').fill('grace.e2e@example.com');
      await page.locator('input[name=password]').fill('a long password');
      await page.getByRole('button', { name: 'Create account' }).click();
      await waitForPath(page, '/account');
      await waitForText(page.locator('[data-testid=no-orders]'), /No orders yet/);

      // The catalog: one product added from its card, another from its own page.
      await page.goto(`${server.baseURL}/`);
      await waitForHydration(page, 'form.add-to-cart');
      await page.locator(CARD, { hasText: 'Sparkling Water 0.5 l' }).locator('form.add-to-cart button[type=submit]').click();
      await waitForText(page.locator(CART_COUNT), '1');
      await page.locator(CARD, { hasText: 'Apple' }).locator('a.product-title').click();
      await waitForPath(page, '/products/apple');
      await waitForHydration(page, 'form.add-to-cart');
      await page.locator('article.product-detail form.add-to-cart button[type=submit]').click();
      await waitForText(page.locator(CART_COUNT), '2');

      // The cart: €1.50 + €0.80, then 10 % off with the demo code.
      await page.locator('[data-testid=cart-link]').click();
      await waitForPath(page, '/cart');
      await waitForHydration(page, 'section.promo-codes form');
      assert.equal(await page.locator('tr[data-testid=cart-line]').count(), 2);
      await waitForText(page.locator('[data-testid=cart-subtotal]'), '€2.30');
      await page.locator('section.promo-codes input[name=code]').fill('NOSUCHCODE');
      await page.getByRole('button', { name: 'Apply' }).click();
      await waitForText(page.locator('[data-testid=promo-error]'), 'the promotion code NOSUCHCODE is invalid');
      await page.locator('section.promo-codes input[name=code]').fill('welcome10');
      await page.getByRole('button', { name: 'Apply' }).click();
      await waitForText(page.locator('[data-testid=cart-discount]'), '-€0.23');
      await waitForText(page.locator('[data-testid=cart-total]'), '€2.07');
      await waitForText(page.locator('[data-testid=promo-code] code'), 'WELCOME10');

      // Checkout: the account's email is already there; pick-up needs no address.
      await page.locator('a', { hasText: 'Go to checkout' }).click();
      await waitForPath(page, '/checkout');
      await waitForHydration(page, 'section.checkout form');
      assert.equal(await page.locator('input[name=email]').inputValue(), 'grace.e2e@example.com');
      const options = await page.locator('[data-testid=shipping-option]').allTextContents();
      assert.ok(options.some((o) => o.includes('Pick up at Vending machine 2')), `pick-up offered: ${options}`);
      assert.ok(options.some((o) => o.includes('Standard delivery')), `delivery offered: ${options}`);
      await waitForText(page.locator('[data-testid=checkout-total]'), '€2.07');
      assert.equal(await page.locator('input[name=address_1]').count(), 0, 'no address asked before a delivery is chosen');
      await checkOutWithPickup(page, { email: 'grace.e2e@example.com', machine: 'Vending machine 2' });

      // The confirmation.
      assert.match(await page.locator('h1').textContent(), /Thank you for your order/);
      const orderId = (await page.locator('[data-testid=order-id]').textContent()).trim();
      await waitForText(page.locator('[data-testid=order-shipping-method]'), 'Pick up at Vending machine 2');
      assert.equal(await page.locator('[data-testid=order-shipping-address]').count(), 0);
      await waitForText(page.locator('[data-testid=order-subtotal]'), '€2.30');
      await waitForText(page.locator('[data-testid=order-discount]'), '-€0.23');
      await waitForText(page.locator('[data-testid=order-shipping]'), 'Free');
      await waitForText(page.locator('[data-testid=order-total]'), '€2.07');
      await waitForText(page.locator(CART_COUNT), '0');

      // The order history.
      await page.locator('[data-testid=account-link]').click();
      await waitForPath(page, '/account');
      const entry = page.locator('[data-testid=account-order]');
      await waitForText(entry, new RegExp(`${orderId}.*2 items.*€2\\.07`));
      assert.equal(await entry.count(), 1);

      const errors = page.problems.filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } finally {
      await context.close();
    }
  }));
});
