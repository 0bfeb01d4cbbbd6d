/* The report form's second half (loaded by report.js once the form is in
 * use): the review step, sending by fetch with the same idempotency key,
 * holding a report when there is no signal (only if the reporter ticked
 * #hold-ok; localStorage tracker:queue) and the offline copy by /sw.js.
 * Photos are not held (a phone that others may pick up should not keep them
 * in the browser too): the reporter is told so before, when holding, while
 * waiting, and on the receipt, and adds them at follow-up. */
(function () {
  "use strict";
  var T = window.trackerReport;
  if (!T) { return; }
  var d = T.d, w = T.w, S = T.S, L = T.L, DRAFT = T.DRAFT, QUEUE = T.QUEUE, page = T.page, form = T.form, steps = T.steps;
  var PHOTOS = "tracker:queue-photos", LEFT = "tracker:photos-left";  // only that photos were left behind, to say so
  var $ = T.$, each = T.each, get = T.get, put = T.put, del = T.del, el = T.el, attr = T.attr, status = T.status;
  var fresh = T.fresh, fields = T.fields;

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

  // Sending, and holding when there is no signal
  var queued = $("queued");
  function showQueued() { queued.hidden = !get(L, QUEUE); $("queued-photos").hidden = !get(L, PHOTOS); }
  function say(what) { status.textContent = attr(status, "data-" + what); }
  function landed(res, queuedPhotos) {
    if (res.status === 429 || res.status >= 500) { throw res; }  // not filed: like no signal, try again later
    del(L, QUEUE);  // filed, or refused with the answers shown in the page
    del(L, PHOTOS);
    if (queuedPhotos) { put(S, LEFT, queuedPhotos); }  // the receipt page says the photos are still to add
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
    }).then(function (res) { return landed(res, get(L, PHOTOS)); })
      .catch(function () { /* no signal yet */ }).then(function () { busy = false; });
  }
  $("queued-delete").onclick = function () { del(L, QUEUE); del(L, PHOTOS); showQueued(); };
  showQueued();
  w.addEventListener("online", sendQueued);
  w.setInterval(sendQueued, 15000);
  sendQueued();
  $("hold").hidden = false;

  T.send = function () {
    say("sending");
    post(new FormData(form)).then(landed).catch(function () {
      if ($("hold-ok").checked) {
        var photos = form.elements.photos && form.elements.photos.files ? form.elements.photos.files.length : 0;
        put(L, QUEUE, fields());
        if (photos) { put(L, PHOTOS, photos); } else { del(L, PHOTOS); }
        say("held");
        showQueued();
      } else { say("offline"); }
    });
  };
  T.review = review;
  if (+T.stepIn.value === steps.length) { review(); }

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

  keep();
})();
