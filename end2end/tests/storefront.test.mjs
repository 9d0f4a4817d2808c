// The storefront: catalog and product pages, and adding to the cart with and
// without JavaScript. One server for the file; every test has its own browser
// context, so its own session cookie and cart.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForPath, waitForText } from '../support/browser.mjs';
import { checkOutWithPickup } from '../support/app.mjs';

const CART_COUNT = '[data-testid=cart-count]';
const CARD = 'li[data-testid=product-card]';

describe('storefront', () => {
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

  test('home lists products and a product page shows its title', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      const home = await page.goto(`${server.baseURL}/`);
      assert.equal(home.status(), 200);
      const cards = page.locator(CARD);
      const count = await cards.count();
      assert.ok(count >= 1, `expected at least one product card, found ${count}`);

      const first = cards.first();
      const title = (await first.locator('a.product-title').textContent()).trim();
      const href = await first.locator('a.product-title').getAttribute('href');
      assert.ok(title.length > 0, 'the first card has an empty title');
      assert.match(href, /^\/products\/[a-z0-9-]+$/);
      assert.match((await first.locator('.price').textContent()).trim(), /\d/);
      assert.equal(await first.locator('form.add-to-cart button[type=submit]').textContent(), 'Add to cart');

      const detail = await page.goto(`${server.baseURL}${href}`);
      assert.equal(detail.status(), 200);
      assert.equal((await page.locator('article.product-detail h1').textContent()).trim(), title);
      assert.ok((await page.locator('article.product-detail input[name=quantity]').count()) >= 1);

      // A well-known demo product, by its handle.
      await page.goto(`${server.baseURL}/products/sparkling-water`);
      assert.equal((await page.locator('article.product-detail h1').textContent()).trim(), 'Sparkling Water 0.5 l');

      const missing = await page.goto(`${server.baseURL}/products/no-such-product`);
      assert.equal(missing.status(), 404);
    } finally {
      await context.close();
    }
  }));

  test('add to cart without JavaScript: a form POST that reloads the page', logged(async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      const documentPosts = [];
      page.on('request', (req) => {
        if (req.isNavigationRequest() && req.method() === 'POST') documentPosts.push(req.url());
      });
      await page.goto(`${server.baseURL}/`);
      await waitForText(page.locator(CART_COUNT), '0');

      const add = page.locator(CARD).first().locator('form.add-to-cart button[type=submit]');
      await add.click();
      await page.waitForLoadState('load');
      await waitForText(page.locator(CART_COUNT), '1');
      assert.equal(documentPosts.length, 1, `expected one form POST, saw ${JSON.stringify(documentPosts)}`);
      assert.equal(new URL(page.url()).pathname, '/', 'the POST should redirect back to the page it came from');

      await page.locator(CARD).first().locator('form.add-to-cart button[type=submit]').click();
      await page.waitForLoadState('load');
      await waitForText(page.locator(CART_COUNT), '2');
      assert.equal(documentPosts.length, 2);

      // The product page's quantity field counts too.
      await page.goto(`${server.baseURL}/products/sparkling-water`);
      await waitForText(page.locator(CART_COUNT), '2');
      const form = page.locator('article.product-detail form.add-to-cart').first();
      await form.locator('input[name=quantity]').fill('3');
      await form.locator('button[type=submit]').click();
      await page.waitForLoadState('load');
      await waitForText(page.locator(CART_COUNT), '5');
      assert.equal(new URL(page.url()).pathname, '/products/sparkling-water');
    } finally {
      await context.close();
    }
  }));

  test('add to cart with JavaScript: the count updates without a reload', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.goto(`${server.baseURL}/`);
      await waitForHydration(page, 'form.add-to-cart');
      await waitForText(page.locator(CART_COUNT), '0');

      const navigations = [];
      page.on('request', (req) => {
        if (req.isNavigationRequest() && req.frame() === page.mainFrame()) navigations.push(`${req.method()} ${req.url()}`);
      });
      // The server function calls (POST /api/...) and how they were made.
      const calls = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname.startsWith('/api/')) calls.push(req.resourceType());
      });
      await page.evaluate(() => {
        window.__marker = 1;
      });

      await page.locator(CARD).first().locator('form.add-to-cart button[type=submit]').click();
      await waitForText(page.locator(CART_COUNT), '1');
      await page.locator(CARD).nth(1).locator('form.add-to-cart button[type=submit]').click();
      await waitForText(page.locator(CART_COUNT), '2');

      assert.equal(await page.evaluate(() => window.__marker), 1, 'the page was reloaded (window.__marker is gone)');
      assert.deepEqual(navigations, [], 'adding to the cart navigated the page');
      assert.equal(new URL(page.url()).pathname, '/');
      // Two adds, each followed by the header's refetch of the cart summary.
      assert.ok(calls.length >= 2, `expected server function calls, saw ${JSON.stringify(calls)}`);
      assert.ok(calls.every((type) => type === 'fetch'), `server functions should be called with fetch: ${JSON.stringify(calls)}`);
      const errors = page.problems.filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(errors, [], 'uncaught errors in the page');

      // The cart lives on the server: a fresh load shows the same count.
      await page.reload();
      await waitForText(page.locator(CART_COUNT), '2');
    } finally {
      await context.close();
    }
  }));

  for (const javaScriptEnabled of [false, true]) {
    test(`a shopper adds two items, edits the cart and checks out (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, logged(async () => {
      const { context, page } = await newPage(browser, { javaScriptEnabled });
      try {
        await page.goto(`${server.baseURL}/products/sparkling-water`);
        if (javaScriptEnabled) await waitForHydration(page, 'form.add-to-cart');
        await page.locator('article.product-detail input[name=quantity]').fill('2');
        await page.locator('article.product-detail form.add-to-cart button[type=submit]').click();
        await waitForText(page.locator(CART_COUNT), '2');
        await page.goto(`${server.baseURL}/products/apple`);
        if (javaScriptEnabled) await waitForHydration(page, 'form.add-to-cart');
        await page.locator('article.product-detail form.add-to-cart button[type=submit]').click();
        await waitForText(page.locator(CART_COUNT), '3');

        await page.locator('[data-testid=cart-link]').click();
        await waitForPath(page, '/cart');
        if (javaScriptEnabled) await waitForHydration(page, 'tr[data-testid=cart-line] form');
        await waitForText(page.locator('[data-testid=cart-subtotal]'), '€3.80');
        // Remove the apple.
        const apple = page.locator('tr[data-testid=cart-line]', { hasText: 'Apple' });
        await apple.locator('button', { hasText: 'Remove' }).click();
        await waitForText(page.locator('[data-testid=cart-subtotal]'), '€3.00');
        assert.equal(await page.locator('tr[data-testid=cart-line]').count(), 1);

        await page.locator('a', { hasText: 'Go to checkout' }).click();
        await waitForPath(page, '/checkout');
        if (javaScriptEnabled) await waitForHydration(page, 'section.checkout form');
        await waitForText(page.locator('[data-testid=checkout-total]'), '€3.00');
        await checkOutWithPickup(page, { email: 'shopper@example.com' });
        await waitForText(page.locator('[data-testid=order-total]'), '€3.00');
        assert.match(await page.locator('h1').textContent(), /Thank you for your order/);
        await waitForText(page.locator(CART_COUNT), '0');
        const errors = page.problems.filter((p) => p.startsWith('pageerror'));
        assert.deepEqual(errors, [], 'uncaught errors in the page');
      } finally {
        await context.close();
      }
    }));
  }
});
