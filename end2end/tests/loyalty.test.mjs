// Loyalty at checkout: a member identifies by phone (shown masked, no balance),
// proves the phone with the code texted to it (the embedded default writes texts
// to the server log, where this test reads the code), picks an optional reward
// that costs points, the totals follow, and the confirmation shows the points;
// with the loyalty host unreachable the same checkout goes through without the panel.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort, startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForText } from '../support/browser.mjs';
import { checkOutWithPickup } from '../support/app.mjs';

const DEMO_MEMBER_PHONE = '+1 555 010 0001';
// The embedded loyalty simulator on a free port, so parallel servers never share one;
// texts (no SMS provider configured) logged where the test can read them.
const OWN_SIMULATOR = { AUTOMAT_LOYALTY_EMBEDDED_ADDR: '127.0.0.1:0', AUTOMAT_LOG: 'warn,server::sms=info' };

/** The latest one-time code the server texted (to its log), waiting for one. */
async function textedCode(server, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const codes = [...server.logs().matchAll(/(\d{6}) is your loyalty code/g)];
    if (codes.length > 0) return codes.at(-1)[1];
    await sleep(100);
  }
  throw new Error('no loyalty code in the server log');
}

/** Two cold brews in the cart, then the checkout page, hydrated. */
async function checkoutWithTwoColdBrews(page, server) {
  await page.goto(`${server.baseURL}/products/cold-brew-coffee`);
  await waitForHydration(page, 'form.add-to-cart');
  const add = page.locator('article.product-detail form.add-to-cart');
  await add.locator('input[name=quantity]').fill('2');
  await add.locator('button[type=submit]').click();
  await waitForText(page.locator('[data-testid=cart-count]'), '2');
  await page.goto(`${server.baseURL}/checkout`);
  await waitForHydration(page, 'section.checkout form');
}

async function placeOrder(page) {
  await checkOutWithPickup(page, { email: 'member.e2e@example.com' });
}

describe('loyalty', () => {
  let browser;
  const servers = [];

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    for (const server of servers) await server.stop();
  });

  async function serve(env) {
    const server = await startServer({ simulatedMachines: 0, env });
    servers.push(server);
    return server;
  }

  test('a member identifies by phone, verifies it by code, picks a reward, and the confirmation shows the points', async () => {
    const server = await serve(OWN_SIMULATOR);
    await withLogs({ server }, async () => {
      const { context, page } = await newPage(browser);
      try {
        await checkoutWithTwoColdBrews(page, server);
        const panel = page.locator('[data-testid=loyalty-panel]');
        await waitForText(panel.locator('[data-testid=loyalty-savings]'), '€0.00');
        await panel.locator('input[name=phone]').fill(DEMO_MEMBER_PHONE);
        await panel.getByRole('button', { name: 'Collect points' }).click();

        // A phone number alone: the member masked, points to earn, no balance.
        await waitForText(panel.locator('[data-testid=loyalty-member]'), '************5678');
        await waitForText(panel.locator('[data-testid=loyalty-instant]'), /cold brew/);
        await waitForText(panel.locator('[data-testid=loyalty-savings]'), '-€1.00');
        assert.equal(await panel.locator('[data-testid=loyalty-balance]').count(), 0, 'no balance before the code');
        assert.equal(await panel.locator('li[data-testid=loyalty-optional][data-reward^=ticket-10pct]').count(), 0);

        // "Use my points": a code texted to the phone, entered in the panel.
        await panel.getByRole('button', { name: 'Use my points' }).click();
        await waitForText(panel.locator('[data-testid=loyalty-code-sent]'), /ending in 01/);
        const code = await textedCode(server);
        await panel.locator('input[name=code]').fill(code);
        await panel.getByRole('button', { name: 'Verify' }).click();
        await waitForText(panel.locator('[data-testid=loyalty-balance]'), '1200');
        const before = (await panel.locator('[data-testid=loyalty-total]').textContent()).trim();

        const ticket = panel.locator('li[data-testid=loyalty-optional][data-reward^=ticket-10pct]');
        await waitForHydration(page, 'li[data-testid=loyalty-optional] form');
        await ticket.getByRole('button', { name: 'Choose' }).click();
        await waitForText(ticket.getByRole('button'), 'Remove');
        await waitForText(panel.locator('[data-testid=loyalty-savings]'), /^-€(?!1\.00$)\d+\.\d\d$/);
        const after = (await panel.locator('[data-testid=loyalty-total]').textContent()).trim();
        assert.notEqual(after, before, 'the chosen reward lowers the total');

        await placeOrder(page);
        const summary = page.locator('[data-testid=order-loyalty]');
        // Pending until the outbox has finalized the order with the host; the page checks again.
        await waitForText(summary.locator('[data-testid=loyalty-points-earned]'), /^\d+$/, 30_000);
        await waitForText(summary.locator('[data-testid=loyalty-new-balance]'), /^\d+$/);
        await waitForText(summary.locator('[data-testid=loyalty-redeemed]').filter({ hasText: '10%' }), /10% off the whole basket/);
        const errors = page.problems.filter((p) => p.startsWith('pageerror'));
        assert.deepEqual(errors, [], 'uncaught errors in the page');
      } finally {
        await context.close();
      }
    });
  });

  test('with the loyalty host unreachable the checkout goes on without the panel', async () => {
    // A loyalty host nobody listens at.
    const server = await serve({
      AUTOMAT_LOYALTY_URL: `http://127.0.0.1:${await freePort()}`,
      AUTOMAT_LOYALTY_CLIENT_ID: 'automat-demo',
      AUTOMAT_LOYALTY_CLIENT_SECRET: 'automat-demo-secret',
    });
    await withLogs({ server }, async () => {
      const { context, page } = await newPage(browser);
      try {
        await checkoutWithTwoColdBrews(page, server);
        assert.equal(await page.locator('[data-testid=loyalty-panel]').count(), 0, 'no loyalty panel');
        await placeOrder(page);
        await waitForText(page.locator('[data-testid=order-total]'), '€7.00');
        assert.equal(await page.locator('[data-testid=order-loyalty]').count(), 0);
      } finally {
        await context.close();
      }
    });
  });
});
