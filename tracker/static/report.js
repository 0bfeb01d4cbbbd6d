/* Reporter pages; progressive enhancement only (all works without it).
 * Steps switch in the page; draft in this tab only (sessionStorage
 * tracker:draft); offline copy by /sw.js; a report that cannot be sent is
 * held (localStorage tracker:queue) only if the reporter ticks #hold-ok,
 * then sent with the same idempotency key when the signal returns; district
 * map and "use my location" (district only, coordinates if ticked). */
(function () {
  "use strict";
  var d = document, w = window, S = w.sessionStorage, L = w.localStorage, DRAFT = "tracker:draft", QUEUE = "tracker:queue";
  var page = "<!doctype html>" + d.documentElement.outerHTML;
  function $(id) { return d.getElementById(id); }
  function each(l, f) { Array.prototype.forEach.call(l, f); }
  function get(s, k) { try { return JSON.parse(s.getItem(k)); } catch (e) { return null; } }
  function put(s, k, v) { try { s.setItem(k, JSON.stringify(v)); } catch (e) { /* full */ } }
  function del(s, k) { try { s.removeItem(k); } catch (e) { /* off */ } }
  function el(tag, cls, text) { var e = d.createElement(tag); e.className = cls || ""; e.textContent = text || ""; return e; }
  function attr(e, a) { return e.getAttribute(a); }

  if ($("receipt")) { del(S, DRAFT); }
  var pb = $("print-receipt");
  if (pb) { pb.hidden = false; pb.onclick = function () { w.print(); }; }
  var form = $("report-form");
  if (!form) { return; }
  var fresh = form.hasAttribute("data-fresh"), stepIn = $("step"), steps = form.querySelectorAll(".step");
  var status = $("send-status"), region = $("region"), map = $("region-map");

  // Steps
  function show(n, focus) {
    each(steps, function (s) { s.hidden = +attr(s, "data-step") !== n; });
    stepIn.value = n;
    if (n === steps.length) { review(); }
    if (steps[n - 1].contains(region)) { where(); }
    if (focus !== false) { var g = steps[n - 1].querySelector("legend"); g.tabIndex = -1; g.focus(); w.scrollTo(0, 0); }
    save();
  }
  function missing(step) {
    var bad = [];
    each(step.querySelectorAll(".req"), function (r) {
      var box = r.closest(".field,.choices"), ins = box.querySelectorAll("input,select,textarea"), ok = false, old = box.querySelector(".js-error");
      each(ins, function (i) { if (/checkbox|radio/.test(i.type) ? i.checked : i.value.trim()) { ok = true; } });
      if (old) { old.remove(); }
      box.classList.toggle("has-error", !ok);
      if (!ok) {
        var p = el("p", "field-error js-error", attr(form, "data-required"));
        p.id = box.id + "-js";
        box.insertBefore(p, box.children[1]);
        ins[0].setAttribute("aria-describedby", p.id);
        bad.push(ins[0]);
      }
    });
    if (bad.length) { bad[0].focus(); }
    return bad.length;
  }
  function review() {
    var box = $("review");
    if (!box.children.length) {
      each(steps, function (s, i) {
        if (i === steps.length - 1) { return; }
        var rs = el("div", "review-step"), t = s.querySelector(".step-title").textContent, b = el("button", "link", attr(box, "data-change").replace("{step}", t));
        rs.setAttribute("data-review", i + 1);
        b.type = "submit"; b.name = "nav"; b.value = "goto-" + (i + 1);
        rs.append(el("h2", "sub", t), el("div", "review-body"), b);
        box.appendChild(rs);
      });
    }
    each(box.querySelectorAll(".review-step"), function (rs) {
      var rows = {}, order = [], body = rs.querySelector(".review-body"), dl = el("dl", "review");
      each(steps[+attr(rs, "data-review") - 1].querySelectorAll("input,select,textarea"), function (e) {
        if (!e.name || /hidden|file/.test(e.type) || (/checkbox|radio/.test(e.type) && !(e.checked && e.value))) { return; }
        var group = e.closest(".choices:not(#field-victims)"), single = e.type === "checkbox" && !group;
        var v = e.tagName === "SELECT" ? (e.value ? e.options[e.selectedIndex].textContent : "")
          : single ? attr($("review"), "data-yes") : /checkbox|radio/.test(e.type) ? e.closest("label").textContent : e.value;
        var l = group ? group.querySelector("legend") : single ? e.closest("label") : form.querySelector("label[for='" + e.id + "']");
        var r = l && l.querySelector(".req"), k = (l ? l.textContent.replace(r ? r.textContent : "", "") : e.name).trim();
        if (!(v = v.trim())) { return; }
        if (!rows[k]) { rows[k] = []; order.push(k); }
        rows[k].push(v);
      });
      body.textContent = "";
      order.forEach(function (k) { dl.append(el("dt", "", k), el("dd", "", rows[k].join(", "))); });
      body.appendChild(order.length ? dl : el("p", "muted", attr($("review"), "data-empty")));
    });
  }

  // Draft, this tab only
  function fields() {
    var out = [];
    new FormData(form).forEach(function (v, k) { if (typeof v === "string" && k !== "csrf_token") { out.push([k, v]); } });
    return out;
  }
  function save() { put(S, DRAFT, fields()); }
  if (fresh) {
    var key = w.crypto.getRandomValues(new Uint8Array(18));
    form.elements.idempotency_key.value = btoa(String.fromCharCode.apply(null, key)).replace(/\+/g, "-").replace(/\//g, "_");
    var draft = get(S, DRAFT), vals = {};
    if (draft) {
      draft.forEach(function (p) { (vals[p[0]] = vals[p[0]] || []).push(p[1]); });
      each(form.elements, function (e) {
        if (!e.name || e.type === "file" || e.name === "csrf_token") { return; }
        var v = vals[e.name] || [];
        if (/checkbox|radio/.test(e.type)) { e.checked = v.indexOf(e.value) >= 0; } else if (v.length) { e.value = v[0]; }
      });
    }
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);

  // Sending, and holding when there is no signal
  var queued = $("queued");
  function showQueued() { queued.hidden = !get(L, QUEUE); }
  function say(what) { status.textContent = attr(status, "data-" + what); }
  function landed(res) {
    if (res.status === 429 || res.status >= 500) { throw res; }  // not filed: like no signal, try again later
    del(L, QUEUE);  // filed, or refused with the answers shown in the page
    if (res.type === "opaqueredirect") { del(S, DRAFT); w.location.href = attr(form, "data-receipt"); return; }
    return res.text().then(function (html) { d.open(); d.write(html); d.close(); });
  }
  function post(body) {
    body.set("nav", "send");
    return fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
  }
  var busy = false;
  function sendQueued() {
    var q = get(L, QUEUE);
    if (!q || busy || navigator.onLine === false) { return; }
    busy = true;  // a fresh CSRF token first: the page may be the worker's copy
    fetch(form.action, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var m = /name="csrf_token"[^>]*value="([^"]*)"/.exec(html), body = new FormData();
      q.forEach(function (p) { body.append(p[0], p[1]); });
      body.set("csrf_token", m ? m[1] : "");
      return post(body);
    }).then(landed).catch(function () { /* no signal yet */ }).then(function () { busy = false; });
  }
  $("queued-delete").onclick = function () { del(L, QUEUE); showQueued(); };
  showQueued();
  w.addEventListener("online", sendQueued);
  w.setInterval(sendQueued, 15000);
  sendQueued();
  $("hold").hidden = false;

  form.addEventListener("submit", function (ev) {
    var nav = ev.submitter && ev.submitter.name === "nav" ? ev.submitter.value : "send", n = +stepIn.value;
    ev.preventDefault();
    if (nav === "next") { if (!missing(steps[n - 1])) { show(n + 1); } return; }
    if (nav === "back") { return show(n - 1); }
    if (nav.indexOf("goto-") === 0) { return show(+nav.slice(5)); }
    for (var i = 0; i < steps.length - 1; i++) {
      if (missing(steps[i])) { show(i + 1, false); missing(steps[i]); return; }
    }
    say("sending");
    post(new FormData(form)).then(landed).catch(function () {
      if ($("hold-ok").checked) { put(L, QUEUE, fields()); say("held"); showQueued(); } else { say("offline"); }
    });
  });
  d.addEventListener("click", function (ev) {  // error summary: open the step of the field
    var a = ev.target.closest("#errors a,#errors button"), h = a && attr(a, "href"), t = h && $(h.slice(1));
    if (!a) { return; }
    ev.preventDefault();
    var s = t ? t.closest(".step") : steps[+a.value.slice(5) - 1];
    show(+attr(s, "data-step"), false);
    (t || s).scrollIntoView();
  });

  // Offline copy of this form (this page as parsed, and its files), made once
  // the form is in use or has been open a few seconds
  function keep() {
    if (!("serviceWorker" in navigator) || !fresh || keep.done) { return; }
    keep.done = true;
    navigator.serviceWorker.register(attr(form, "data-sw")).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () { return caches.open("tracker"); }).then(function (c) {
      var urls = [];
      each(d.querySelectorAll("link[rel=stylesheet],script[src]"), function (e) { urls.push(e.href || e.src); });
      c.put(w.location.href, new Response(page, { headers: { "Content-Type": "text/html; charset=utf-8" } }));
      return c.addAll(urls);
    }).catch(function () { /* the form still works online */ });
  }
  form.addEventListener("input", keep);
  form.addEventListener("change", keep);
  w.setTimeout(keep, 4000);

  // Where: the map and "use my location" (report-map.js), loaded on that step
  function where() {
    if (map && !map.hasAttribute("data-on")) {
      map.setAttribute("data-on", "");
      var js = el("script");
      js.src = attr(map, "data-js");
      d.head.appendChild(js);
    }
  }

  // Who: units of the chosen force; contact fields only with consent
  var force = $("force"), unit = $("unit"), consent = $("consent_contact"), contact = $("contact-fields");
  function narrow() {
    each(unit.getElementsByTagName("optgroup"), function (g) {
      var o = g.getElementsByTagName("option")[0];
      g.hidden = g.disabled = !!force.value && (o ? o.value.split(":")[0] : "") !== force.value;
    });
    var s = unit.options[unit.selectedIndex];
    if (s && s.parentNode.disabled) { unit.value = ""; }
  }
  function sync() { contact.hidden = !consent.checked; }
  force.addEventListener("change", narrow);
  consent.addEventListener("change", sync);
  narrow();
  sync();
  if (fresh) { show(+stepIn.value, false); }
  if (steps[+stepIn.value - 1].contains(region)) { where(); }
  if ($("errors")) { $("errors").focus(); }
})();
