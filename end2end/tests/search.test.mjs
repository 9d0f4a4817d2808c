// Searching and sorting the catalog in Chromium on a phone-sized screen: a
// shopper types a word with a typo and finds the product, then sorts the
// catalog by price (dearest first) and by name, with the choice kept in the
// address and in the form; without JavaScript the same plain form works.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { launchBrowser, newPage, waitForPath, waitForText } from '../support/browser.mjs';

describe('catalog search and sort', () => {
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
  const titles = (page) => page.locator('[data-testid=product-card] .product-title').allTextContents();
  // "€3.50" → 350: the cards' prices in minor units, in the page's order.
  const prices = async (page) =>
    (await page.locator('[data-testid=product-card] .price').allTextContents()).map((text) =>
      Number(text.replace(/[^0-9]/g, '')),
    );

  for (const javaScriptEnabled of [true, false]) {
    const how = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

    test(`a shopper finds a product despite a typo and sorts the catalog, ${how}`, logged(async () => {
      const { context, page } = await newPage(browser, { javaScriptEnabled });
      try {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${server.baseURL}/`);
        const search = page.getByRole('search');
        await search.getByLabel('Search products').fill('choclate');
        await search.getByRole('button', { name: 'Search' }).click();
        await waitForPath(page, '/search');
        await waitForText(page.locator('h1'), 'Results for “choclate”');
        assert.deepEqual(await titles(page), ['Dark Chocolate Bar']);
        assert.equal(await search.getByLabel('Sort by').inputValue(), '', 'best match by default');

        // The whole catalog, dearest first.
        await search.getByLabel('Search products').fill('');
        await search.getByLabel('Sort by').selectOption('-price');
        await search.getByRole('button', { name: 'Search' }).click();
        await page.waitForURL(/sort=-price/);
        const dearestFirst = await prices(page);
        assert.equal(dearestFirst.length, 8, `${dearestFirst}`);
        assert.deepEqual(dearestFirst, [...dearestFirst].sort((a, b) => b - a));
        assert.equal(await page.getByLabel('Sort by').inputValue(), '-price', 'the choice stays');

        await page.getByLabel('Sort by').selectOption('title');
        await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
        await page.waitForURL(/sort=title/);
        const names = await titles(page);
        assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
        assert.deepEqual(page.problems.filter((p) => p.startsWith('pageerror')), []);
      } finally {
        await context.close();
      }
    }));
  }
});
