// Automat-specific steps shared by the tests.

import { ADMIN_EMAIL, ADMIN_PASSWORD } from './server.mjs';
import { waitForHydration, waitForPath, waitForText } from './browser.mjs';

export const LOGIN_FORM = 'form:has(input[name=password])';

/** Signs in on /admin/login and waits for the devices page. */
export async function signIn(page, server, { javaScript = true, email = ADMIN_EMAIL, password = ADMIN_PASSWORD } = {}) {
  await page.goto(`${server.baseURL}/admin/login`);
  if (javaScript) await waitForHydration(page, LOGIN_FORM);
  await fillLogin(page, email, password);
  await waitForPath(page, '/admin/devices');
}

export async function fillLogin(page, email, password) {
  const form = page.locator(LOGIN_FORM);
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * On /checkout: gives the email, chooses to pick the order up at `machine`, continues
 * and places the order; waits for the confirmation page.
 */
export async function checkOutWithPickup(page, { email, machine = 'Vending machine 1' }) {
  const pickup = `Pick up at ${machine}`;
  await page.locator('input[name=email]').fill(email);
  await page.locator('[data-testid=shipping-option]', { hasText: pickup }).locator('input[type=radio]').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForText(page.locator('[data-testid=checkout-shipping-method]'), pickup);
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/orders\/order_/, { timeout: 15_000 });
}
