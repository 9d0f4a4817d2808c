// The storefront's side of Stripe.js and Finix.js: loads the script from the
// configured address (the provider's own in production, the simulator's
// stand-in in tests), mounts the card field (an iframe of the provider's:
// card numbers never reach the store's page or server), and confirms Stripe
// payments and card setups or turns the card into a Finix token. Each call
// answers once through `done`, with JSON text: {"status": …, "token": …} or
// {"error": {message, code, …}}.

let stripe = null;
let stripeKey = null;
let card = null;
let finixForm = null;

// One load per script address; a failed load may be tried again.
const loading = new Map();
function load(url, loaded) {
  if (loaded()) return Promise.resolve();
  if (!loading.has(url)) {
    loading.set(url, new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = () => resolve();
      script.onerror = () => {
        loading.delete(url);
        reject(new Error('The card field could not be loaded; check your connection and reload the page.'));
      };
      document.head.appendChild(script);
    }));
  }
  return loading.get(url);
}

const failure = (e) => JSON.stringify({ error: { message: String((e && e.message) || e) } });

export function mountCard(url, publishableKey, elementId, done) {
  load(url, () => window.Stripe)
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

// Finix.js renders its card form as its own frame inside the element.
export function mountFinix(url, environment, applicationId, elementId, done) {
  load(url, () => window.Finix)
    .then(() => {
      finixForm = window.Finix.PaymentForm(elementId, environment, applicationId, {});
      done(JSON.stringify({ status: 'mounted' }));
    })
    .catch((e) => done(failure(e)));
}

export function tokenizeFinix(done) {
  if (!finixForm) {
    done(failure('The card form is not ready yet; wait a moment and try again.'));
    return;
  }
  finixForm.submit((error, response) => {
    const token = response && response.data && response.data.id;
    if (error || !token) {
      const { message, code } = error || {};
      done(JSON.stringify({ error: { message: message || 'Check the card details and try again.', code } }));
    } else {
      done(JSON.stringify({ status: 'tokenized', token }));
    }
  });
}
