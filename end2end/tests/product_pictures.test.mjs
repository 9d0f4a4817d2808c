// Product pictures in Chromium with JavaScript, on a phone-sized screen: an
// operator uploads two pictures on the product page (a plain multipart form),
// the first becomes the thumbnail, another is made the thumbnail and one is
// removed; a file that is not a picture is refused with the reason; the
// shopper's product page then shows the picture with its smaller copies.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, withLogs } from '../support/server.mjs';
import { admin } from '../support/payments.mjs';
import { launchBrowser, newPage, waitForHydration, waitForText } from '../support/browser.mjs';
import { signIn } from '../support/app.mjs';

// A 300 × 200 PNG and a 200 × 300 one (solid colours).
const WIDE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAASwAAADICAIAAADdvUsCAAABsUlEQVR42u3TQQ0AAAjEsFOCYoQhCxk8aFIFS5bqAQ5FAjAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQTKgCmBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAgmVAFMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBBMCJgQTAiaEnxZrn9KPQ5JGbQAAAABJRU5ErkJggg==',
  'base64',
);

describe('product pictures', () => {
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

  test('an operator uploads, orders and removes pictures; shoppers see them', logged(async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await signIn(page, server);
      // The first product the store shows.
      await page.goto(server.baseURL);
      const href = await page.locator('[data-testid=product-card] a.product-title').first().getAttribute('href');
      const handle = href.replace('/products/', '');
      const [product] = (await admin(server, 'GET', `/admin/products?handle=${handle}`)).products;
      await admin(server, 'POST', `/admin/products/${product.id}`, { thumbnail: null, images: [] });

      await page.goto(`${server.baseURL}/admin/products/${product.id}`);
      const pictures = page.locator('[data-testid=product-pictures]');
      await waitForText(pictures, /No pictures yet/);
      const upload = page.locator('[data-testid=picture-upload]');
      await upload.locator('input[type=file]').setInputFiles([
        { name: 'front.png', mimeType: 'image/png', buffer: WIDE },
        { name: 'side.png', mimeType: 'image/png', buffer: WIDE },
      ]);
      await upload.getByRole('button', { name: 'Upload' }).click();
      const tiles = pictures.locator('.picture-grid li');
      await waitForText(tiles.first(), /Thumbnail/);
      assert.equal(await tiles.count(), 2);
      assert.match(await tiles.nth(0).locator('img').getAttribute('src'), /-front\.png$/);

      await waitForHydration(page, '.picture-grid form');
      await tiles.nth(1).getByRole('button', { name: 'Make thumbnail' }).click();
      await waitForText(tiles.nth(1), /Thumbnail/);
      await tiles.nth(0).getByRole('button', { name: 'Remove picture 1' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.picture-grid li').length === 1);
      await waitForText(tiles.first(), /Thumbnail/);
      assert.match(await tiles.first().locator('img').getAttribute('src'), /-side\.png$/);

      await upload.locator('input[type=file]').setInputFiles([
        { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') },
      ]);
      await upload.getByRole('button', { name: 'Upload' }).click();
      await waitForText(pictures.locator('[role=alert]'), /only JPEG, PNG, WebP and GIF pictures/);

      await page.goto(`${server.baseURL}/products/${product.handle}`);
      const shown = page.locator('.product-detail img.product-picture');
      assert.match(await shown.getAttribute('src'), /-side\.png$/);
      assert.match(await shown.getAttribute('srcset'), /-w240\.jpg 240w, .*-side\.png 300w$/);
      await page.waitForFunction(() => {
        const img = document.querySelector('.product-detail img.product-picture');
        return img && img.complete && img.naturalWidth > 0;
      });
    } finally {
      await context.close();
    }
  }));
});
