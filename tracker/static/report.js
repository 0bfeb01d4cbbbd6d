/* Reporter pages, progressive enhancement only: everything works without it.
 * - The report form's steps switch in the page; the review is built here.
 * - A draft is kept in this tab only (sessionStorage "tracker:draft").
 * - Offline: the worker (/sw.js) keeps the form; a report that cannot be
 *   sent is held (localStorage "tracker:queue") only if the reporter ticks
 *   the box, and is sent when the signal returns, with the same
 *   idempotency key, so it lands once.
 * - The district map and "Use my location" (only the district is sent
 *   unless the reporter ticks to send rounded coordinates).
 * - Unit list narrowed to the force; contact fields shown with consent;
 *   print button on the receipt; focus on the error summary. */
(function () {
  "use strict";
  var doc = document, w = window, S = w.sessionStorage, L = w.localStorage;
  var DRAFT = "tracker:draft", QUEUE = "tracker:queue";
  var page = "<!doctype html>" + doc.documentElement.outerHTML;
  function $(id) { return doc.getElementById(id); }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function get(store, key) { try { return JSON.parse(store.getItem(key)); } catch (e) { return null; } }
  function put(store, key, v) { try { store.setItem(key, JSON.stringify(v)); } catch (e) { /* full or off */ } }
  function del(store, key) { try { store.removeItem(key); } catch (e) { /* off */ } }

  if ($("receipt")) { del(S, DRAFT); }
  var printBtn = $("print-receipt");
  if (printBtn && w.print) {
    printBtn.hidden = false;
    printBtn.addEventListener("click", function () { w.print(); });
  }

  var form = $("report-form");
  if (!form) { return; }
  var stepInput = $("step"), status = $("send-status");
  var steps = form.querySelectorAll(".step");

  // ------------------------------------------------------------ steps
  function current() { return +stepInput.value || 1; }
  function show(n, focus) {
    each(steps, function (s) { s.hidden = +s.getAttribute("data-step") !== n; });
    stepInput.value = n;
    if (n === steps.length) { review(); }
    var legend = steps[n - 1].querySelector("legend");
    if (focus !== false) {
      legend.tabIndex = -1;
      legend.focus();
      w.scrollTo(0, 0);
    }
    save();
  }
  function missing(step) {
    var bad = [];
    each(step.querySelectorAll(".req"), function (req) {
      var box = req.closest(".field,.choices");
      var inputs = box.querySelectorAll("input,select,textarea");
      var ok = false;
      each(inputs, function (i) { if ((i.type === "checkbox" || i.type === "radio") ? i.checked : i.value.trim()) { ok = true; } });
      var old = box.querySelector(".js-error");
      if (old) { old.remove(); }
      box.classList.toggle("has-error", !ok);
      if (!ok) {
        var p = doc.createElement("p");
        p.className = "field-error js-error";
        p.id = box.id + "-jserror";
        p.textContent = form.getAttribute("data-required");
        box.insertBefore(p, box.children[1]);
        inputs[0].setAttribute("aria-describedby", p.id);
        bad.push(inputs[0]);
      }
    });
    if (bad.length) { bad[0].focus(); }
    return bad.length;
  }
  function labelOf(el) {
    if (el.type === "checkbox" && el.name.indexOf("victims_") !== 0 && el.closest(".choices") && el.name !== "property_damaged") {
      return el.closest(".choices").querySelector("legend").textContent;
    }
    if (el.type === "radio") { return el.closest(".choices").querySelector("legend").textContent; }
    if (el.type === "checkbox") { return el.closest("label").textContent; }
    var l = form.querySelector("label[for='" + el.id + "']");
    return l ? l.textContent : el.name;
  }
  function review() {
    var box = $("review"), yes = box.getAttribute("data-yes"), empty = box.getAttribute("data-empty");
    each(box.querySelectorAll(".review-step"), function (rs) {
      var step = steps[+rs.getAttribute("data-review") - 1], rows = {}, order = [];
      each(step.querySelectorAll("input,select,textarea"), function (el) {
        if (!el.name || el.type === "hidden" || el.type === "file") { return; }
        var v = "";
        if (el.type === "checkbox" || el.type === "radio") {
          if (!el.checked || !el.value) { return; }
          v = el.type === "checkbox" && !el.closest(".choices.columns,#field-needs") ? yes : el.closest("label").textContent;
        } else if (el.tagName === "SELECT") {
          v = el.value ? el.options[el.selectedIndex].textContent : "";
        } else { v = el.value.trim(); }
        if (!v) { return; }
        var key = labelOf(el).trim();
        if (!rows[key]) { rows[key] = []; order.push(key); }
        rows[key].push(v.trim());
      });
      var body = rs.querySelector(".review-body");
      body.textContent = "";
      if (!order.length) {
        var p = doc.createElement("p");
        p.className = "muted";
        p.textContent = empty;
        body.appendChild(p);
        return;
      }
      var dl = doc.createElement("dl");
      dl.className = "review";
      order.forEach(function (k) {
        var dt = doc.createElement("dt"), dd = doc.createElement("dd");
        dt.textContent = k;
        dd.textContent = rows[k].join(", ");
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      body.appendChild(dl);
    });
  }

  // ------------------------------------------------------------ draft (this tab only)
  function fields(withFiles) {
    var out = [];
    new FormData(form).forEach(function (v, k) {
      if (k === "csrf_token" || k === "nav" || (typeof v !== "string" && !withFiles)) { return; }
      out.push([k, v]);
    });
    return out;
  }
  function save() { put(S, DRAFT, fields(false)); }
  function restore(pairs) {
    var vals = {};
    pairs.forEach(function (p) { (vals[p[0]] = vals[p[0]] || []).push(p[1]); });
    each(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrf_token" || !(el.name in vals)) {
        if (el.name && (el.type === "checkbox" || el.type === "radio") && !(el.name in vals)) { el.checked = false; }
        return;
      }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = vals[el.name].indexOf(el.value) >= 0; }
      else { el.value = vals[el.name][0]; }
    });
  }
  if (form.hasAttribute("data-fresh")) {
    var key = new Uint8Array(18);
    w.crypto.getRandomValues(key);
    form.elements.idempotency_key.value = btoa(String.fromCharCode.apply(null, key)).replace(/\+/g, "-").replace(/\//g, "_");
    var draft = get(S, DRAFT);
    if (draft) { restore(draft); }
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);

  // ------------------------------------------------------------ sending, and holding when offline
  var queued = $("queued");
  function showQueued() { queued.hidden = !get(L, QUEUE); }
  function say(what) { status.textContent = what ? status.getAttribute("data-" + what) : ""; }
  function landed(res) {
    if (res.type === "opaqueredirect" || res.redirected) {
      del(L, QUEUE);
      del(S, DRAFT);
      w.location.href = form.getAttribute("data-receipt");
      return true;
    }
    return res.text().then(function (html) {
      del(L, QUEUE);  // refused, not lost: the answers are in the page shown now
      doc.open();
      doc.write(html);
      doc.close();
    });
  }
  function post(body) {
    body.set("nav", "send");
    return fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
  }
  var sending = false;
  function sendQueued() {
    var q = get(L, QUEUE);
    if (!q || sending || navigator.onLine === false) { return; }
    sending = true;
    // A fresh CSRF token (the page may have come from the worker's cache).
    fetch(form.action, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var m = /name="csrf_token"[^>]*value="([^"]*)"/.exec(html) || /value="([^"]*)"[^>]*name="csrf_token"/.exec(html);
      var body = new FormData();
      q.forEach(function (p) { body.append(p[0], p[1]); });
      body.set("csrf_token", m ? m[1] : "");
      return post(body);
    }).then(landed).catch(function () { /* still no signal: try again later */ }).then(function () { sending = false; });
  }
  queued && $("queued-delete").addEventListener("click", function () { del(L, QUEUE); showQueued(); });
  if (queued) {
    showQueued();
    w.addEventListener("online", sendQueued);
    w.setInterval(sendQueued, 15000);
    sendQueued();
  }

  form.addEventListener("submit", function (ev) {
    var nav = ev.submitter && ev.submitter.name === "nav" ? ev.submitter.value : "send";
    ev.preventDefault();
    var n = current();
    if (nav === "next") { if (!missing(steps[n - 1])) { show(n + 1); } return; }
    if (nav === "back") { show(n - 1); return; }
    if (nav.indexOf("goto-") === 0) { show(+nav.slice(5)); return; }
    for (var i = 0; i < steps.length - 1; i++) {
      if (missing(steps[i])) { show(i + 1, false); missing(steps[i]); return; }
    }
    say("sending");
    post(new FormData(form)).then(landed, function () {
      if ($("hold-ok").checked) {
        put(L, QUEUE, fields(false));
        say("held");
        showQueued();
      } else { say("offline"); }
    });
  });
  if ($("hold")) { $("hold").hidden = false; }
  doc.addEventListener("click", function (ev) {  // error summary links to other steps
    var a = ev.target.closest("#errors a[href^='#field-'],#errors button[value^='goto-']");
    if (!a) { return; }
    var target = $(a.getAttribute("href") ? a.getAttribute("href").slice(1) : "");
    var step = target ? target.closest(".step") : steps[+a.value.slice(5) - 1];
    ev.preventDefault();
    show(+step.getAttribute("data-step"), false);
    (target || step).scrollIntoView();
  });

  // ------------------------------------------------------------ offline copy of the form
  if ("serviceWorker" in navigator && form.hasAttribute("data-fresh")) {
    navigator.serviceWorker.register(form.getAttribute("data-sw")).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      return caches.open("tracker");
    }).then(function (c) {
      var assets = [];
      each(doc.querySelectorAll("link[rel=stylesheet],script[src]"), function (el) { assets.push(el.href || el.src); });
      c.put(w.location.href, new Response(page, { headers: { "Content-Type": "text/html; charset=utf-8" } }));
      return c.addAll(assets);
    }).catch(function () { /* no worker: the form still works online */ });
  }

  // ------------------------------------------------------------ where: map and location
  var region = $("region"), map = $("region-map");
  function mark() {
    if (!map) { return; }
    each(map.querySelectorAll("path[data-pcode]"), function (p) {
      p.classList.toggle("chosen", p.getAttribute("data-pcode") === region.value);
    });
  }
  if (map && region) {
    map.hidden = false;
    map.addEventListener("click", function (ev) {
      var code = ev.target.getAttribute && ev.target.getAttribute("data-pcode");
      if (code) { region.value = code; mark(); save(); }
    });
    region.addEventListener("change", mark);
    mark();
  }
  function inside(x, y, d) {
    var hit = false;
    d.split("M").forEach(function (ring) {
      var n = ring.replace(/Z/g, "").trim().split(/[\s,]+/).map(Number);
      for (var i = 0, j = n.length - 2; i < n.length; j = i, i += 2) {
        if ((n[i + 1] > y) !== (n[j + 1] > y) && x < (n[j] - n[i]) * (y - n[i + 1]) / (n[j + 1] - n[i + 1]) + n[i]) { hit = !hit; }
      }
    });
    return hit;
  }
  var box = $("location"), lat = $("latitude"), lon = $("longitude"), send = $("send_coordinates"), pos = null;
  function coords() {
    lat.value = pos && send.checked ? pos[0].toFixed(2) : "";
    lon.value = pos && send.checked ? pos[1].toFixed(2) : "";
    save();
  }
  if (box && map && "geolocation" in navigator) {
    var svg = map.querySelector("svg"), msg = $("location-status");
    var proj = svg.getAttribute("data-proj").split(" ").map(Number);  // lon0 lat0 sx sy
    box.hidden = false;
    send.checked = !!lat.value;
    send.addEventListener("change", coords);
    $("locate").addEventListener("click", function () {
      msg.textContent = box.getAttribute("data-wait");
      navigator.geolocation.getCurrentPosition(function (p) {
        pos = [Math.round(p.coords.latitude * 100) / 100, Math.round(p.coords.longitude * 100) / 100];
        var x = (p.coords.longitude - proj[0]) * proj[2], y = (proj[1] - p.coords.latitude) * proj[3], found = "";
        each(svg.querySelectorAll("path[data-pcode]"), function (el) {
          if (!found && inside(x, y, el.getAttribute("d"))) { found = el.getAttribute("data-pcode"); }
        });
        if (found) { region.value = found; mark(); }
        msg.textContent = box.getAttribute(found ? "data-done" : "data-outside");
        coords();
      }, function () {
        msg.textContent = box.getAttribute("data-fail");
      }, { enableHighAccuracy: false, timeout: 20000, maximumAge: 600000 });
    });
  }

  // ------------------------------------------------------------ who, consent
  var force = $("force"), unit = $("unit");
  if (force && unit) {
    var narrow = function () {
      each(unit.getElementsByTagName("optgroup"), function (g) {
        var opts = g.getElementsByTagName("option");
        var code = opts.length ? opts[0].value.split(":")[0] : "";
        g.hidden = g.disabled = !!force.value && code !== force.value;
      });
      var sel = unit.options[unit.selectedIndex];
      if (sel && sel.parentNode && sel.parentNode.disabled) { unit.value = ""; }
    };
    force.addEventListener("change", narrow);
    narrow();
  }
  var consent = $("consent_contact"), contact = $("contact-fields");
  if (consent && contact) {
    var sync = function () { contact.hidden = !consent.checked; };
    consent.addEventListener("change", sync);
    sync();
  }
  if (form.hasAttribute("data-fresh")) { show(current(), false); }
  var summary = $("errors");
  if (summary) { summary.focus(); }
})();
