// The vending dashboard: an admin puts a product on one of vm-001's scales and syncs
// it (the machine applies it); a shopper buys at vm-001 and sees the receipt; the
// admin finds that session in the preview with its timeline; and a machine whose
// separate simulator process dies shows as offline on its page.

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

describe('vending admin', () => {
  let server;
  let browser;
  let simulator;

  before(async () => {
    // vm-001 runs in-process (its shopper takes one water from scale 1); vm-002 and
    // vm-003 are registered, and vm-003 gets its own simulator process below.
    server = await startServer({ simulatedMachines: 1, heartbeatSecs: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    await simulator?.stop();
    await browser?.close();
    await server?.stop();
  });

  const logs = { server: () => server?.logs(), simulator: () => simulator?.logs() };

  test('assign and sync, a purchase, its timeline, and a machine going offline', () =>
    withLogs(logs, async () => {
      const admin = await newPage(browser);
      const shopper = await newPage(browser);
      try {
        const page = admin.page;
        await signIn(page, server);
        await page.locator('a[href="/admin/devices/vm-001"]').click();
        await waitForPath(page, '/admin/devices/vm-001');
        await waitForHydration(page, '[data-testid=sync-form]');

        // A heavy product on the last scale, clear of what the shopper takes.
        const scale = page.locator('section.scale').last();
        const assigned = await scale.locator('.assignment').evaluateAll((els) => els.map((e) => e.dataset.variant));
        const form = scale.locator('form:has(select[name=variant_id])');
        const choices = await form.locator('option').evaluateAll((els) => els.map((e) => e.value));
        const variant = choices.find((v) => !assigned.includes(v));
        assert.ok(variant, 'a product not yet on the scale');
        await form.locator('select[name=variant_id]').selectOption(variant);
        await form.locator('input[name=unit_weight_g]').fill('5000');
        await form.locator('input[name=min_weight_g]').fill('4990');
        await form.locator('input[name=max_weight_g]').fill('5010');
        await form.getByRole('button', { name: 'Add to scale' }).click();
        await scale.locator(`.assignment[data-variant="${variant}"]`).waitFor();

        await page.getByRole('button', { name: 'Sync to machine' }).click();
        await waitForText(page.locator('[data-testid=sync-status]'), 'applied', 30_000);

        // The shopper's purchase, as in machines.test.mjs.
        const buyer = shopper.page;
        await buyer.goto(`${server.baseURL}/account/register`);
        await waitForHydration(buyer, 'form:has(input[name=password])');
        await buyer.locator('input[name=email]').fill('walt.e2e@example.com');
        await buyer.locator('input[name=password]').fill('a long password');
        await buyer.getByRole('button', { name: 'Create account' }).click();
        await waitForPath(buyer, '/account');
        await buyer.goto(`${server.baseURL}/machines/vm-001`);
        await waitForText(buyer.locator('[data-testid=machine-status]'), 'online', 20_000);
        await waitForHydration(buyer, 'form:has(input[name=machine_id])');
        await buyer.getByRole('button', { name: 'Open the door' }).click();
        await buyer.waitForURL(/\/machines\/vm-001\/sessions\/[^/]+$/, { timeout: 15_000 });
        const sessionId = new URL(buyer.url()).pathname.split('/').pop();
        await waitForText(buyer.locator('[data-testid=purchase-state]'), /Done/, 30_000);
        await waitForText(buyer.locator('[data-testid=receipt-line]'), /Sparkling Water 0\.5 l\s*× 1\s*€1\.50/);

        // The admin finds it in the session preview, with its timeline.
        await page.getByRole('link', { name: 'Sessions' }).click();
        await waitForPath(page, '/admin/vending/sessions');
        await page.locator(`tr[data-session="${sessionId}"] a`, { hasText: sessionId }).click();
        await waitForPath(page, `/admin/vending/sessions/${sessionId}`);
        await waitForText(page.locator('[data-testid=session-state]'), 'settled');
        const timeline = page.locator('[data-testid=timeline]');
        for (const kind of ['open_door', 'door_opened', 'door_closed']) {
          await timeline.locator(`li[data-kind=${kind}]`).first().waitFor();
        }

        // A machine in its own process comes online, then dies.
        simulator = startSimulator(server, { machines: 1, first: 3, heartbeatSecs: 1 });
        await page.goto(`${server.baseURL}/admin/devices/vm-003`);
        await waitForEventSource(page, '/admin/api/device-events');
        await waitForText(page.locator('[data-testid=device-status]'), 'online', 20_000);
        await simulator.kill('SIGKILL');
        await waitForText(page.locator('[data-testid=device-status]'), 'offline', 15_000);

        for (const p of [page, buyer]) {
          const errors = p.problems.filter((problem) => problem.startsWith('pageerror'));
          assert.deepEqual(errors, [], `uncaught errors in ${p.url()}`);
        }
      } finally {
        await admin.context.close();
        await shopper.context.close();
      }
    }));
});
