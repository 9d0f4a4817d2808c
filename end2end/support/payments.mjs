// Card payments in the browser tests: the Stripe and Finix simulators
// (automat-simulators) in their own process, the store's environment that
// points at them, and the Admin API calls that make a region take cards.
//
// Needs the simulators' binary next to the server's (cargo build -p simulators,
// which `cargo test --workspace` also builds).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { ADMIN_EMAIL, ADMIN_PASSWORD, AUTOMAT_BIN, freePort } from './server.mjs';
import { waitForHydration, waitForPath, waitForText } from './browser.mjs';

const SIMULATORS = process.env.AUTOMAT_SIMULATORS_BIN || path.join(path.dirname(AUTOMAT_BIN), 'automat-simulators');
export const STRIPE = 'pp_stripe_stripe';
export const FINIX = 'pp_finix';

// The simulators' credentials (their defaults, named here so the store gets the same).
const STRIPE_SECRET_KEY = 'sk_test_automat_simulator';
const STRIPE_PUBLISHABLE_KEY = 'pk_test_automat_simulator';
const STRIPE_WEBHOOK_SECRET = 'whsec_automat_simulator';
const FINIX_USERNAME = 'USsimulatorAutomat00001A';
const FINIX_PASSWORD = 'automat-simulator-password';
const FINIX_MERCHANT = 'MUsimulatorAutomat00001A';
const FINIX_APPLICATION = 'APsimulatorAutomat00001A';

/**
 * Starts automat-simulators on free ports, Stripe's webhooks going to the
 * store at `httpPort`; resolves once they listen, with their addresses and
 * `storeEnv`: what the store needs to pay through them.
 */
export async function startSimulators(httpPort) {
  assert.ok(existsSync(SIMULATORS), `${SIMULATORS} not found: cargo build -p simulators`);
  const [stripePort, finixPort] = [await freePort(), await freePort()];
  const child = spawn(SIMULATORS, [], {
    env: {
      ...process.env,
      SIM_STRIPE_ADDR: `127.0.0.1:${stripePort}`,
      SIM_FINIX_ADDR: `127.0.0.1:${finixPort}`,
      SIM_STRIPE_SECRET_KEY: STRIPE_SECRET_KEY,
      SIM_STRIPE_PUBLISHABLE_KEY: STRIPE_PUBLISHABLE_KEY,
      SIM_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
      SIM_STRIPE_WEBHOOK_URL: `http://127.0.0.1:${httpPort}/hooks/payment/stripe`,
      SIM_FINIX_USERNAME: FINIX_USERNAME,
      SIM_FINIX_PASSWORD: FINIX_PASSWORD,
      SIM_LOG: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const addresses = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      // Only a whole line: a pipe may hand the JSON over in pieces.
      const line = out.split('\n').slice(0, -1).find((l) => l.startsWith('{'));
      if (!line) return;
      try {
        resolve(JSON.parse(line));
      } catch (err) {
        reject(new Error(`automat-simulators printed an address line that is not JSON: ${line}`, { cause: err }));
      }
    });
    child.once('exit', (code) => reject(new Error(`automat-simulators exited (${code}): ${out}`)));
  });
  const storeEnv = {
    AUTOMAT_STRIPE_SECRET_KEY: STRIPE_SECRET_KEY,
    AUTOMAT_STRIPE_PUBLISHABLE_KEY: STRIPE_PUBLISHABLE_KEY,
    AUTOMAT_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
    AUTOMAT_STRIPE_API_BASE: addresses.stripe,
    AUTOMAT_STRIPE_JS_URL: addresses.stripe_js,
    AUTOMAT_FINIX_API_BASE: addresses.finix,
    AUTOMAT_FINIX_USERNAME: FINIX_USERNAME,
    AUTOMAT_FINIX_PASSWORD: FINIX_PASSWORD,
    AUTOMAT_FINIX_MERCHANT_ID: FINIX_MERCHANT,
    AUTOMAT_FINIX_APPLICATION_ID: FINIX_APPLICATION,
    AUTOMAT_FINIX_JS_URL: addresses.finix_js,
  };
  return { ...addresses, storeEnv, stop: () => child.kill('SIGTERM') };
}

/** The Admin API, as the seeded admin. */
export async function admin(server, method, pathname, body) {
  const auth = await fetch(`${server.baseURL}/auth/user/emailpass`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  }).then((r) => r.json());
  const response = await fetch(`${server.baseURL}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${auth.token}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const answer = await response.json();
  assert.ok(response.ok, `${method} ${pathname}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Makes every region take cards through `provider` only. */
export async function payEverywhereWith(server, provider) {
  const { regions } = await admin(server, 'GET', '/admin/regions');
  for (const region of regions) {
    await admin(server, 'POST', `/admin/regions/${region.id}`, { payment_providers: [provider] });
  }
}

/** Registers a shopper in the storefront; the page ends on /account. */
export async function registerShopper(page, server, email) {
  await page.goto(`${server.baseURL}/account/register`);
  await waitForHydration(page, 'form:has(input[name=password])');
  await page.locator('input[name=first_name]').fill('Ada');
  await page.locator('input[name=last_name]').fill('Lovelace');
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill('a long password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForPath(page, '/account');
}

/**
 * A cart with one water, at the checkout with pick-up chosen, hydrated, and
 * the card form (`cardFrame`, the provider's iframe) loaded.
 */
export async function toCardCheckout(page, server, cardFrame, email) {
  await page.goto(`${server.baseURL}/products/sparkling-water`);
  await waitForHydration(page, 'form.add-to-cart');
  await page.locator('article.product-detail form.add-to-cart button[type=submit]').click();
  await waitForText(page.locator('[data-testid=cart-count]'), '1');
  await page.goto(`${server.baseURL}/checkout`);
  await waitForHydration(page, 'section.checkout form');
  await page.locator('input[name=email]').fill(email);
  await page.locator('[data-testid=shipping-option]', { hasText: 'Pick up at Vending machine 1' }).locator('input[type=radio]').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForText(page.locator('[data-testid=checkout-shipping-method]'), 'Pick up at Vending machine 1');
  await waitForHydration(page, 'section.checkout form:has([data-testid=place-order])');
  await page.locator(cardFrame).waitFor();
}

/** Fails on uncaught errors in the page's scripts. */
export const noPageErrors = (page) =>
  assert.deepEqual(page.problems.filter((p) => p.startsWith('pageerror')), [], 'uncaught errors in the page');
