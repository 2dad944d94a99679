/* Administration pages: confirmations, quick day pick on the calendar, route total. No inline scripts (CSP). */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var yearView = document.getElementById("year-view");
    var dayInput = document.querySelector("#override-form input[name='day']");
    if (yearView && dayInput) {
      yearView.addEventListener("click", function (event) {
        var cell = event.target.closest("td[data-day]");
        if (!cell) { return; }
        dayInput.value = cell.getAttribute("data-day");
        var kind = document.querySelector("#override-form select[name='kind']");
        if (kind) {
          var weekend = cell.classList.contains("cal-weekend");
          kind.value = weekend ? "work" : "off";
        }
        dayInput.focus();
      });
    }

    var total = document.getElementById("route-total");
    if (total) {
      var update = function () {
        var sum = 0;
        document.querySelectorAll("#route .route-time").forEach(function (input) {
          var n = parseInt(input.value, 10);
          if (!isNaN(n)) { sum += n; }
        });
        var limitInput = document.querySelector("#procedure-form input[name='time_limit']");
        var limit = limitInput ? parseInt(limitInput.value, 10) : NaN;
        total.textContent = total.getAttribute("data-label") + " " + sum + (isNaN(limit) ? "" : " / " + limit);
        total.classList.toggle("text-danger", !isNaN(limit) && sum !== limit);
        total.classList.toggle("text-success", !isNaN(limit) && sum === limit);
      };
      document.getElementById("procedure-form").addEventListener("input", update);
      update();
    }
  });
})();
