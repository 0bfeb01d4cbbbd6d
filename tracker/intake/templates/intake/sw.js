/* Tracker's offline worker: keeps the report form (per language, as visited)
 * and the static files it uses, so that the form opens with no signal.
 * Nothing else is cached: no report, no receipt, no follow-up page.
 * Served by tracker.intake.views.service_worker from /sw.js (scope /). */
"use strict";
var CACHE = "tracker";
var CSP = {{ csp|tojson }};
var FORM = "{{ url_for('intake.report') }}";
var STATIC = "{{ url_for('static', filename='') }}";
var MAP = "{{ url_for('intake.districts_svg') }}";  // versioned (?v=): kept until it changes

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (ev) { ev.waitUntil(self.clients.claim()); });

function offline(req, form) {
  return caches.open(CACHE).then(function (c) {
    return c.match(req.url).then(function (hit) { return hit || (form && c.match(req, { ignoreSearch: true })); });
  }).then(function (hit) {
    if (!hit) { return Response.error(); }
    if (!form) { return hit; }
    // Pages kept by report.js carry no headers of their own: give them the site's CSP.
    var headers = new Headers(hit.headers);
    headers.set("Content-Security-Policy", CSP);
    headers.set("Cache-Control", "no-store");
    return hit.text().then(function (body) { return new Response(body, { status: 200, headers: headers }); });
  });
}

// Network first (the HTTP cache still answers for static files), this cache
// only when there is no signal.
self.addEventListener("fetch", function (ev) {
  var req = ev.request, url = new URL(req.url);
  var form = url.pathname === FORM && req.mode === "navigate";
  if (url.pathname === MAP && req.method === "GET") {
    ev.respondWith(caches.open(CACHE).then(function (c) {
      return c.match(req.url).then(function (hit) {
        return hit || fetch(req).then(function (res) {
          if (res.ok) { c.put(req.url, res.clone()); }
          return res;
        });
      });
    }));
    return;
  }
  if (req.method !== "GET" || url.origin !== self.location.origin || !(form || url.pathname.indexOf(STATIC) === 0)) {
    return;
  }
  ev.respondWith(fetch(req).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      caches.open(CACHE).then(function (c) { c.put(req.url, copy); });
    }
    return res;
  }, function () { return offline(req, form); }));
});
