// The storefront's side of Stripe.js: loads it from the configured address
// (Stripe's own in production, the simulator's stand-in in tests), mounts the
// card field (an iframe of Stripe's: card numbers never reach the store's
// page or server), and confirms payments and card setups. Each call answers
// once through `done`, with JSON text: {"status": …} or {"error": {message, code, …}}.

let loading = null;
let stripe = null;
let stripeKey = null;
let card = null;

function load(url) {
  if (window.Stripe) return Promise.resolve();
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = () => resolve();
      script.onerror = () => {
        loading = null;
        reject(new Error('The card field could not be loaded; check your connection and reload the page.'));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

const failure = (e) => JSON.stringify({ error: { message: String((e && e.message) || e) } });

export function mountCard(url, publishableKey, elementId, done) {
  load(url)
    .then(() => {
      if (!stripe || stripeKey !== publishableKey) {
        stripe = window.Stripe(publishableKey);
        stripeKey = publishableKey;
      }
      if (card) card.destroy();
      card = stripe.elements().create('card', { hidePostalCode: true });
      card.mount('#' + elementId);
      done(JSON.stringify({ status: 'mounted' }));
    })
    .catch((e) => done(failure(e)));
}

function settle(confirming, done) {
  confirming
    .then((r) => {
      if (r.error) {
        const { message, code, decline_code, type } = r.error;
        done(JSON.stringify({ error: { message, code, decline_code, type } }));
      } else {
        done(JSON.stringify({ status: (r.paymentIntent || r.setupIntent).status }));
      }
    })
    .catch((e) => done(failure(e)));
}

function ready(done) {
  if (stripe && card) return true;
  done(failure('The card field is not ready yet; wait a moment and try again.'));
  return false;
}

// Stripe.js shows the 3-D Secure challenge itself when the bank asks for one.
export function confirmCardPayment(clientSecret, done) {
  if (ready(done)) settle(stripe.confirmCardPayment(clientSecret, { payment_method: { card } }), done);
}

export function confirmCardSetup(clientSecret, done) {
  if (ready(done)) settle(stripe.confirmCardSetup(clientSecret, { payment_method: { card } }), done);
}
