/* A stand-in for Stripe.js v3, served by the Automat Stripe simulator.
 *
 * The subset a checkout needs: Stripe(pk), elements(), a card (or payment)
 * element mounted as an iframe served by the simulator, createPaymentMethod,
 * confirmCardPayment / confirmPayment, confirmCardSetup / confirmSetup,
 * handleCardAction / handleNextAction, retrievePaymentIntent /
 * retrieveSetupIntent. Card data is typed into the iframe and sent from it to
 * the simulator only; the page sees PaymentMethod ids.
 *
 * 3-D Secure opens a challenge frame (iframe name "__stripeJSChallengeFrame")
 * with "Complete" and "Fail" buttons, as Stripe's test challenge has.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var ORIGIN = new URL(script ? script.src : location.href).origin;
  var frameCount = 0;

  function form(params) {
    var parts = [];
    (function walk(prefix, value) {
      if (value === undefined || value === null) return;
      if (typeof value === "object") {
        Object.keys(value).forEach(function (k) {
          walk(prefix ? prefix + "[" + k + "]" : k, value[k]);
        });
      } else {
        parts.push(encodeURIComponent(prefix) + "=" + encodeURIComponent(String(value)));
      }
    })("", params);
    return parts.join("&");
  }

  function intentOf(clientSecret) {
    if (typeof clientSecret !== "string" || clientSecret.indexOf("_secret_") < 0) {
      throw new Error("Invalid value for clientSecret: " + clientSecret);
    }
    var id = clientSecret.split("_secret_")[0];
    return { id: id, kind: id.indexOf("seti_") === 0 ? "setup_intents" : "payment_intents" };
  }

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (!publishableKey || publishableKey.indexOf("pk_") !== 0) {
      throw new Error("Invalid API Key provided: " + publishableKey);
    }
    this._key = publishableKey;
    this._elements = [];
  }

  Stripe.prototype._api = function (method, path, params) {
    var url = ORIGIN + "/v1/" + path;
    var init = {
      method: method,
      headers: { Authorization: "Bearer " + this._key },
    };
    if (method === "GET") {
      var q = form(params || {});
      if (q) url += "?" + q;
    } else {
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
      init.body = form(params || {});
    }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (body) {
        return r.ok ? { ok: body } : { error: body.error || { message: "Request failed" } };
      });
    });
  };

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options || {});
  };

  // A card element from `data`: {payment_method: {card: element, billing_details}}
  // or {payment_method: "pm_…"}; resolves to {id} or {error}.
  Stripe.prototype._paymentMethod = function (paymentMethod) {
    if (!paymentMethod) return Promise.resolve({ id: null });
    if (typeof paymentMethod === "string") return Promise.resolve({ id: paymentMethod });
    var element = paymentMethod.card || paymentMethod.element;
    if (!element || !element._request) {
      return Promise.resolve({
        error: { type: "validation_error", message: "A mounted card Element is required." },
      });
    }
    return element._request("createPaymentMethod", {
      billing_details: paymentMethod.billing_details || {},
    });
  };

  Stripe.prototype.createPaymentMethod = function (a, b, c) {
    var data = typeof a === "string" ? Object.assign({ type: a, card: b }, c || {}) : a;
    var element = data.card || data.element || (data.elements && data.elements._mounted());
    return this._paymentMethod({ card: element, billing_details: data.billing_details })
      .then(function (pm) {
        return pm.error ? { error: pm.error } : { paymentMethod: pm.object };
      });
  };

  // Confirms an intent with a payment method, then handles 3-D Secure in a
  // modal; `returnUrl` is where the shopper goes afterwards unless
  // `redirect` is "if_required".
  Stripe.prototype._confirm = function (clientSecret, paymentMethod, extra, redirect, returnUrl) {
    var self = this;
    var intent = intentOf(clientSecret);
    return this._paymentMethod(paymentMethod).then(function (pm) {
      if (pm.error) return { error: pm.error };
      var params = Object.assign({ client_secret: clientSecret, use_stripe_sdk: "true" }, extra || {});
      if (pm.id) params.payment_method = pm.id;
      return self._api("POST", intent.kind + "/" + intent.id + "/confirm", params).then(function (r) {
        if (r.error) return { error: r.error };
        return self._afterConfirm(intent, clientSecret, r.ok, redirect, returnUrl);
      });
    });
  };

  Stripe.prototype._afterConfirm = function (intent, clientSecret, object, redirect, returnUrl) {
    var self = this;
    var action = object.next_action;
    if (object.status === "requires_action" && action) {
      if (action.type === "redirect_to_url") {
        window.location.assign(action.redirect_to_url.url);
        return new Promise(function () {});
      }
      return challenge(action.use_stripe_sdk.stripe_js).then(function () {
        return self._retrieve(intent, clientSecret).then(function (r) {
          if (r.error) return r;
          return self._result(intent, clientSecret, r.ok, redirect, returnUrl);
        });
      });
    }
    return self._result(intent, clientSecret, object, redirect, returnUrl);
  };

  // {paymentIntent}/{setupIntent}, {error} after a failed attempt, or the
  // redirect to returnUrl.
  Stripe.prototype._result = function (intent, clientSecret, object, redirect, returnUrl) {
    var setup = intent.kind === "setup_intents";
    var error = object.last_payment_error || object.last_setup_error;
    if (object.status === "requires_payment_method" && error) {
      var e = Object.assign({}, error);
      e[setup ? "setup_intent" : "payment_intent"] = object;
      return { error: e };
    }
    if (returnUrl && redirect !== "if_required") {
      var prefix = setup ? "setup_intent" : "payment_intent";
      var target = new URL(returnUrl, location.href);
      target.searchParams.set(prefix, intent.id);
      target.searchParams.set(prefix + "_client_secret", clientSecret);
      target.searchParams.set("redirect_status", "succeeded");
      window.location.assign(target.toString());
      return new Promise(function () {});
    }
    var out = {};
    out[setup ? "setupIntent" : "paymentIntent"] = object;
    return out;
  };

  Stripe.prototype._retrieve = function (intent, clientSecret) {
    return this._api("GET", intent.kind + "/" + intent.id, { client_secret: clientSecret });
  };

  Stripe.prototype.confirmCardPayment = function (clientSecret, data) {
    data = data || {};
    var extra = {};
    if (data.setup_future_usage) extra.setup_future_usage = data.setup_future_usage;
    if (data.receipt_email) extra.receipt_email = data.receipt_email;
    return this._confirm(clientSecret, data.payment_method, extra, "if_required");
  };

  Stripe.prototype.confirmCardSetup = function (clientSecret, data) {
    return this._confirm(clientSecret, (data || {}).payment_method, {}, "if_required");
  };

  // confirmPayment / confirmSetup with the Payment Element.
  function confirmWithElements(self, opts) {
    var clientSecret = opts.clientSecret || (opts.elements && opts.elements._options.clientSecret);
    var params = opts.confirmParams || {};
    var element = opts.elements && opts.elements._mounted();
    var pm = element
      ? { card: element, billing_details: (params.payment_method_data || {}).billing_details }
      : params.payment_method;
    return self._confirm(clientSecret, pm, {}, opts.redirect || "always", params.return_url);
  }

  Stripe.prototype.confirmPayment = function (opts) {
    return confirmWithElements(this, opts);
  };

  Stripe.prototype.confirmSetup = function (opts) {
    return confirmWithElements(this, opts);
  };

  // For an intent the server confirmed that now requires_action.
  Stripe.prototype.handleNextAction = function (opts) {
    var self = this;
    var clientSecret = opts.clientSecret;
    var intent = intentOf(clientSecret);
    return this._retrieve(intent, clientSecret).then(function (r) {
      if (r.error) return r;
      return self._afterConfirm(intent, clientSecret, r.ok, "if_required");
    });
  };

  Stripe.prototype.handleCardAction = function (clientSecret) {
    return this.handleNextAction({ clientSecret: clientSecret });
  };

  Stripe.prototype.handleCardSetup = Stripe.prototype.confirmCardSetup;

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    return this._retrieve(intentOf(clientSecret), clientSecret).then(function (r) {
      return r.error ? r : { paymentIntent: r.ok };
    });
  };

  Stripe.prototype.retrieveSetupIntent = function (clientSecret) {
    return this._retrieve(intentOf(clientSecret), clientSecret).then(function (r) {
      return r.error ? r : { setupIntent: r.ok };
    });
  };

  // ---- 3-D Secure challenge: a modal iframe served by the simulator.
  function challenge(url) {
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.setAttribute("data-stripe-challenge", "");
      overlay.style.cssText =
        "position:fixed;inset:0;background:rgba(0,0,0,.5);display:flex;align-items:center;justify-content:center;z-index:2147483647";
      var frame = document.createElement("iframe");
      frame.name = "__stripeJSChallengeFrame";
      frame.title = "3D Secure challenge";
      frame.src = url;
      frame.style.cssText = "width:420px;height:420px;border:0;background:#fff;border-radius:6px";
      overlay.appendChild(frame);
      document.body.appendChild(overlay);
      function done(event) {
        if (event.source !== frame.contentWindow || !event.data || event.data.type !== "stripe-3ds-complete") return;
        window.removeEventListener("message", done);
        overlay.remove();
        resolve();
      }
      window.addEventListener("message", done);
    });
  }

  // ---- Elements
  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options;
    this._list = [];
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "card" && type !== "payment") {
      throw new Error("The simulator's Stripe.js supports the card and payment Elements, not " + type);
    }
    var element = new Element(this._stripe, type, options || {});
    this._list.push(element);
    return element;
  };

  Elements.prototype.getElement = function (type) {
    return this._list.filter(function (e) { return e._type === type && !e._destroyed; })[0] || null;
  };

  Elements.prototype._mounted = function () {
    return this._list.filter(function (e) { return e._frame && !e._destroyed; })[0] || null;
  };

  Elements.prototype.submit = function () {
    var element = this._mounted();
    if (!element) return Promise.resolve({ error: { type: "validation_error", message: "No Element is mounted." } });
    return element._request("validate", {}).then(function (r) {
      return r.error ? { error: r.error } : {};
    });
  };

  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  function Element(stripe, type, options) {
    this._stripe = stripe;
    this._type = type;
    this._options = options;
    this._handlers = {};
    this._pending = {};
    this._seq = 0;
    this._frame = null;
  }

  Element.prototype.mount = function (target) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) throw new Error("The selector you specified (" + target + ") applies to no DOM elements.");
    var self = this;
    var frame = document.createElement("iframe");
    frame.name = "__privateStripeFrame" + (++frameCount);
    frame.title = "Secure card payment input frame";
    frame.setAttribute("allowtransparency", "true");
    frame.src = ORIGIN + "/v3/elements/card?pk=" + encodeURIComponent(this._stripe._key) +
      (this._options.hidePostalCode ? "&hidePostalCode=1" : "");
    frame.style.cssText = "width:100%;height:" + (this._type === "payment" ? "170px" : "44px") + ";border:0;";
    container.classList.add("StripeElement");
    container.innerHTML = "";
    container.appendChild(frame);
    this._container = container;
    this._frame = frame;
    this._listener = function (event) {
      if (event.source !== frame.contentWindow || !event.data) return;
      var msg = event.data;
      if (msg.type === "ready") self._emit("ready", { elementType: self._type });
      if (msg.type === "change") {
        container.classList.toggle("StripeElement--complete", !!msg.complete);
        container.classList.toggle("StripeElement--invalid", !!msg.error);
        container.classList.toggle("StripeElement--empty", !!msg.empty);
        self._emit("change", {
          elementType: self._type, complete: msg.complete, empty: msg.empty,
          error: msg.error || undefined, brand: msg.brand, value: msg.value,
        });
      }
      if (msg.type === "focus" || msg.type === "blur") {
        container.classList.toggle("StripeElement--focus", msg.type === "focus");
        self._emit(msg.type, { elementType: self._type });
      }
      if (msg.type === "reply" && self._pending[msg.id]) {
        self._pending[msg.id](msg.result);
        delete self._pending[msg.id];
      }
    };
    window.addEventListener("message", this._listener);
  };

  Element.prototype._request = function (kind, payload) {
    var self = this;
    if (!this._frame) return Promise.resolve({ error: { type: "validation_error", message: "The Element is not mounted." } });
    return new Promise(function (resolve) {
      var id = ++self._seq;
      self._pending[id] = resolve;
      self._frame.contentWindow.postMessage({ type: kind, id: id, payload: payload }, ORIGIN);
    });
  };

  Element.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };
  Element.prototype.addEventListener = Element.prototype.on;
  Element.prototype.off = function (event, handler) {
    this._handlers[event] = (this._handlers[event] || []).filter(function (h) { return h !== handler; });
    return this;
  };
  Element.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (h) { h(payload); });
  };
  Element.prototype.unmount = function () {
    if (this._listener) window.removeEventListener("message", this._listener);
    if (this._frame) this._frame.remove();
    this._frame = null;
  };
  Element.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
  };
  Element.prototype.update = function (options) { Object.assign(this._options, options || {}); };
  Element.prototype.focus = function () { if (this._frame) this._request("focus", {}); };
  Element.prototype.blur = function () {};
  Element.prototype.clear = function () { if (this._frame) this._request("clear", {}); };

  Stripe.version = 3;
  window.Stripe = Stripe;
})();
