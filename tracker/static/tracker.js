/* Progressive enhancement only: every page works without this file.
 *
 * Quick exit leaves as few traces as a page can:
 * - it wipes what this site keeps in the browser: sessionStorage, the
 *   localStorage keys prefixed "tracker:" and the IndexedDB database "tracker"
 *   (drafts and reports waiting to be sent);
 * - it replaces the current page in the history (location.replace), and if
 *   earlier pages of this site are in the history (Navigation API), it first
 *   goes back to the earliest of them and replaces that one, so Back does not
 *   lead to the form or the follow-up page (pages are sent no-store, so they
 *   are not kept to come back to either);
 * - while browsing the site, links to other pages of the site replace the
 *   current history entry instead of adding one, for the same reason.
 * Shift+Escape is a keyboard shortcut for it. */
(function () {
  "use strict";
  var EXITING = "tracker:exiting";
  var exit = document.getElementById("quick-exit");

  function continueExit() {
    var target = null;
    try { target = sessionStorage.getItem(EXITING); } catch (e) { /* storage blocked */ }
    if (!target) { return false; }
    try { sessionStorage.clear(); } catch (e) { /* ignore */ }
    try { document.documentElement.innerHTML = ""; } catch (e) { /* ignore */ }
    window.location.replace(target);
    return true;
  }

  if (continueExit()) { return; }
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) { continueExit(); } });

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

  function leave(target) {
    wipe();
    var nav = window.navigation;
    try {
      if (nav && nav.entries && nav.currentEntry) {
        var entries = nav.entries();
        var current = nav.currentEntry.index;
        if (current > 0 && entries[0]) {
          // Go back to the first page of this visit, then leave from there.
          sessionStorage.setItem(EXITING, target);
          nav.traverseTo(entries[0].key);
          // If the traversal is refused, leave from here after all.
          setTimeout(function () { window.location.replace(target); }, 1500);
          return;
        }
      }
    } catch (e) { /* fall through */ }
    try { document.body.innerHTML = ""; } catch (e) { /* ignore */ }
    window.location.replace(target);
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
