// The devices page follows the machines live (server-sent events): a simulated
// machine in a separate process comes online, goes offline when the process is
// killed (MQTT last will) and comes back, all without reloading the page.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, startSimulator, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForEventSource, waitForText } from '../support/browser.mjs';
import { signIn } from '../support/app.mjs';

const OFFLINE_WITHIN_MS = 5_000;
const badge = (page, id) => page.locator(`tr[data-device=${id}] [data-testid=status-${id}]`);

describe('devices', () => {
  let server;
  let browser;
  let simulator;
  const simulatorLogs = [];

  before(async () => {
    // Three machines registered (vm-001..vm-003) but none simulated in-process, so
    // the test owns the only one that ever connects: vm-003, in its own process.
    server = await startServer({ simulatedMachines: 0, seedMachines: 3, heartbeatSecs: 1 });
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await simulator?.stop();
    simulator = undefined;
  });

  after(async () => {
    await simulator?.stop();
    await browser?.close();
    await server?.stop();
  });

  function simulate() {
    simulator = startSimulator(server, { machines: 1, first: 3, heartbeatSecs: 1 });
    const current = simulator;
    simulatorLogs.push(() => current.logs());
    return simulator;
  }

  const logs = { server: () => server?.logs(), simulator: () => simulatorLogs.map((l) => l()).join('\n--- next run ---\n') };

  test('status badges follow a machine live', (t) =>
    withLogs(logs, async () => {
      const { context, page } = await newPage(browser);
      try {
        await signIn(page, server);
        // A fresh load of the page, as an operator would open it.
        await page.goto(`${server.baseURL}/admin/devices`);
        for (const id of ['vm-001', 'vm-002', 'vm-003']) {
          await waitForText(badge(page, id), 'offline');
        }
        // Hydrated, and following the event stream.
        await waitForEventSource(page, '/admin/api/device-events');
        await page.evaluate(() => {
          window.__marker = 1;
        });

        simulate();
        const online = await waitForText(badge(page, 'vm-003'), 'online', 20_000);

        await simulator.kill('SIGKILL');
        const killed = await waitForText(badge(page, 'vm-003'), 'offline', 3 * OFFLINE_WITHIN_MS);
        assert.ok(killed <= OFFLINE_WITHIN_MS, `offline after SIGKILL took ${killed} ms (limit ${OFFLINE_WITHIN_MS} ms)`);

        simulate();
        const back = await waitForText(badge(page, 'vm-003'), 'online', 20_000);

        await simulator.kill('SIGTERM');
        const terminated = await waitForText(badge(page, 'vm-003'), 'offline', 3 * OFFLINE_WITHIN_MS);
        assert.ok(
          terminated <= OFFLINE_WITHIN_MS,
          `offline after SIGTERM took ${terminated} ms (limit ${OFFLINE_WITHIN_MS} ms)`,
        );

        // The other machines never connected.
        assert.equal((await badge(page, 'vm-001').textContent()).trim(), 'offline');
        assert.equal((await badge(page, 'vm-002').textContent()).trim(), 'offline');
        assert.equal(await page.evaluate(() => window.__marker), 1, 'the page was reloaded (window.__marker is gone)');
        assert.equal(new URL(page.url()).pathname, '/admin/devices');
        const errors = page.problems.filter((p) => p.startsWith('pageerror'));
        assert.deepEqual(errors, [], 'uncaught errors in the page');
        t.diagnostic(
          `vm-003: online after ${online} ms; offline ${killed} ms after SIGKILL; ` +
            `online again after ${back} ms; offline ${terminated} ms after SIGTERM`,
        );
      } finally {
        await context.close();
      }
    }));

  test('a freshly loaded page shows a connected machine as online', (t) =>
    withLogs(logs, async () => {
      simulate();
      const { context, page } = await newPage(browser);
      try {
        await signIn(page, server);
        // Wait for the machine through the page itself: reload until the server
        // renders it online (no JavaScript needed for this part).
        const deadline = Date.now() + 20_000;
        for (;;) {
          await page.goto(`${server.baseURL}/admin/devices`);
          const text = (await badge(page, 'vm-003').textContent()).trim();
          if (text === 'online') break;
          assert.ok(Date.now() < deadline, `vm-003 is still ${text} 20 s after its simulator started`);
          await new Promise((r) => setTimeout(r, 250));
        }
        await waitForEventSource(page, '/admin/api/device-events');
        await simulator.kill('SIGKILL');
        const killed = await waitForText(badge(page, 'vm-003'), 'offline', 3 * OFFLINE_WITHIN_MS);
        assert.ok(killed <= OFFLINE_WITHIN_MS, `offline after SIGKILL took ${killed} ms (limit ${OFFLINE_WITHIN_MS} ms)`);
        t.diagnostic(`vm-003: offline ${killed} ms after SIGKILL`);
      } finally {
        await context.close();
      }
    }));
});
