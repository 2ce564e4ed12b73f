/*!
 * sessionlink.js: session tokens and the hosted-checkout handoff, without jQuery.
 * Plain ES2017, no dependencies, no build step. Load it as a classic script:
 *   <script src="https://store.example.com/sessionlink.js"></script>
 * and use window.Sessionlink.getSessionToken(...) and window.Sessionlink.checkout(...).
 */
(function (global) {
  'use strict';

  var DEFAULT_TIMEOUT_MS = 10000;
  var counter = 0;

  // The origin this script was served from: Sessionlink's store, the default for `store`.
  var scriptOrigin = null;
  try {
    var current = global.document && global.document.currentScript;
    if (current && current.src) scriptOrigin = new URL(current.src, global.location.href).origin;
  } catch (e) {
    scriptOrigin = null;
  }

  function fail(message) {
    return Promise.reject(new Error('Sessionlink: ' + message));
  }

  function baseOf(value, name) {
    var raw = value === undefined || value === null || value === '' ? scriptOrigin : String(value);
    if (raw === null) throw new Error('Sessionlink: "' + name + '" is required (the Sessionlink server URL)');
    var url = new URL(raw, global.location.href);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('Sessionlink: "' + name + '" must be an http(s) URL');
    return url.href.replace(/\/+$/, '');
  }

  function siteActionURL(store, siteId, apiKey, extra) {
    var query = ['format=json'];
    if (apiKey) query.push('apiKey=' + encodeURIComponent(apiKey));
    for (var name in extra) query.push(name + '=' + encodeURIComponent(extra[name]));
    return store + '/store/' + encodeURIComponent(siteId) + '/SessionToken?' + query.join('&');
  }

  /** The answer of the site action: the session token, or the limited token document. */
  function resultOf(data, apiKey) {
    if (data && typeof data.error === 'string') {
      throw new Error('Sessionlink: ' + (typeof data.error_description === 'string' ? data.error_description : data.error));
    }
    if (apiKey) {
      if (data && data.token && typeof data.token.access_token === 'string') return data.token;
    } else if (data && typeof data.session_token === 'string') {
      return data.session_token;
    }
    throw new Error('Sessionlink: unexpected answer from the site action');
  }

  /**
   * JSONP: a script element with a unique callback name. Works from any origin (cross-site script
   * inclusion), unless the site's allowedOrigins leaves the page out (the server then answers 403,
   * and the script fails to load).
   */
  function jsonp(url, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var doc = global.document;
      var name = '__sessionlink_' + Date.now().toString(36) + '_' + (++counter) + '_' + Math.random().toString(36).slice(2, 10);
      var script = doc.createElement('script');
      var timer = null;
      var settled = false;

      function cleanup() {
        settled = true;
        if (timer !== null) clearTimeout(timer);
        script.onerror = null;
        script.onload = null;
        if (script.parentNode) script.parentNode.removeChild(script);
        delete global[name];
      }

      global[name] = function (data) {
        if (settled) return;
        cleanup();
        resolve(data);
      };
      function failed() {
        if (settled) return;
        cleanup();
        reject(new Error('Sessionlink: the site action could not be loaded (network error, unknown site, bad apiKey, or this page is not in the site\'s allowedOrigins)'));
      }
      script.onerror = failed;
      // An error status may reach the page as an empty script (Chromium's opaque-response blocking):
      // it loads without calling back. A good answer calls back while it runs, before load fires.
      script.onload = failed;
      timer = setTimeout(function () {
        if (settled) return;
        cleanup();
        // A late answer must not throw "is not a function" in the page.
        global[name] = function () { delete global[name]; };
        reject(new Error('Sessionlink: the site action did not answer within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      script.async = true;
      script.src = url + '&callback=' + name + '&_=' + Date.now();
      (doc.head || doc.documentElement).appendChild(script);
    });
  }

  /**
   * fetch with the browser's cookie: needs the Sessionlink server to allow this page's origin with
   * credentials (CORS for the site's allowedOrigins); otherwise the browser refuses the answer.
   */
  function viaFetch(url, timeoutMs) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, timeoutMs);
    return global.fetch(url, { credentials: 'include', headers: { Accept: 'application/json' }, signal: controller ? controller.signal : undefined })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) {
            var why = body && (body.error_description || body.error);
            throw new Error('Sessionlink: the site action answered ' + res.status + (why ? ': ' + why : ''));
          }
          return body;
        }, function () {
          throw new Error('Sessionlink: the site action answered ' + res.status + ' without JSON');
        });
      }, function (err) {
        if (err && err.name === 'AbortError') throw new Error('Sessionlink: the site action did not answer within ' + timeoutMs + ' ms');
        throw new Error('Sessionlink: fetch failed (is this page\'s origin in the site\'s allowedOrigins, so CORS allows it?): ' + (err && err.message));
      })
      .then(function (body) {
        clearTimeout(timer);
        return body;
      }, function (err) {
        clearTimeout(timer);
        throw err;
      });
  }

  /**
   * The browser's session on the store: without apiKey, a Promise of the session token (for your
   * server to exchange with a confidential key); with a public apiKey, a Promise of the limited
   * token document {access_token, token_type, expires_in, refresh_token} for that same session.
   */
  function getSessionToken(options) {
    var o = options || {};
    if (typeof o.siteId !== 'string' || o.siteId === '') return fail('"siteId" is required');
    if (o.apiKey !== undefined && (typeof o.apiKey !== 'string' || o.apiKey === '')) return fail('"apiKey" must be a public API key');
    var transport = o.transport === undefined ? 'jsonp' : o.transport;
    if (transport !== 'jsonp' && transport !== 'fetch') return fail('"transport" must be "jsonp" or "fetch"');
    var timeoutMs = o.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(o.timeout);
    if (!(timeoutMs > 0)) return fail('"timeout" must be a positive number of milliseconds');
    var store;
    try {
      store = baseOf(o.store, 'store');
    } catch (e) {
      return Promise.reject(e);
    }
    var url = siteActionURL(store, o.siteId, o.apiKey, {});
    var call = transport === 'fetch' ? viaFetch(url, timeoutMs) : jsonp(url, timeoutMs);
    return call.then(function (data) { return resultOf(data, o.apiKey); });
  }

  /**
   * Hands the shopper to the hosted checkout: a top-level form POST to web-checkout with the token in
   * the body (never in a URL, history or Referer). The server answers 302 to the hosted cart with a
   * single-use handoff code, which attaches this browser to the token's session. `returnUrl` (optional)
   * is where the hosted pages link back to and where the thank-you page sends the shopper with
   * `?order=…&code=…`: the site's returnUrl or a URL on one of its allowedOrigins (else 400).
   */
  function checkout(options) {
    var o = options || {};
    var token = o.token && typeof o.token === 'object' ? o.token.access_token : o.token;
    if (typeof token !== 'string' || token === '') throw new Error('Sessionlink: "token" (an access token) is required');
    var api = baseOf(o.api, 'api');
    var doc = global.document;
    var form = doc.createElement('form');
    form.method = 'POST';
    form.action = api + '/v1/shoppers/me/carts/active/web-checkout';
    form.enctype = 'application/x-www-form-urlencoded';
    // The hosted pages refuse framing, and the handoff must be a top-level navigation.
    form.target = '_top';
    form.style.display = 'none';
    var input = doc.createElement('input');
    input.type = 'hidden';
    input.name = 'token';
    input.value = token;
    form.appendChild(input);
    if (o.returnUrl !== undefined && o.returnUrl !== null) {
      if (typeof o.returnUrl !== 'string' || !/^https?:\/\//i.test(o.returnUrl)) throw new Error('Sessionlink: "returnUrl" must be an absolute http(s) URL');
      var back = doc.createElement('input');
      back.type = 'hidden';
      back.name = 'returnUrl';
      back.value = o.returnUrl;
      form.appendChild(back);
    }
    (doc.body || doc.documentElement).appendChild(form);
    form.submit();
  }

  global.Sessionlink = { getSessionToken: getSessionToken, checkout: checkout, version: '1' };
})(typeof window !== 'undefined' ? window : this);
