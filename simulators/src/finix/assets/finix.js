/* A stand-in for Finix.js, served by the Automat Finix simulator.
 *
 * Finix.PaymentForm(element, environment, applicationId, options) renders
 * the card form as an iframe served by the simulator and returns a form
 * instance whose submit(callback) tokenizes: callback(error, response) with
 * response.data = {id: "TK…", fingerprint, instrument_type, …}. With
 * options.onSubmit a submit button is rendered inside the form. The v1
 * Finix.CardTokenForm(element, options).submit(environment, applicationId,
 * callback) works the same. Finix.Auth(environment, merchantId) gives a
 * fraud session id. The environment ("sandbox", "prod") is ignored: tokens
 * come from the simulator that served this script.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var ORIGIN = new URL(script ? script.src : location.href).origin;
  var count = 0;

  function Form(element, applicationId, options) {
    var container = typeof element === "string" ? document.getElementById(element) : element;
    if (!container) throw new Error("Finix: no element with id " + element);
    var self = this;
    this._application = applicationId;
    this._options = options || {};
    this._pending = {};
    this._seq = 0;
    var frame = document.createElement("iframe");
    frame.name = "finix-payment-form-" + (++count);
    frame.title = "Secure payment form";
    var query = "?submit=" + (this._options.onSubmit ? "1" : "0") +
      (applicationId ? "&application=" + encodeURIComponent(applicationId) : "") +
      (this._options.submitLabel ? "&label=" + encodeURIComponent(this._options.submitLabel) : "");
    frame.src = ORIGIN + "/finix-js/form" + query;
    frame.style.cssText = "width:100%;height:" + (this._options.onSubmit ? "330px" : "280px") + ";border:0";
    container.innerHTML = "";
    container.appendChild(frame);
    this._frame = frame;
    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow || !event.data) return;
      var msg = event.data;
      if (msg.type === "load" && self._options.onLoad) self._options.onLoad();
      if (msg.type === "update" && self._options.onUpdate) self._options.onUpdate(msg.state, msg.binInformation, msg.hasErrors);
      if (msg.type === "submitted" && self._options.onSubmit) self._options.onSubmit(msg.error, msg.response);
      if (msg.type === "reply" && self._pending[msg.id]) {
        self._pending[msg.id](msg.error, msg.response);
        delete self._pending[msg.id];
      }
    });
  }

  Form.prototype._tokenize = function (applicationId, callback) {
    var id = ++this._seq;
    this._pending[id] = callback;
    this._frame.contentWindow.postMessage({ type: "tokenize", id: id, application: applicationId || this._application }, ORIGIN);
  };

  // v2: form.submit(callback); v1: form.submit(environment, applicationId, callback).
  Form.prototype.submit = function (a, b, c) {
    if (typeof a === "function") return this._tokenize(null, a);
    return this._tokenize(b, c);
  };

  var Finix = {
    PaymentForm: function (element, environment, applicationId, options) {
      return new Form(element, applicationId, options);
    },
    CardTokenForm: function (element, options) {
      return new Form(element, null, options);
    },
    TokenForm: function (element, options) {
      return new Form(element, null, options);
    },
    Auth: function (environment, merchantId, callback) {
      var key = "FS" + Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
      if (callback) setTimeout(function () { callback(key); }, 0);
      return { getSessionKey: function () { return key; } };
    },
  };
  window.Finix = Finix;
})();
