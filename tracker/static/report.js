/* Reporter pages, progressive enhancement only: everything works without it.
 * - "Use my location": fills latitude/longitude rounded to 2 decimals (~1 km).
 * - Unit list narrowed to the chosen force.
 * - Contact fields hidden until "You may contact me" is ticked.
 * - Print button on the receipt page (assisted intake).
 * - Focus the error summary after a failed submission. */
(function () {
  "use strict";
  var doc = document;

  function round2(x) { return (Math.round(x * 100) / 100).toFixed(2); }

  var lat = doc.getElementById("latitude");
  var lon = doc.getElementById("longitude");
  var status = doc.getElementById("location-status");
  var box = doc.getElementById("location");
  if (lat && lon && box && "geolocation" in navigator) {
    var btn = doc.createElement("button");
    btn.type = "button";
    btn.className = "locate-button";
    btn.textContent = box.getAttribute("data-label-locate") || "Use my location";
    var hint = doc.getElementById("location-hint");
    box.insertBefore(btn, hint ? hint.nextSibling : box.firstChild);
    btn.addEventListener("click", function () {
      if (status) { status.textContent = box.getAttribute("data-label-wait") || ""; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = round2(pos.coords.latitude);
        lon.value = round2(pos.coords.longitude);
        if (status) { status.textContent = box.getAttribute("data-label-done") || ""; }
      }, function () {
        if (status) { status.textContent = box.getAttribute("data-label-fail") || ""; }
      }, { enableHighAccuracy: false, timeout: 20000, maximumAge: 600000 });
    });
  }

  // Narrow the unit list to the chosen force ("FORCE:UNIT" values).
  var force = doc.getElementById("force");
  var unit = doc.getElementById("unit");
  if (force && unit) {
    var narrow = function () {
      var chosen = force.value;
      var groups = unit.getElementsByTagName("optgroup");
      for (var i = 0; i < groups.length; i++) {
        var opts = groups[i].getElementsByTagName("option");
        var code = opts.length ? opts[0].value.split(":")[0] : "";
        var show = !chosen || code === chosen;
        groups[i].hidden = !show;
        groups[i].disabled = !show;
      }
      var sel = unit.options[unit.selectedIndex];
      if (sel && sel.parentNode && sel.parentNode.disabled) { unit.value = ""; }
    };
    force.addEventListener("change", narrow);
    narrow();
  }

  // Contact details only matter with consent to be contacted.
  var consent = doc.getElementById("consent_contact");
  var contact = doc.getElementById("contact-fields");
  if (consent && contact) {
    var sync = function () { contact.hidden = !consent.checked; };
    consent.addEventListener("change", sync);
    sync();
  }

  var printBtn = doc.getElementById("print-receipt");
  if (printBtn && window.print) {
    printBtn.hidden = false;
    printBtn.addEventListener("click", function () { window.print(); });
  }

  var summary = doc.getElementById("errors");
  if (summary) { summary.focus(); }
})();
