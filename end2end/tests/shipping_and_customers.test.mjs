// The admin's shipping and customer pages, in Chromium with JavaScript: a
// delivery option added, repriced and kept back from the store from its row
// (the row's fields belong to its Save form), a bad price explained; a
// customer recorded without an account and their details edited.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForHydration, waitForPath, waitForText } from '../support/browser.mjs';
import { signIn } from '../support/app.mjs';

describe('shipping and customers', () => {
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

  test('an operator adds delivery, reprices it and keeps it back', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await signIn(page, server);
      await page.goto(`${server.baseURL}/admin/shipping-options`);
      await waitForHydration(page, '[data-testid=shipping-option-form]');
      const form = page.locator('[data-testid=shipping-option-form]');
      await form.locator('input[name=name]').fill('Courier');
      await form.locator('input[name=amount]').fill('6,50');
      await form.getByRole('button', { name: 'Add shipping option' }).click();
      const row = page.locator('[data-testid=shipping-option-row]', { has: page.locator('input[value=Courier]') });
      await waitForText(row.locator('td').nth(3), /€6\.50/);

      await waitForHydration(page, '[data-testid=shipping-option-row] form');
      await row.locator('input[name=amount]').fill('7.25');
      await row.locator('input[name=offered]').uncheck();
      await row.getByRole('button', { name: 'Save' }).click();
      await waitForText(row.locator('td').nth(4), /kept back/);
      await waitForText(row.locator('td').nth(3), /€7\.25/);

      await row.locator('input[name=amount]').fill('seven');
      await row.getByRole('button', { name: 'Save' }).click();
      await waitForText(page.locator('[role=alert]'), /must be a number/);
    } finally {
      await context.close();
    }
  }));

  test('an operator records a customer and edits their details', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await signIn(page, server);
      await page.goto(`${server.baseURL}/admin/customers`);
      await waitForHydration(page, '[data-testid=customer-create-form]');
      await page.locator('summary', { hasText: 'New customer' }).click();
      const form = page.locator('[data-testid=customer-create-form]');
      await form.locator('input[name=email]').fill('walk.in@example.com');
      await form.locator('input[name=first_name]').fill('Ada');
      await form.getByRole('button', { name: 'Add customer' }).click();
      await waitForText(page.locator('[data-testid=customer-email]'), 'walk.in@example.com');
      assert.match(new URL(page.url()).pathname, /^\/admin\/customers\/cus_/);

      await waitForHydration(page, '[data-testid=customer-edit-form]');
      await page.locator('summary', { hasText: 'Edit details' }).click();
      const edit = page.locator('[data-testid=customer-edit-form]');
      await edit.locator('input[name=last_name]').fill('Lovelace');
      await edit.getByRole('button', { name: 'Save details' }).click();
      await waitForText(page.locator('[data-testid=customer-name]'), 'Ada Lovelace');
    } finally {
      await context.close();
    }
  }));
});
