/* Click (or Enter on) a heading of a .js-sortable table to sort its rows; numbers use data-sort. */
(function () {
  "use strict";
  function value(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw !== null && raw !== "") { return parseFloat(raw); }
    return cell.textContent.trim().toLocaleLowerCase("vi");
  }
  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a.cells[index]), y = value(b.cells[index]);
      var result;
      if (typeof x === "number" && typeof y === "number") { result = x - y; }
      else if (typeof x === "number") { result = -1; }
      else if (typeof y === "number") { result = 1; }
      else { result = x.localeCompare(y, "vi"); }
      return ascending ? result : -result;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(th.parentNode.cells, function (cell) { cell.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.js-sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.addEventListener("click", function () { sortBy(table, index, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, index, th); }
      });
    });
  });
})();
