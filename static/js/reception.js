/* Reception desk: progressive enhancements; every page works without this script. */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").replace(/đ/g, "d").replace(/Đ/g, "d").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // Filter the procedure list as the clerk types (the server search stays the fallback).
  document.querySelectorAll("[data-filter-target]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-target"));
    if (!list) { return; }
    input.addEventListener("input", function () {
      var q = fold(input.value);
      list.querySelectorAll("[data-search]").forEach(function (item) {
        item.hidden = q !== "" && fold(item.getAttribute("data-search")).indexOf(q) === -1;
      });
    });
  });

  // A returning applicant: fill empty fields from their latest dossier once 12 digits are typed.
  var idInput = document.querySelector("[data-lookup-url]");
  if (idInput) {
    var lastLookup = "";
    // A field the clerk has typed into, or is in, is theirs: the answer, arriving late, never writes into it
    // (it used to land between the clerk's selection and their typing and double the phone number).
    var touched = {};
    ["full_name", "phone", "email", "address", "tax_code"].forEach(function (name) {
      var field = document.getElementById(name);
      if (!field) { return; }
      field.addEventListener("input", function () { touched[name] = true; });
    });
    idInput.addEventListener("input", function () {
      var value = idInput.value.replace(/\s/g, "");
      if (!/^\d{12}$/.test(value) || value === lastLookup) { return; }
      lastLookup = value;
      var url = idInput.getAttribute("data-lookup-url") + "?id_number=" + encodeURIComponent(value);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { found: false }; })
        .then(function (data) {
          if (!data.found) { return; }
          ["full_name", "phone", "email", "address", "tax_code"].forEach(function (name) {
            var field = document.getElementById(name);
            if (field && !touched[name] && field !== document.activeElement && !field.value && data[name]) { field.value = data[name]; }
          });
        })
        .catch(function () { /* the server-side "fill in" form still works */ });
    });
  }

  // Unchecked documents are the missing ones: dim their counts so the clerk sees it.
  var docs = document.getElementById("documents");
  if (docs) {
    var sync = function (box) {
      var row = box.closest("tr");
      row.classList.toggle("text-muted", !box.checked);
      row.querySelectorAll(".count-input").forEach(function (el) { el.disabled = !box.checked; });
    };
    docs.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      sync(box);
      box.addEventListener("change", function () { sync(box); });
    });
  }
})();
