// Adds name/value rows to the secret form. Without JavaScript the form still offers three blank rows.
"use strict";

(function () {
  document.querySelectorAll(".secret-fields").forEach(function (fieldset) {
    const rows = fieldset.querySelector(".secret-field-rows");
    const add = fieldset.querySelector(".secret-field-add");
    if (!rows || !add) return;
    add.hidden = false;
    add.addEventListener("click", function () {
      const last = rows.querySelector(".secret-field-row:last-child");
      const row = last.cloneNode(true);
      const n = rows.children.length + 1;
      row.querySelectorAll("input, textarea").forEach(function (input) {
        const kind = input.name === "field_name" ? "name" : "value";
        input.value = "";
        input.id = "field-" + kind + "-" + n;
        input.placeholder = kind;
      });
      row.querySelectorAll("label").forEach(function (label, i) {
        const kind = i === 0 ? "name" : "value";
        label.htmlFor = "field-" + kind + "-" + n;
        label.textContent = "Field " + kind + " " + n;
      });
      rows.appendChild(row);
      row.querySelector("input").focus();
    });
  });
})();
