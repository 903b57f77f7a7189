// The reception screen keeps itself up to date: every data-refresh seconds it asks data-url (JSON, see
// web/views/screen.py) for the day and redraws what changed, the same markup as web/templates/web/screen.html.
// The clock ticks every few seconds in the centre's time zone. Without this script the page shows the day as it
// was loaded. Rooms added or removed reload the page.
(function () {
  "use strict";
  var root = document.querySelector("[data-screen]");
  if (!root) { return; }
  var seconds = Math.max(1, parseInt(root.dataset.refresh, 10) || 30);
  var lastGood = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function booking(parent, data) {
    parent.appendChild(el("span", "when", data.start + "\u2013" + data.end));
    parent.appendChild(document.createTextNode(" "));
    parent.appendChild(el("span", "who", data.who));
    if (data.title) {
      parent.appendChild(document.createTextNode(" "));
      parent.appendChild(el("span", "what", data.title));
    }
  }

  function replace(node, fill) {
    var fresh = node.cloneNode(false);
    fill(fresh);
    if (fresh.innerHTML !== node.innerHTML) { node.replaceWith(fresh); }
  }

  function clock() {
    var node = root.querySelector("[data-clock]");
    try {
      node.textContent = new Date().toLocaleTimeString(document.documentElement.lang, {
        hour: "2-digit", minute: "2-digit", hour12: false, timeZone: root.dataset.timeZone});
    } catch (e) { /* an unknown zone: keep the server's time */ }
  }

  function draw(data) {
    root.querySelector("[data-field=today]").textContent = data.today;
    root.querySelector("[data-field=hours]").textContent = data.hours;
    replace(root.querySelector("[data-field=closures]"), function (list) {
      data.closures.forEach(function (text) { list.appendChild(el("li", "", text)); });
    });
    var shown = Array.prototype.map.call(root.querySelectorAll("[data-room]"), function (n) { return n.dataset.room; });
    var wanted = data.rooms.map(function (room) { return String(room.id); });
    if (shown.join(",") !== wanted.join(",")) { window.location.reload(); return; }
    data.rooms.forEach(function (room) {
      var section = root.querySelector("[data-room='" + room.id + "']");
      replace(section.querySelector("[data-now]"), function (node) {
        if (room.now) { booking(node, room.now); } else { node.appendChild(el("span", "free", root.dataset.free)); }
      });
      replace(section.querySelector("[data-next]"), function (node) {
        if (room.next) { booking(node, room.next); } else { node.textContent = root.dataset.nothing; }
      });
      replace(section.querySelector("[data-list]"), function (list) {
        room.bookings.forEach(function (data) {
          var item = el("li", data.now ? "is-now" : (data.over ? "is-over" : ""));
          booking(item, data);
          list.appendChild(item);
        });
      });
    });
  }

  function poll() {
    fetch(root.dataset.url, {headers: {"Accept": "application/json"}, credentials: "omit"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        draw(data);
        lastGood = new Date();
        root.querySelector("[data-status]").textContent = "";
      })
      .catch(function () {
        var status = root.querySelector("[data-status]");
        var since = lastGood || new Date(document.lastModified);
        status.textContent = root.dataset.offline + " " + since.toLocaleTimeString(document.documentElement.lang,
          {hour: "2-digit", minute: "2-digit", hour12: false});
      })
      .finally(function () { window.setTimeout(poll, seconds * 1000); });
  }

  clock();
  window.setInterval(clock, 5000);
  window.setTimeout(poll, seconds * 1000);
}());
