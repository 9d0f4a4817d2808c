// The admin creates a product with a price and stock in the dashboard, and shoppers
// find it in the storefront: as a plain HTML form (JavaScript disabled) and through
// the hydrated client.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForText } from '../support/browser.mjs';
import { signIn } from '../support/app.mjs';

const EDITOR = 'form[data-testid=product-form]';

describe('admin products', () => {
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

  /** Waits until the page is a product's editor (`/admin/products/prod_…`). */
  async function waitForEditorOfNewProduct(page) {
    const start = Date.now();
    while (!/^\/admin\/products\/prod_/.test(new URL(page.url()).pathname)) {
      if (Date.now() - start > 15_000) throw new Error(`no product page after saving; at ${page.url()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  for (const javaScript of [false, true]) {
    const how = javaScript ? 'with JavaScript' : 'without JavaScript';
    const title = javaScript ? 'Hydrated Hazelnut Bar' : 'Plain Pistachio Bar';
    const handle = javaScript ? 'hydrated-hazelnut-bar' : 'plain-pistachio-bar';

    test(`a product created in the dashboard is sold in the storefront (${how})`, () =>
      withLogs({ server }, async () => {
        const { context, page } = await newPage(browser, { javaScriptEnabled: javaScript });
        try {
          await signIn(page, server, { javaScript });
          await page.goto(`${server.baseURL}/admin/products`);
          await waitForText(page.locator('main h1'), 'Products');
          assert.ok(await page.locator('[data-testid=products-table] tbody tr').count() > 0, 'the demo products are listed');

          await page.locator('[data-testid=new-product]').click();
          await waitForText(page.locator('main h1'), 'New product');
          if (javaScript) await waitForHydration(page, EDITOR);
          const form = page.locator(EDITOR);
          await form.locator('input[name=title]').fill(title);
          await form.locator('textarea[name=description]').fill('Crunchy, with sea salt.');
          await form.locator('select[name=status]').selectOption('published');
          await form.getByLabel('Online store').check();
          await form.locator('input[name="variants[0][sku]"]').fill(handle.toUpperCase());
          await form.locator('input[name="variants[0][price]"]').fill('2.40');
          await form.locator('input[name="variants[0][weight]"]').fill('60');
          const headers = await form.locator('table.variants thead th').allTextContents();
          const warehouse = headers.findIndex((h) => h.trim() === 'Stock: Warehouse');
          assert.ok(warehouse >= 0, `a Warehouse stock column in ${JSON.stringify(headers)}`);
          await form.locator('table.variants tbody tr').first().locator('td').nth(warehouse).locator('input').fill('12');
          await form.getByRole('button', { name: 'Create product' }).click();

          await waitForEditorOfNewProduct(page);
          await waitForText(page.locator('main h1'), title);
          assert.equal(await page.locator('input[name="variants[0][price]"]').inputValue(), '2.40');

          const listed = page.locator(`[data-testid=products-table] tr[data-product=${handle}]`);
          await page.goto(`${server.baseURL}/admin/products?q=${encodeURIComponent(title)}`);
          await waitForText(listed.locator('td').nth(2), 'published');

          await page.goto(`${server.baseURL}/products/${handle}`);
          await waitForText(page.locator('main h1'), title);
          await waitForText(page.locator('main'), /€2\.40/);

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
