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

  if ($("receipt")) { del(S, DRAFT); if (get(S, "tracker:photos-left")) { $("photos-left").hidden = false; } del(S, "tracker:photos-left"); }
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
    if (n === steps.length && T.review) { T.review(); }
    if (steps[n - 1].contains(region)) { where(); }
    if (map && map.hasAttribute("data-failed")) { map.hidden = loc.hidden = true; }
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

  form.addEventListener("submit", function (ev) {
    var nav = ev.submitter && ev.submitter.name === "nav" ? ev.submitter.value : "send", n = +stepIn.value;
    if (nav === "next") { ev.preventDefault(); if (!missing(steps[n - 1])) { show(n + 1); } return; }
    if (nav === "back") { ev.preventDefault(); return show(n - 1); }
    if (nav.indexOf("goto-") === 0) { ev.preventDefault(); return show(+nav.slice(5)); }
    for (var i = 0; i < steps.length - 1; i++) {
      if (missing(steps[i])) { ev.preventDefault(); show(i + 1, false); missing(steps[i]); return; }
    }
    // With report-offline.js the send goes by fetch (held if there is no
    // signal); before it has loaded, the browser sends the form itself.
    if (T.send) { ev.preventDefault(); T.send(); }
  });
  d.addEventListener("click", function (ev) {  // error summary: open the step of the field
    var a = ev.target.closest("#errors a,#errors button"), h = a && attr(a, "href"), t = h && $(h.slice(1));
    if (!a) { return; }
    ev.preventDefault();
    var s = t ? t.closest(".step") : steps[+a.value.slice(5) - 1];
    show(+attr(s, "data-step"), false);
    (t || s).scrollIntoView();
  });

  // The rest (review, sending and holding, the offline copy) is not needed to
  // open the form: report-offline.js loads once the form is in use, after a
  // few seconds, or at once when a held report is waiting.
  var T = w.trackerReport = { d: d, w: w, S: S, L: L, DRAFT: DRAFT, QUEUE: QUEUE, page: page, $: $, each: each, get: get,
    put: put, del: del, el: el, attr: attr, form: form, steps: steps, stepIn: stepIn, status: status, fresh: fresh,
    fields: fields, missing: missing };
  function more() {
    if (more.done) { return; }
    more.done = true;
    var js = el("script");
    js.src = attr(form, "data-more");
    d.head.appendChild(js);
  }
  form.addEventListener("input", more);
  form.addEventListener("change", more);
  w.setTimeout(more, 4000);
  if (get(L, QUEUE)) { more(); }

  // Where: map and location (report-map.js), their room kept so "Next" stays put
  var loc = $("location");
  function where() {
    if (map && !map.hasAttribute("data-on")) {
      map.setAttribute("data-on", "");
      map.appendChild(el("div", "map-box"));
      map.hidden = false;
      map.classList.add("pending");
      if ("geolocation" in navigator) { loc.hidden = false; loc.classList.add("pending"); }
      var js = el("script");
      js.src = attr(map, "data-js");
      js.onerror = function () { map.setAttribute("data-failed", ""); };
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
