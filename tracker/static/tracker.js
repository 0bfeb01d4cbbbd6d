/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  // Quick exit: replace this page in the history so Back does not return here.
  var exit = document.getElementById("quick-exit");
  if (exit) {
    exit.addEventListener("click", function (ev) {
      ev.preventDefault();
      try { document.body.innerHTML = ""; } catch (e) { /* ignore */ }
      window.location.replace(exit.href);
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && ev.shiftKey) { window.location.replace(exit.href); }
    });
  }
})();
