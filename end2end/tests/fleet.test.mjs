// An operator's fleet work in the admin, in Chromium: adding a machine (its
// credentials shown once, its QR code, its storefront page), and par levels
// on a demo machine that make the printable pick list.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForPath, waitForText } from '../support/browser.mjs';
import { signIn } from '../support/app.mjs';
import { noPageErrors } from '../support/payments.mjs';

describe('fleet', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ simulatedMachines: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const logged = (fn) => () => withLogs({ server }, fn);

  test('an operator adds a machine: credentials once, a QR code, a storefront page', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await signIn(page, server);
      await waitForHydration(page, '[data-testid=add-machine-form]');
      const form = page.locator('[data-testid=add-machine-form]');
      await form.locator('input[name=id]').fill('vm-e2e-1');
      await form.locator('input[name=name]').fill('Lobby fridge');
      await form.locator('input[name=address]').fill('Main Street 1, Vienna');
      await form.locator('input[name=latitude]').fill('48.2082');
      await form.locator('input[name=longitude]').fill('16.3738');
      await form.locator('textarea[name=lockers]').fill('A:1,2\nB:3');
      await form.getByRole('button', { name: 'Add machine' }).click();
      await waitForPath(page, '/admin/devices/vm-e2e-1');
      await waitForText(page.locator('[data-testid=credentials-username]'), 'vm-e2e-1');
      await waitForText(page.locator('[data-testid=device-address]'), 'Main Street 1, Vienna');
      await waitForText(page.locator('[data-testid=device-lockers]'), /A.*B/s);

      const qrPath = await page.locator('[data-testid=qr-code-link]').getAttribute('href');
      const qr = await page.request.get(`${server.baseURL}${qrPath}`);
      assert.equal(qr.status(), 200);
      assert.match(qr.headers()['content-type'], /image\/svg\+xml/);
      assert.match(await qr.text(), /<svg/);

      // The same machine twice is refused, and the page says why.
      await page.goto(`${server.baseURL}/admin/devices`);
      await waitForHydration(page, '[data-testid=add-machine-form]');
      await form.locator('input[name=id]').fill('vm-e2e-1');
      await form.locator('input[name=name]').fill('Again');
      await form.locator('textarea[name=lockers]').fill('A:1');
      await form.getByRole('button', { name: 'Add machine' }).click();
      await waitForText(page.locator('[data-testid=add-machine-error]'), /vm-e2e-1/);
      await page.reload();
      assert.equal(await page.locator('tr[data-device=vm-e2e-1]').count(), 1, 'listed once');

      await page.goto(`${server.baseURL}/machines/vm-e2e-1`);
      await waitForText(page.locator('h1'), 'Lobby fridge');
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));

  test('par levels on a machine make the printable pick list', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await signIn(page, server);
      await page.goto(`${server.baseURL}/admin/devices/vm-001`);
      await waitForHydration(page, '[data-testid=par-level-row] form');
      const row = page.locator('[data-testid=par-level-row]').first();
      const product = (await row.locator('td').nth(0).textContent()).trim();
      const inStock = Number((await row.locator('td').nth(1).textContent()).trim());
      await row.locator('input[name=par_level]').fill(String(inStock + 4));
      await row.locator('input[name=low_stock_at]').fill(String(inStock + 1));
      await row.getByRole('button', { name: 'Save' }).click();
      await waitForText(row.locator('td').nth(4), '4');
      assert.match(await row.getAttribute('class'), /low/, 'below its low mark');

      await page.getByRole('link', { name: 'Pick list for this machine' }).click();
      await waitForPath(page, '/admin/pick-list');
      const machine = page.locator('[data-testid=pick-machine]');
      await machine.first().waitFor();
      assert.equal(await machine.count(), 1, 'the one machine asked for');
      await waitForText(machine.locator('[data-testid=pick-line]', { hasText: product }), /4/);
      const totals = await page.locator('[data-testid=pick-totals]').textContent();
      assert.ok(totals.includes(product), `the route's totals: ${totals}`);
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));
});
