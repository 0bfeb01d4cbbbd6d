/* The report form's "where" step, loaded by report.js when that step opens:
 * the district map (tap a district to choose it in the list) and "use my
 * location", which finds the district on the phone (point in polygon on the
 * map's own coordinates) and fills rounded coordinates only if ticked. */
(function () {
  "use strict";
  var d = document;
  function $(id) { return d.getElementById(id); }
  function each(l, f) { Array.prototype.forEach.call(l, f); }
  function attr(e, a) { return e.getAttribute(a); }
  function changed(e) { e.dispatchEvent(new Event("change", { bubbles: true })); }
  var region = $("region"), map = $("region-map");
  var svg, pos, box = $("location"), lat = $("latitude"), lon = $("longitude"), send = $("send_coordinates"), msg = $("location-status");
  function mark() { each(svg.querySelectorAll("path"), function (p) { p.classList.toggle("chosen", attr(p, "data-pcode") === region.value); }); }
  function inside(x, y, dd) {
    var hit = false;
    dd.split("M").forEach(function (ring) {
      var n = ring.replace("Z", "").trim().split(" ").map(Number);
      for (var i = 0, j = n.length - 2; i < n.length; j = i, i += 2) {
        if ((n[i + 1] > y) !== (n[j + 1] > y) && x < (n[j] - n[i]) * (y - n[i + 1]) / (n[j + 1] - n[i + 1]) + n[i]) { hit = !hit; }
      }
    });
    return hit;
  }
  function coords() { lat.value = pos && send.checked ? pos[0].toFixed(2) : ""; lon.value = pos && send.checked ? pos[1].toFixed(2) : ""; changed(lat); }
  if (map) {
    fetch(attr(map, "data-src")).then(function (r) { return r.ok ? r.text() : Promise.reject(); }).then(function (text) {
      map.querySelector(".map-box").insertAdjacentHTML("beforeend", text);
      svg = map.querySelector("svg");
      map.classList.remove("pending");  // its room, and that of "use my location", was kept by report.js
      svg.onclick = function (ev) { var c = attr(ev.target, "data-pcode"); if (c) { region.value = c; changed(region); } };
      region.addEventListener("change", mark);
      mark();
      if (!("geolocation" in navigator)) { return; }
      var proj = attr(svg, "data-proj").split(" ").map(Number);  // lon0 lat0 sx sy
      box.classList.remove("pending");
      send.checked = !!lat.value;
      send.onchange = coords;
      $("locate").onclick = function () {
        msg.textContent = attr(box, "data-wait");
        navigator.geolocation.getCurrentPosition(function (p) {
          var c = p.coords, x = (c.longitude - proj[0]) * proj[2], y = (proj[1] - c.latitude) * proj[3], found = "";
          pos = [c.latitude, c.longitude];
          each(svg.querySelectorAll("path"), function (e) { if (!found && inside(x, y, attr(e, "d"))) { found = attr(e, "data-pcode"); } });
          if (found) { region.value = found; changed(region); }
          msg.textContent = attr(box, found ? "data-done" : "data-outside");
          coords();
        }, function () { msg.textContent = attr(box, "data-fail"); }, { timeout: 20000, maximumAge: 600000 });
      };
    }).catch(function () { map.setAttribute("data-failed", ""); });  // the list is there
  }
})();
