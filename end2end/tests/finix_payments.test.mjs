// Paying by card through Finix in the Leptos storefront, in Chromium: the
// store talks to the local Finix simulator (automat-simulators), and the
// pages load its Finix.js stand-in (AUTOMAT_FINIX_JS_URL), whose card form
// is a frame of the simulator's: the card becomes a token there, and only
// the token reaches the store. A card that pays, a declined one, and a card
// saved in the account that then opens a machine.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { freePort, startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForText } from '../support/browser.mjs';
import { FINIX, noPageErrors, payEverywhereWith, registerShopper, startSimulators, toCardCheckout } from '../support/payments.mjs';

const FINIX_FRAME = 'iframe[name^="finix-payment-form"]';

/** Types a card into Finix.js's form (the simulator's frame). */
async function fillCard(page, number) {
  const frame = page.frameLocator(FINIX_FRAME);
  await frame.locator('#number').fill(number);
  await frame.locator('#expiration_date').fill('12/34');
  await frame.locator('#security_code').fill('123');
}

describe('Finix card payments', () => {
  let server;
  let sims;
  let browser;

  before(async () => {
    const httpPort = await freePort();
    sims = await startSimulators(httpPort);
    server = await startServer({ httpPort, env: sims.storeEnv });
    await payEverywhereWith(server, FINIX);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    sims?.stop();
  });

  const logged = (fn) => () => withLogs({ server }, fn);

  test('a card typed into the Finix form pays and places the order', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await toCardCheckout(page, server, FINIX_FRAME, 'finix.e2e@example.com');
      await fillCard(page, '4111 1111 1111 1111');
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/orders\/order_/, { timeout: 20_000 });
      assert.match(await page.locator('h1').textContent(), /Thank you for your order/);
      assert.ok(!(await page.content()).includes('4111'), 'the number never was in our page');
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));

  test('a mistyped card and a declined one say so and place nothing; another card then pays', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await toCardCheckout(page, server, FINIX_FRAME, 'finix-declined.e2e@example.com');
      // Finix.js refuses a number that cannot be a card before anything is sent.
      await fillCard(page, '4111 1111 1111 1112');
      await page.getByRole('button', { name: 'Place order' }).click();
      await waitForText(page.locator('[data-testid=place-order-error]'), /Invalid card number/);
      await fillCard(page, '4000 0000 0000 0002');
      await page.getByRole('button', { name: 'Place order' }).click();
      await waitForText(page.locator('[data-testid=place-order-error]'), /declined/i);
      assert.equal(new URL(page.url()).pathname, '/checkout');
      await fillCard(page, '5555 5555 5555 4444');
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/orders\/order_/, { timeout: 20_000 });
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));

  test('a shopper saves a Finix card, opens a machine with it and removes it', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await registerShopper(page, server, 'finix-saver.e2e@example.com');
      await waitForText(page.locator('[data-testid=no-saved-cards]'), /No card saved yet/);
      await waitForHydration(page, 'form.add-card');
      await page.locator(FINIX_FRAME).waitFor();
      await fillCard(page, '4111 1111 1111 1111');
      await page.getByRole('button', { name: 'Save card' }).click();
      await waitForText(page.locator('[data-testid=saved-card] span'), /Visa •••• 1111, expires 12\/2034/);

      await page.goto(`${server.baseURL}/machines`);
      await page.locator('a[href^="/machines/"]').first().click();
      await waitForText(page.locator('[data-testid=hold-card]'), /Held on your Visa •••• 1111/);
      await waitForHydration(page, 'form:has([data-testid=open-door])');
      await page.locator('[data-testid=open-door]').click();
      await page.waitForURL(/\/machines\/[^/]+\/sessions\//, { timeout: 20_000 });

      await page.goto(`${server.baseURL}/account`);
      await waitForHydration(page, '[data-testid=saved-card] form');
      await page.locator('[data-testid=remove-card]').click();
      await waitForText(page.locator('[data-testid=no-saved-cards]'), /No card saved yet/);
      noPageErrors(page);
    } finally {
      await context.close();
    }
  }));
});
