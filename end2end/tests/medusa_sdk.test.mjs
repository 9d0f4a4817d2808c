// Medusa's own client, @medusajs/js-sdk, against our Store API, unchanged: the
// calls a Medusa storefront (e.g. the Next.js starter) makes, from browsing to a
// placed order, as a guest and as a signed-in customer.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import Medusa from '@medusajs/js-sdk';

import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer, withLogs } from '../support/server.mjs';

describe('Medusa JS SDK', () => {
  let server;
  let publishableKey;

  before(async () => {
    server = await startServer({ simulatedMachines: 0 });
    publishableKey = server.logs().match(/pk_[0-9a-f]+/)?.[0];
    assert.ok(publishableKey, 'the first start prints the publishable key');
  });

  after(async () => {
    await server?.stop();
  });

  const logged = (fn) => () => withLogs({ server }, fn);
  const client = () =>
    new Medusa({ baseUrl: server.baseURL, publishableKey, auth: { type: 'jwt', jwtTokenStorageMethod: 'memory' } });
  // One admin signed in once for the admin SDK's tests: the store limits how
  // often one account may sign in, as it should.
  let signedInAdmin;
  const adminClient = async () => {
    if (!signedInAdmin) {
      const admin = client();
      await admin.auth.login('user', 'emailpass', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      signedInAdmin = admin;
    }
    return signedInAdmin;
  };

  /// A cart of `quantity` units of the first product, shipped with `option`, paid and completed.
  async function checkOut(sdk, { regionId, email, quantity = 2, option = /Pick up/ }) {
    const { products } = await sdk.store.product.list({
      region_id: regionId,
      fields: '*variants.calculated_price,+variants.inventory_quantity',
      limit: 5,
    });
    assert.ok(products.length > 0);
    const variant = products[0].variants[0];
    assert.equal(typeof variant.calculated_price.calculated_amount, 'number');

    let { cart } = await sdk.store.cart.create({ region_id: regionId });
    ({ cart } = await sdk.store.cart.createLineItem(cart.id, { variant_id: variant.id, quantity }));
    assert.equal(cart.items.length, 1);
    assert.equal(cart.items[0].quantity, quantity);
    if (email) ({ cart } = await sdk.store.cart.update(cart.id, { email }));

    const { shipping_options: options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id });
    const chosen = options.find((o) => option.test(o.name));
    assert.ok(chosen, `a shipping option matching ${option}: ${options.map((o) => o.name)}`);
    await sdk.store.cart.addShippingMethod(cart.id, { option_id: chosen.id });

    const { payment_providers: providers } = await sdk.store.payment.listPaymentProviders({ region_id: regionId });
    assert.ok(providers.some((p) => p.id === 'pp_system_default'));
    ({ cart } = await sdk.store.cart.retrieve(cart.id));
    const { payment_collection: collection } = await sdk.store.payment.initiatePaymentSession(cart, {
      provider_id: 'pp_system_default',
    });
    assert.equal(collection.payment_sessions[0].provider_id, 'pp_system_default');

    const completed = await sdk.store.cart.complete(cart.id);
    assert.equal(completed.type, 'order', JSON.stringify(completed));
    assert.equal(completed.order.total, cart.total);
    return completed.order;
  }

  test('a guest browses and orders with pick-up at a machine', logged(async () => {
    const sdk = client();
    const { regions } = await sdk.store.region.list();
    const regionId = regions[0].id;
    const { product_categories: categories } = await sdk.store.category.list({ fields: '*category_children' });
    assert.ok(categories.length > 0);
    const { collections } = await sdk.store.collection.list();
    assert.ok(collections.length > 0);
    const { currencies } = await sdk.client.fetch('/store/currencies');
    assert.equal(currencies[0].code, regions[0].currency_code);

    const order = await checkOut(sdk, { regionId, email: 'guest.sdk@example.com' });
    const { order: fetched } = await sdk.store.order.retrieve(order.id);
    assert.equal(fetched.email, 'guest.sdk@example.com');
    assert.equal(fetched.items.length, 1);
  }));

  test('a promotion code lowers the total', logged(async () => {
    const sdk = client();
    const { regions } = await sdk.store.region.list();
    const { products } = await sdk.store.product.list({ region_id: regions[0].id, limit: 1 });
    let { cart } = await sdk.store.cart.create({ region_id: regions[0].id });
    ({ cart } = await sdk.store.cart.createLineItem(cart.id, { variant_id: products[0].variants[0].id, quantity: 3 }));
    const before = cart.total;
    ({ cart } = await sdk.store.cart.update(cart.id, { promo_codes: ['WELCOME10'] }));
    assert.ok(cart.total < before, `${cart.total} < ${before}`);
    assert.equal(cart.promotions[0].code, 'WELCOME10');
    await assert.rejects(sdk.store.cart.update(cart.id, { promo_codes: ['NOPE'] }), (e) => e.status === 400);
  }));

  test('a customer registers, orders, and finds the order in their history', logged(async () => {
    const sdk = client();
    const email = `sdk.${Date.now()}@example.com`;
    await sdk.auth.register('customer', 'emailpass', { email, password: 'a long password' });
    const { customer } = await sdk.store.customer.create({ email, first_name: 'Grace', last_name: 'Hopper' });
    assert.equal(customer.email, email);
    await sdk.auth.login('customer', 'emailpass', { email, password: 'a long password' });
    const { customer: me } = await sdk.store.customer.createAddress({
      first_name: 'Grace', address_1: 'Main street 1', city: 'Berlin', country_code: 'de', postal_code: '10115',
    });
    assert.equal(me.addresses.length, 1);

    const { regions } = await sdk.store.region.list();
    // No email given: the signed-in customer's is used.
    const order = await checkOut(sdk, { regionId: regions[0].id, quantity: 1 });
    assert.equal(order.email, email);
    const { orders } = await sdk.store.order.list();
    assert.deepEqual(orders.map((o) => o.id), [order.id]);

    await sdk.auth.logout();
    await assert.rejects(sdk.store.customer.retrieve(), (e) => e.status === 401);
  }));

  test('errors come back as Medusa errors the SDK understands', logged(async () => {
    const sdk = client();
    await assert.rejects(sdk.store.product.retrieve('prod_missing'), (e) => e.status === 404 && /prod_missing/.test(e.message));
    const { regions } = await sdk.store.region.list();
    const { cart } = await sdk.store.cart.create({ region_id: regions[0].id });
    const { products } = await sdk.store.product.list({ limit: 1 });
    await assert.rejects(
      sdk.store.cart.createLineItem(cart.id, { variant_id: products[0].variants[0].id, quantity: -1 }),
      (e) => e.status === 400,
    );
    await assert.rejects(sdk.auth.login('customer', 'emailpass', { email: 'no@example.com', password: 'wrong password' }), (e) => e.status === 401);
  }));

  test('an owner invites and lists the team through the admin SDK', logged(async () => {
    const sdk = client();
    await sdk.auth.login('user', 'emailpass', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const { user: me } = await sdk.admin.user.me();
    assert.equal(me.email, ADMIN_EMAIL);
    assert.equal(me.role, 'owner');

    const { invite } = await sdk.admin.invite.create({ email: 'sdk.invitee@example.com' });
    assert.equal(invite.email, 'sdk.invitee@example.com');
    assert.equal(invite.accepted, false);
    assert.equal(invite.role, 'technician', 'an invite without a role gets the least one');
    const { invites, count } = await sdk.admin.invite.list();
    assert.equal(count, 1);
    assert.deepEqual(invites.map((i) => i.id), [invite.id]);
    await assert.rejects(sdk.admin.invite.create({ email: 'sdk.invitee@example.com' }), (e) => e.status === 409);

    const { users } = await sdk.admin.user.list();
    assert.deepEqual(users.map((u) => u.email), [ADMIN_EMAIL]);
    const { user } = await sdk.admin.user.retrieve(me.id);
    assert.equal(user.id, me.id);

    const { id, deleted } = await sdk.admin.invite.delete(invite.id);
    assert.equal(id, invite.id);
    assert.equal(deleted, true);
    assert.equal((await sdk.admin.invite.list()).count, 0);
  }));
  test('an operator runs a campaign and its promotion through the admin SDK', logged(async () => {
    const sdk = client();
    await sdk.auth.login('user', 'emailpass', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const { campaign } = await sdk.admin.campaign.create({
      name: 'SDK week',
      campaign_identifier: 'SDK-WEEK',
      budget: { type: 'usage', limit: 10 },
    });
    assert.equal(campaign.budget.limit, 10);
    const { promotion } = await sdk.admin.promotion.create({
      code: 'sdk5',
      type: 'standard',
      status: 'active',
      campaign_id: campaign.id,
      application_method: { type: 'percentage', target_type: 'order', allocation: 'across', value: 5 },
    });
    assert.equal(promotion.code, 'SDK5');
    assert.equal(promotion.application_method.value, 5);
    assert.equal(promotion.campaign.id, campaign.id);

    const { promotions, count } = await sdk.admin.promotion.list({ q: 'sdk' });
    assert.equal(count, 1);
    assert.equal(promotions[0].id, promotion.id);
    const { promotion: paused } = await sdk.admin.promotion.update(promotion.id, { status: 'inactive' });
    assert.equal(paused.status, 'inactive');
    assert.equal((await sdk.admin.promotion.retrieve(promotion.id)).promotion.status, 'inactive');
    await assert.rejects(
      sdk.admin.promotion.create({ code: 'SDK5', application_method: { type: 'percentage', value: 5 } }),
      (e) => e.status === 409,
    );

    const { campaigns } = await sdk.admin.campaign.list();
    assert.deepEqual(campaigns.map((c) => c.campaign_identifier), ['SDK-WEEK']);
    const { campaign: fetched } = await sdk.admin.campaign.retrieve(campaign.id);
    assert.deepEqual(fetched.promotions.map((p) => p.id), [promotion.id]);

    assert.equal((await sdk.admin.promotion.delete(promotion.id)).deleted, true);
    assert.equal((await sdk.admin.campaign.delete(campaign.id)).deleted, true);
    assert.equal((await sdk.admin.campaign.list()).count, 0);
  }));
  test('an operator keeps return reasons through the admin SDK, and shoppers see them', logged(async () => {
    const sdk = client();
    await sdk.auth.login('user', 'emailpass', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const { return_reason: made } = await sdk.admin.returnReason.create({ value: 'sdk_reason', label: 'Told by the SDK' });
    assert.equal(made.value, 'sdk_reason');
    const { return_reason: renamed } = await sdk.admin.returnReason.update(made.id, { label: 'Renamed by the SDK' });
    assert.equal(renamed.label, 'Renamed by the SDK');
    assert.equal((await sdk.admin.returnReason.retrieve(made.id)).return_reason.id, made.id);
    const { return_reasons: listed } = await sdk.admin.returnReason.list({ q: 'sdk' });
    assert.deepEqual(listed.map((r) => r.id), [made.id]);

    const shopper = await sdk.client.fetch('/store/return-reasons');
    assert.ok(shopper.return_reasons.some((r) => r.id === made.id && r.label === 'Renamed by the SDK'));

    const { deleted } = await sdk.admin.returnReason.delete(made.id);
    assert.equal(deleted, true);
  }));
  test('an operator groups customers through the admin SDK', logged(async () => {
    const sdk = client();
    await sdk.auth.login('user', 'emailpass', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const { customer_group: group } = await sdk.admin.customerGroup.create({ name: 'SDK regulars' });
    assert.equal(group.name, 'SDK regulars');
    const { customer_group: renamed } = await sdk.admin.customerGroup.update(group.id, { name: 'SDK VIPs' });
    assert.equal(renamed.name, 'SDK VIPs');
    const { customer_groups: groups, count } = await sdk.admin.customerGroup.list({ q: 'SDK' });
    assert.equal(count, 1);
    assert.equal(groups[0].id, group.id);
    assert.equal((await sdk.admin.customerGroup.retrieve(group.id)).customer_group.id, group.id);
    assert.equal((await sdk.admin.customerGroup.delete(group.id)).deleted, true);
  }));
  test('an operator fulfils, ships and delivers an order, and receives its return, through the admin SDK', logged(async () => {
    const shopper = client();
    const email = `returns.${Date.now()}@example.com`;
    await shopper.auth.register('customer', 'emailpass', { email, password: 'a long password' });
    await shopper.store.customer.create({ email, first_name: 'Ret', last_name: 'Urn' });
    await shopper.auth.login('customer', 'emailpass', { email, password: 'a long password' });
    const { regions } = await shopper.store.region.list();
    const placed = await checkOut(shopper, { regionId: regions[0].id, quantity: 2 });

    const admin = await adminClient();
    const items = placed.items.map((i) => ({ id: i.id, quantity: i.quantity }));
    let { order } = await admin.admin.order.createFulfillment(placed.id, { items });
    assert.equal(order.fulfillment_status, 'fulfilled');
    const fulfillment = order.fulfillments[0];
    ({ order } = await admin.admin.order.createShipment(placed.id, fulfillment.id, {
      items,
      labels: [{ tracking_number: 'SDK-1', tracking_url: 'https://track.example/SDK-1', label_url: 'https://label.example/SDK-1' }],
    }));
    assert.equal(order.fulfillment_status, 'shipped');
    assert.equal(order.fulfillments[0].labels[0].tracking_number, 'SDK-1');
    ({ order } = await admin.admin.order.markAsDelivered(placed.id, fulfillment.id));
    assert.equal(order.fulfillment_status, 'delivered');

    const { return: asked } = await shopper.client.fetch('/store/returns', {
      method: 'POST',
      body: { order_id: placed.id, items: [{ id: placed.items[0].id, quantity: 1 }] },
    });
    assert.equal(asked.status, 'requested');
    const { returns, count } = await admin.admin.return.list({ order_id: placed.id });
    assert.equal(count, 1);
    assert.equal(returns[0].id, asked.id);
    const { return: received } = await admin.admin.return.initiateReceive(asked.id, {});
    assert.equal(received.status, 'received');
    assert.equal((await admin.admin.return.retrieve(asked.id)).return.items[0].received_quantity, 1);
    ({ order } = await admin.admin.order.retrieve(placed.id));
    assert.equal(order.payment_status, 'partially_refunded');
    ({ order } = await admin.admin.order.archive(placed.id));
    assert.equal(order.status, 'archived');
  }));

  test('an operator holds stock by hand through the admin SDK', logged(async () => {
    const admin = await adminClient();
    const { inventory_items: items } = await admin.admin.inventoryItem.list({ q: 'ORANGE-JUICE' });
    assert.equal(items.length, 1);
    const [item] = items;
    const level = item.location_levels.find((l) => l.available_quantity >= 2);
    assert.ok(level, 'the demo stocks it somewhere');
    const { reservation } = await admin.admin.reservation.create({
      inventory_item_id: item.id, location_id: level.location_id, quantity: 2, description: 'SDK display',
    });
    assert.equal(reservation.quantity, 2);
    const { reservation: grown } = await admin.admin.reservation.update(reservation.id, { quantity: 1, description: 'SDK shelf' });
    assert.equal(grown.quantity, 1);
    assert.equal((await admin.admin.reservation.retrieve(reservation.id)).reservation.description, 'SDK shelf');
    const { reservations, count } = await admin.admin.reservation.list({ inventory_item_id: item.id });
    assert.equal(count, 1);
    assert.equal(reservations[0].id, reservation.id);
    assert.equal((await admin.admin.reservation.delete(reservation.id)).deleted, true);
    await assert.rejects(admin.admin.reservation.retrieve(reservation.id), (e) => e.status === 404);
  }));

  test('an operator reads what the store sent about an order through the admin SDK', logged(async () => {
    const shopper = client();
    const { regions } = await shopper.store.region.list();
    const placed = await checkOut(shopper, { regionId: regions[0].id, email: `sent.${Date.now()}@example.com`, quantity: 1 });

    const admin = await adminClient();
    // The confirmation goes out through the outbox, a moment after the order.
    let listed = { notifications: [], count: 0 };
    for (let tries = 0; tries < 100 && listed.count === 0; tries += 1) {
      listed = await admin.admin.notification.list({ resource_id: placed.id });
      if (listed.count === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(listed.count, 1);
    const [sent] = listed.notifications;
    assert.equal(sent.channel, 'email');
    assert.equal(sent.to, placed.email);
    assert.equal(sent.template, 'order_confirmation');
    assert.equal(sent.status, 'success');
    const { notification } = await admin.admin.notification.retrieve(sent.id);
    assert.equal(notification.resource_id, placed.id);
    assert.match(notification.data.subject, new RegExp(placed.id));
  }));

  test('an operator sets up shipping through the admin SDK and a shopper checks out with it', logged(async () => {
    const admin = await adminClient();
    const { shipping_profile: profile } = await admin.admin.shippingProfile.create({
      name: `SDK chilled ${Date.now()}`, type: 'cold_chain',
    });
    const { shipping_profiles: profiles } = await admin.admin.shippingProfile.list({ q: profile.name });
    assert.deepEqual(profiles.map((p) => p.id), [profile.id]);
    const { regions } = await admin.admin.region.list();
    const region = regions[0];
    const { fulfillment_providers: providers } = await admin.admin.fulfillmentProvider.list();
    const { shipping_option: option } = await admin.admin.shippingOption.create({
      name: 'SDK courier',
      service_zone_id: region.id,
      shipping_profile_id: profile.id,
      provider_id: providers[0].id,
      price_type: 'flat',
      type: { label: 'Courier', description: 'Same day', code: 'courier' },
      prices: [{ currency_code: region.currency_code, amount: 8.5 }],
      rules: [
        { attribute: 'enabled_in_store', operator: 'eq', value: 'true' },
        { attribute: 'is_return', operator: 'eq', value: 'false' },
      ],
    });
    assert.equal(option.prices[0].amount, 8.5);
    assert.equal(option.shipping_profile.id, profile.id);
    const { shipping_option: repriced } = await admin.admin.shippingOption.update(option.id, {
      prices: [{ currency_code: region.currency_code, amount: 9 }],
    });
    assert.equal(repriced.prices[0].amount, 9);

    const shopper = client();
    const placed = await checkOut(shopper, {
      regionId: region.id, email: `courier.${Date.now()}@example.com`, quantity: 1, option: /SDK courier/,
    });
    assert.equal(placed.shipping_methods[0].name, 'SDK courier');
    assert.equal(placed.shipping_methods[0].amount, 9);

    // Kept back through its rules: no longer offered to the next cart.
    const rule = repriced.rules.find((r) => r.attribute === 'enabled_in_store');
    await admin.admin.shippingOption.updateRules(option.id, {
      update: [{ id: rule.id, attribute: 'enabled_in_store', operator: 'eq', value: 'false' }],
    });
    const { cart } = await shopper.store.cart.create({ region_id: region.id });
    const { shipping_options: offered } = await shopper.store.fulfillment.listCartOptions({ cart_id: cart.id });
    assert.ok(!offered.some((o) => o.id === option.id));

    assert.equal((await admin.admin.shippingOption.delete(option.id)).deleted, true);
    await assert.rejects(admin.admin.shippingOption.retrieve(option.id), (e) => e.status === 404);
    assert.equal((await admin.admin.shippingProfile.delete(profile.id)).deleted, true);
  }));

  test('an operator records a phone customer, their address and group through the admin SDK', logged(async () => {
    const admin = await adminClient();
    const email = `phone.${Date.now()}@example.com`;
    let { customer } = await admin.admin.customer.create({ email, first_name: 'Grace', last_name: 'Hopper' });
    assert.equal(customer.has_account, false);
    ({ customer } = await admin.admin.customer.update(customer.id, { phone: '+41 79 000 00 00' }));
    assert.equal(customer.phone, '+41 79 000 00 00');
    ({ customer } = await admin.admin.customer.createAddress(customer.id, {
      address_1: '1 Main St', city: 'Zurich', postal_code: '8000', country_code: 'ch',
    }));
    const [address] = customer.addresses;
    const { address: fetched } = await admin.admin.customer.retrieveAddress(customer.id, address.id);
    assert.equal(fetched.city, 'Zurich');
    const { customer_group: group } = await admin.admin.customerGroup.create({ name: `Phone orders ${Date.now()}` });
    await admin.admin.customer.batchCustomerGroups(customer.id, { add: [group.id] });
    const { customer_group: withMember } = await admin.admin.customerGroup.retrieve(group.id, { fields: '*customers' });
    assert.ok(withMember.customers.some((c) => c.id === customer.id));
    assert.equal((await admin.admin.customer.deleteAddress(customer.id, address.id)).deleted, true);
    await assert.rejects(admin.admin.customer.create({ email }), (e) => e.status === 409);
  }));

  test('an operator uploads a picture and shows it on a product through the admin SDK', logged(async () => {
    const admin = await adminClient();
    // The SDK's upload asks `body instanceof FileList`, a browser global Node lacks.
    globalThis.FileList ??= class FileList {};
    // A 300 × 200 PNG.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAASwAAADICAIAAADdvUsCAAABsUlEQVR42u3TQQ0AAAjEsFOCYoQhCxk8aFIFS5bqAQ5FAjAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQMCGYEDAhmBAwIZgQTKgCmBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAgmVAFMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBBMCJgQTAiaEnxZrn9KPQ5JGbQAAAABJRU5ErkJggg==', 'base64');
    const { files } = await admin.admin.upload.create({ files: [new File([png], 'SDK shelf.png', { type: 'image/png' })] });
    assert.equal(files.length, 1);
    const [file] = files;
    assert.match(file.url, /sdk-shelf\.png$/);
    const served = await fetch(new URL(file.url, server.baseURL));
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), png);
    assert.equal((await admin.admin.upload.retrieve(file.id)).file.url, file.url);

    const { product } = await admin.admin.product.create({
      title: `SDK pictured ${Date.now()}`,
      images: [{ url: file.url }],
      thumbnail: file.url,
    });
    assert.deepEqual(product.images.map((i) => i.url), [file.url]);
    await assert.rejects(admin.admin.upload.delete(file.id), (e) => e.status === 409);
    await admin.admin.product.update(product.id, { images: [], thumbnail: null });
    assert.equal((await admin.admin.upload.delete(file.id)).deleted, true);
    await assert.rejects(
      admin.admin.upload.create({ files: [new File([Buffer.from('not a picture')], 'notes.png', { type: 'image/png' })] }),
      (e) => e.status === 400 && /JPEG, PNG, WebP and GIF/.test(e.message),
    );
  }));
  test('an operator gives a product options and finds its variants through the admin SDK', logged(async () => {
    const admin = await adminClient();
    const sku = `SDK-OPT-${Date.now()}`;
    const { product } = await admin.admin.product.create({
      title: `SDK options ${Date.now()}`,
      options: [{ title: 'Size', values: ['330 ml', '500 ml'] }],
      variants: [{ title: 'Small', sku, options: { Size: '330 ml' }, prices: [{ currency_code: 'eur', amount: 2 }] }],
    });
    // The SDK of Medusa 2.16+ lists a product's options; adding one is the
    // route earlier SDKs called createOption, sent here as they sent it.
    const { product: withFlavour } = await admin.client.fetch(`/admin/products/${product.id}/options`, {
      method: 'POST',
      body: { title: 'Flavour', values: ['Lemon', 'Peach'] },
    });
    assert.deepEqual(withFlavour.variants[0].options.map((o) => o.value), ['330 ml', 'Lemon']);
    const { product_options: options, count } = await admin.admin.product.listOptions(product.id);
    assert.equal(count, 2);
    assert.deepEqual(options.map((o) => o.title), ['Size', 'Flavour']);
    assert.deepEqual(options[1].values.map((v) => v.value), ['Lemon', 'Peach']);
    await assert.rejects(
      admin.admin.product.createVariant(product.id, { title: 'Twin', options: { Size: '330 ml', Flavour: 'Lemon' }, prices: [] }),
      (e) => e.status === 409 && /already has these option values/.test(e.message),
    );

    const { variants, count: found } = await admin.admin.productVariant.list({ q: sku });
    assert.equal(found, 1);
    assert.equal(variants[0].sku, sku);
    assert.equal(variants[0].product.id, product.id);
  }));
});
