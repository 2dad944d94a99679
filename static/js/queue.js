// The centre's floor: the board polls its small JSON state (reconnecting after a blip) and chimes on a
// new call; the rating tablet reloads when a service finishes; the kiosk prints and blocks double taps.
(function () {
  "use strict";

  function poll(url, every, onData, onFail) {
    var timer = null;
    function tick() {
      fetch(url, {cache: "no-store", credentials: "same-origin"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { onData(data); })
        .catch(function () { if (onFail) { onFail(); } })
        .finally(function () { timer = setTimeout(tick, every); });
    }
    tick();
    return function () { clearTimeout(timer); };
  }

  function text(el, value) { el.textContent = value; }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) {
      var td = document.createElement("td");
      td.className = c[1];
      td.textContent = c[0];
      tr.appendChild(td);
    });
    return tr;
  }

  function board(root) {
    var seen = null;
    var chime = new Audio(root.dataset.chime);
    var announce = document.getElementById("board-announce");
    var offline = document.getElementById("board-offline");
    var sound = document.getElementById("board-sound");
    var clock = document.getElementById("board-clock");
    var template = root.dataset.callTemplate;
    sound.addEventListener("click", function () {
      chime.play().then(function () { sound.hidden = true; }).catch(function () {});
    });
    function showClock() {
      var d = new Date();
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      text(clock, pad(d.getHours()) + ":" + pad(d.getMinutes()));
    }
    showClock();
    setInterval(showClock, 10000);
    poll(root.dataset.stateUrl, 1000, function (data) {
      offline.hidden = true;
      var body = document.getElementById("board-calls");
      body.replaceChildren.apply(body, data.calls.map(function (c) {
        return row([[c.number, "board-number"], [c.counter, "board-counter"]]);
      }));
      var waiting = document.getElementById("board-waiting");
      waiting.replaceChildren.apply(waiting, data.waiting.map(function (w) {
        var li = document.createElement("li");
        var name = document.createElement("span");
        var count = document.createElement("b");
        name.textContent = w.field;
        count.textContent = w.count;
        li.appendChild(name);
        li.appendChild(count);
        return li;
      }));
      var keys = data.calls.map(function (c) { return c.call; });
      if (seen !== null && data.calls.length) {
        var fresh = data.calls.filter(function (c) { return seen.indexOf(c.call) < 0; });
        if (fresh.length) {
          var c = fresh[0];
          text(announce, template.replace("{n}", c.number).replace("{c}", c.counter));
          announce.classList.remove("flash");
          void announce.offsetWidth;
          announce.classList.add("flash");
          chime.currentTime = 0;
          chime.play().catch(function () {});
        }
      }
      seen = keys;
    }, function () { offline.hidden = false; });
  }

  function tablet(root) {
    var current = root.dataset.ticket || "";
    var thanksUntil = root.dataset.thanks ? Date.now() + 4000 : 0;
    poll(root.dataset.stateUrl, 1500, function (data) {
      var now = String(data.ticket || "");
      if (now !== current && Date.now() >= thanksUntil) {
        window.location.replace(root.dataset.pageUrl);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var b = document.getElementById("board");
    if (b) { board(b); }
    var t = document.getElementById("tablet");
    if (t) { tablet(t); }
    document.querySelectorAll("[data-print]").forEach(function (btn) {
      btn.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll(".kiosk-form, #rating-form").forEach(function (form) {
      form.addEventListener("submit", function () {
        setTimeout(function () {
          form.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        }, 0);
      });
    });
  });
})();
