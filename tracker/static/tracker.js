/* Progressive enhancement only: every page works without this file.
 * Quick exit (how and why: docs/quick-exit.md): wipe the site's storage, ask
 * the server to forget the follow-up, replace this page (first going back to
 * the visit's first page), and mark the tab so that a page of the site that
 * Back or Forward brings back leaves at once. Shift+Escape does it too. */
(function () {
  "use strict";
  var LEFT = "tracker:left";
  var exit = document.getElementById("quick-exit");

  function fromHistory() {
    try { return performance.getEntriesByType("navigation")[0].type === "back_forward"; } catch (e) { return false; }
  }

  // After Quick exit: leave again if the history brought this page back; coming back on purpose clears the mark.
  function leaveAgain(back) {
    var target = null;
    try { target = sessionStorage.getItem(LEFT); } catch (e) { /* storage blocked */ }
    if (!target) { return false; }
    if (!back) {
      try { sessionStorage.removeItem(LEFT); } catch (e) { /* ignore */ }
      return false;
    }
    try { document.documentElement.innerHTML = ""; } catch (e) { /* ignore */ }
    window.location.replace(target);
    return true;
  }

  if (leaveAgain(fromHistory())) { return; }
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) { leaveAgain(true); } });

  function wipe() {
    try { sessionStorage.clear(); } catch (e) { /* ignore */ }
    try {
      var doomed = [];
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf("tracker:") === 0) { doomed.push(key); }
      }
      doomed.forEach(function (key) { localStorage.removeItem(key); });
    } catch (e) { /* ignore */ }
    try { if (window.indexedDB) { window.indexedDB.deleteDatabase("tracker"); } } catch (e) { /* ignore */ }
  }

  // Go on once the server has forgotten (at most 500 ms): a page loaded meanwhile would write the old cookie back.
  function forget(then) {
    var url = exit && exit.getAttribute("data-forget");
    var done = false;
    var go = function () { if (!done) { done = true; then(); } };
    if (!url || !window.fetch) {
      try { if (url && navigator.sendBeacon) { navigator.sendBeacon(url); } } catch (e) { /* ignore */ }
      go();
      return;
    }
    setTimeout(go, 500);
    try {
      fetch(url, { method: "POST", keepalive: true, credentials: "same-origin", cache: "no-store" }).then(go, go);
    } catch (e) { go(); }
  }

  function leave(target) {
    wipe();
    try { sessionStorage.setItem(LEFT, target); } catch (e) { /* storage blocked */ }
    try { document.title = ""; document.body.innerHTML = ""; } catch (e) { /* ignore */ }
    forget(function () {
      var nav = window.navigation;
      try {
        if (nav && nav.entries && nav.currentEntry) {
          var entries = nav.entries();
          if (nav.currentEntry.index > 0 && entries[0]) {
            // Go back to the first page of this visit; it leaves from there (leaveAgain).
            var here = function () { window.location.replace(target); };
            // Refused: leave from here (a short timer would cut off a slow first page).
            nav.traverseTo(entries[0].key).committed.catch(here);
            setTimeout(here, 8000);
            return;
          }
        }
      } catch (e) { /* fall through */ }
      window.location.replace(target);
    });
  }

  if (exit) {
    exit.addEventListener("click", function (ev) {
      ev.preventDefault();
      leave(exit.href);
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && ev.shiftKey) { leave(exit.href); }
    });
  }

  // Receipt page: a copy button (without JavaScript one tap selects the code).
  var copy = document.getElementById("copy-receipt");
  var code = document.getElementById("receipt");
  if (copy && code) {
    var copyStatus = document.getElementById("copy-status");
    var copied = function () { if (copyStatus) { copyStatus.textContent = copy.getAttribute("data-copied") || ""; } };
    var selectCode = function () {
      var range = document.createRange();
      range.selectNodeContents(code);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      try { if (document.execCommand("copy")) { copied(); } } catch (e) { /* selected: the phone can copy it */ }
    };
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var text = code.textContent.replace(/\s+/g, " ").trim();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(copied, selectCode);
      } else { selectCode(); }
    });
  }

  // Same-site links replace the current entry: one visit, one history entry.
  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) { return; }
    var link = ev.target.closest ? ev.target.closest("a[href]") : null;
    if (!link || link === exit || link.target || link.hasAttribute("download")) { return; }
    if (link.origin !== window.location.origin || link.hash && link.pathname === window.location.pathname) { return; }
    ev.preventDefault();
    window.location.replace(link.href);
  });
})();
