// The stripe.js and finix.js stand-ins in Chromium, on a shop page of another
// origin: card element filled in its iframe, confirmCardPayment with and
// without 3-D Secure (Complete and Fail), a decline, confirmCardSetup, and a
// Finix.js token. Run by tests/sims/browser.rs with the simulators' addresses:
//   STRIPE_URL STRIPE_SK STRIPE_PK FINIX_URL FINIX_APP
// It reuses end2end's Chromium launcher (playwright-core, Debian's chromium).

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchBrowser } from '../../../end2end/support/browser.mjs';

const { STRIPE_URL, STRIPE_SK, STRIPE_PK, FINIX_URL, FINIX_APP } = process.env;

async function stripe(path, params) {
  const response = await fetch(`${STRIPE_URL}v1/${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${STRIPE_SK}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = await response.json();
  assert.ok(response.ok, JSON.stringify(body));
  return body;
}

const intent = (params = {}) =>
  stripe('payment_intents', { amount: '1200', currency: 'eur', ...params }).then((pi) => pi.client_secret);

const SHOP = `<!doctype html>
<html><head><meta charset="utf-8">
<script src="${STRIPE_URL}v3/stripe.js"></script>
<script src="${FINIX_URL}v/2/finix.js"></script>
</head><body>
<div id="card"></div>
<div id="finix"></div>
<script>
  const stripe = Stripe(${JSON.stringify(STRIPE_PK)});
  const elements = stripe.elements();
  const card = elements.create('card');
  card.mount('#card');
  window.changes = [];
  card.on('change', (e) => window.changes.push({ complete: e.complete, brand: e.brand }));
  window.pay = (secret) => stripe.confirmCardPayment(secret, { payment_method: { card, billing_details: { name: 'Ada' } } });
  window.setUp = (secret) => stripe.confirmCardSetup(secret, { payment_method: { card } });
  window.payWithElements = (secret) =>
    stripe.confirmPayment({ elements, clientSecret: secret, confirmParams: { return_url: location.href }, redirect: 'if_required' });
  window.nextAction = (secret) => stripe.handleNextAction({ clientSecret: secret });
  const finix = Finix.PaymentForm('finix', 'sandbox', ${JSON.stringify(FINIX_APP)}, {});
  window.tokenize = () => new Promise((resolve) => finix.submit((error, response) => resolve({ error, response })));
</script>
</body></html>`;

async function fillCard(page, number) {
  const frame = page.frameLocator('iframe[name^="__privateStripeFrame"]');
  await frame.locator('[name=cardnumber]').fill(number);
  await frame.locator('[name=exp-date]').fill('12 / 34');
  await frame.locator('[name=cvc]').fill('123');
  await frame.locator('[name=postal]').fill('10115');
}

// A payment waiting on the challenge frame, given 15 s to finish.
const within = (promise, what) =>
  Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish`)), 15_000)),
  ]);

const challenge = (page) => page.frameLocator('iframe[name=__stripeJSChallengeFrame]');

// The shop, on its own loopback origin (Chromium lets a loopback page load
// from another loopback port; a page from elsewhere may not).
const shop = createServer((_, response) => {
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end(SHOP);
});
await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve));

const browser = await launchBrowser();
const problems = [];
let page;
try {
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(`http://127.0.0.1:${shop.address().port}/checkout`);

  // A card payment: the number goes to the simulator from the iframe only.
  await fillCard(page, '4242 4242 4242 4242');
  assert.deepEqual(await page.evaluate(() => window.changes.at(-1)), { complete: true, brand: 'visa' });
  let result = await page.evaluate((s) => window.pay(s), await intent());
  assert.equal(result.paymentIntent?.status, 'succeeded', JSON.stringify(result));
  assert.ok(!(await page.content()).includes('4242 4242'));

  // A decline comes back as an error, the intent waits for another card.
  await fillCard(page, '4000000000000002');
  result = await page.evaluate((s) => window.pay(s), await intent());
  assert.equal(result.error?.code, 'card_declined', JSON.stringify(result));
  assert.equal(result.error?.decline_code, 'generic_decline');

  // 3-D Secure: the challenge frame's Complete button authorizes.
  await fillCard(page, '4000 0000 0000 3220');
  let pending = page.evaluate((s) => window.pay(s), await intent({ capture_method: 'manual' }));
  await challenge(page).getByRole('button', { name: 'Complete' }).click();
  result = await within(pending, "the payment after the challenge");
  assert.equal(result.paymentIntent?.status, 'requires_capture', JSON.stringify(result));
  assert.equal(await page.locator('[data-stripe-challenge]').count(), 0, 'the challenge closes');

  // …and its Fail button fails the payment.
  pending = page.evaluate((s) => window.pay(s), await intent());
  await challenge(page).getByRole('button', { name: 'Fail' }).click();
  result = await within(pending, "the payment after the challenge");
  assert.equal(result.error?.code, 'payment_intent_authentication_failure', JSON.stringify(result));

  // confirmPayment with the Elements, staying on the page.
  await fillCard(page, '5555 5555 5555 4444');
  result = await page.evaluate((s) => window.payWithElements(s), await intent());
  assert.equal(result.paymentIntent?.status, 'succeeded', JSON.stringify(result));

  // An intent the server confirmed: the page only handles its 3-D Secure.
  const confirmed = await stripe('payment_intents', {
    amount: '900', currency: 'eur', payment_method: 'pm_card_threeDSecure2Required', confirm: 'true',
  });
  assert.equal(confirmed.status, 'requires_action');
  pending = page.evaluate((s) => window.nextAction(s), confirmed.client_secret);
  await challenge(page).getByRole('button', { name: 'Complete' }).click();
  result = await within(pending, "the payment after the challenge");
  assert.equal(result.paymentIntent?.status, 'succeeded', JSON.stringify(result));

  // Saving a card for later, with 3-D Secure at setup.
  const customer = await stripe('customers', { email: 'ada@example.com' });
  const setup = await stripe('setup_intents', { customer: customer.id, usage: 'off_session' });
  await fillCard(page, '4000002500003155');
  pending = page.evaluate((s) => window.setUp(s), setup.client_secret);
  await challenge(page).getByRole('button', { name: 'Complete' }).click();
  result = await within(pending, "the payment after the challenge");
  assert.equal(result.setupIntent?.status, 'succeeded', JSON.stringify(result));
  assert.match(result.setupIntent.payment_method, /^pm_/);

  // Finix.js: the form in its iframe gives a token.
  const form = page.frameLocator('iframe[name^="finix-payment-form"]');
  await form.locator('#name').fill('Ada Lovelace');
  await form.locator('#number').fill('4111 1111 1111 1111');
  await form.locator('#expiration_date').fill('12/34');
  await form.locator('#security_code').fill('123');
  result = await page.evaluate(() => window.tokenize());
  assert.equal(result.error, null, JSON.stringify(result));
  assert.match(result.response.data.id, /^TK/);
  assert.equal(result.response.data.instrument_type, 'PAYMENT_CARD');

  // The decline's 402 is logged by the browser, as with Stripe's own script.
  assert.deepEqual(problems.filter((p) => !p.includes('status of 402')), []);
  console.log('stand-ins ok');
} catch (e) {
  // What the page saw, to tell a broken stand-in from a broken test.
  console.error('problems:', problems);
  console.error('frames:', page?.frames().map((f) => f.url()));
  throw e;
} finally {
  await browser.close();
  shop.close();
}
