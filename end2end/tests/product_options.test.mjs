// Product options in Chromium on a phone-sized screen: an operator gives a
// product two options in the editor (Size, Flavour), creates the variants
// they make and prices one; shoppers pick a variant by its values, with
// JavaScript (at once) and without (the picker's "Show" button), see the
// chosen one's price and add it to the cart; a combination not sold says so.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { admin } from '../support/payments.mjs';
import { launchBrowser, newPage, waitForHydration, waitForText } from '../support/browser.mjs';
import { signIn } from '../support/app.mjs';

const HANDLE = 'options-iced-tea';

describe('product options', () => {
  let server;
  let browser;
  let productId;

  before(async () => {
    server = await startServer({ simulatedMachines: 0 });
    browser = await launchBrowser();
    const { sales_channels: channels } = await admin(server, 'GET', '/admin/sales-channels?q=Online');
    ({ product: { id: productId } } = await admin(server, 'POST', '/admin/products', {
      title: 'Options Iced Tea',
      handle: HANDLE,
      status: 'published',
      sales_channels: [{ id: channels[0].id }],
      variants: [{ title: 'Can', sku: 'OPT-TEA-1', manage_inventory: false, prices: [{ currency_code: 'eur', amount: 2.5 }] }],
    }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const logged = (fn) => () => withLogs({ server }, fn);
  const picker = (page) => page.locator('[data-testid=option-picker]');
  const chosen = (page) => page.locator('[data-testid=chosen-variant]');

  test('an operator adds two options and creates their variants in the editor', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await signIn(page, server);
      await page.goto(`${server.baseURL}/admin/products/${productId}`);
      const section = page.locator('[data-testid=product-options]');
      await waitForText(section, /No options yet/);
      await waitForHydration(page, '[data-testid=add-option]');

      const add = section.locator('[data-testid=add-option]');
      await add.locator('input[name=title]').fill('Size');
      await add.locator('input[name=values]').fill('330 ml, 500 ml');
      await add.getByRole('button', { name: 'Add option' }).click();
      await waitForText(section.locator('.option-list'), /Save option/);
      await add.locator('input[name=title]').fill('Flavour');
      await add.locator('input[name=values]').fill('Lemon, Peach');
      await add.getByRole('button', { name: 'Add option' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.option-list li').length === 2);

      // A second option of a title the product has is refused, with the reason.
      await add.locator('input[name=title]').fill('Size');
      await add.locator('input[name=values]').fill('1 l');
      await add.getByRole('button', { name: 'Add option' }).click();
      await waitForText(section.locator('[role=alert]'), /already has an option Size/);

      // The one variant took the first values; three combinations are missing.
      await waitForText(section, /4 combinations; the product has 1 variants/);
      await section.getByRole('button', { name: 'Create the missing variants' }).click();
      const rows = page.locator('form[data-testid=product-form] table.variants tbody tr');
      // Four variants and the empty row for a new one.
      await page.waitForFunction(
        () => document.querySelectorAll('form[data-testid=product-form] table.variants tbody tr').length === 5,
      );
      const titles = await rows.locator('input[name$="[title]"]').evaluateAll((inputs) => inputs.map((i) => i.value));
      assert.deepEqual(titles.slice(0, 4), ['Can', '330 ml / Peach', '500 ml / Lemon', '500 ml / Peach']);
      assert.equal(await rows.nth(3).getByLabel('Size').inputValue(), '500 ml');
      assert.equal(await rows.nth(3).getByLabel('Flavour').inputValue(), 'Peach');
      assert.equal(await rows.nth(3).locator('input[name$="[price]"]').inputValue(), '2.50', 'the first variant\'s price');

      await rows.nth(3).locator('input[name$="[price]"]').fill('3.20');
      await page.locator('form[data-testid=product-form]').getByRole('button', { name: 'Save changes' }).click();
      await page.waitForFunction(
        () => document.querySelectorAll('form[data-testid=product-form] table.variants tbody tr')[3]
          ?.querySelector('input[name$="[price]"]')?.value === '3.20',
      );
      // Saved once the store has the new price.
      let product;
      for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
        ({ product } = await admin(server, 'GET', `/admin/products/${productId}`));
        const peach = product.variants.find((v) => v.title === '500 ml / Peach');
        if (peach.prices.some((p) => p.currency_code === 'eur' && p.amount === 3.2)) break;
        assert.ok(Date.now() - start < 15_000, `no new price: ${JSON.stringify(peach.prices)}`);
      }
      assert.deepEqual(product.options.map((o) => o.title), ['Size', 'Flavour']);
      assert.equal(product.variants.length, 4);
      assert.ok(product.variants.every((v) => !v.manage_inventory), 'stock untracked like the first variant\'s');
      const errors = page.problems.filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } finally {
      await context.close();
    }
  }));

  test('a shopper picks size and flavour and adds that variant to the cart', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${server.baseURL}/products/${HANDLE}`);
      await waitForHydration(page, 'form.add-to-cart');
      assert.deepEqual(await picker(page).locator('legend').allTextContents(), ['Size', 'Flavour']);
      await waitForText(chosen(page), /Can.*€2\.50/s);
      assert.equal(await picker(page).getByRole('button', { name: 'Show' }).isHidden(), true);

      await picker(page).getByLabel('500 ml').check();
      await picker(page).getByLabel('Peach').check();
      await waitForText(chosen(page), /500 ml \/ Peach.*€3\.20/s);
      assert.match(page.url(), /\?Size=500%20ml&Flavour=Peach$|\?Size=500\+ml&Flavour=Peach$/);
      await chosen(page).getByRole('button', { name: 'Add to cart' }).click();
      await waitForText(page.locator('[data-testid=cart-count]'), '1');
      const { product } = await admin(server, 'GET', `/admin/products/${productId}`);
      const peach = product.variants.find((v) => v.title === '500 ml / Peach');
      await page.goto(`${server.baseURL}/cart`);
      await waitForText(page.locator('[data-testid=cart-subtotal]'), '€3.20');
      assert.match(await page.locator('tr[data-testid=cart-line]').textContent(), /500 ml \/ Peach/);
      assert.ok(peach, 'the variant exists');
      const errors = page.problems.filter((p) => p.startsWith('pageerror'));
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } finally {
      await context.close();
    }
  }));

  test('without JavaScript the picker is a form; a combination not sold says so', logged(async () => {
    const { product } = await admin(server, 'GET', `/admin/products/${productId}`);
    const lemon = product.variants.find((v) => v.title === '500 ml / Lemon');
    await admin(server, 'DELETE', `/admin/products/${productId}/variants/${lemon.id}`);
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${server.baseURL}/products/${HANDLE}`);
      await picker(page).getByLabel('500 ml').check();
      await picker(page).getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(/Size=500/);
      await waitForText(chosen(page), /not sold/);
      assert.equal(await chosen(page).locator('form.add-to-cart').count(), 0);

      await picker(page).getByLabel('Peach').check();
      await picker(page).getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(/Flavour=Peach/);
      await waitForText(chosen(page), /500 ml \/ Peach.*€3\.20/s);
      await chosen(page).getByRole('button', { name: 'Add to cart' }).click();
      await page.waitForLoadState('load');
      await page.goto(`${server.baseURL}/cart`);
      await waitForText(page.locator('[data-testid=cart-subtotal]'), '€3.20');
    } finally {
      await context.close();
    }
  }));
});
