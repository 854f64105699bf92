// Show only the inputs that belong to the chosen radio: `data-show-for="NAME:VALUE"` is visible while the
// radio NAME has VALUE checked. Without JavaScript every input stays visible (and the server checks them).
"use strict";

(function () {
  const parts = document.querySelectorAll("[data-show-for]");
  if (!parts.length) return;
  function update() {
    parts.forEach(function (part) {
      const [name, value] = part.dataset.showFor.split(":");
      const chosen = document.querySelector('input[type="radio"][name="' + name + '"]:checked');
      part.hidden = !chosen || chosen.value !== value;
    });
  }
  document.querySelectorAll('input[type="radio"]').forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();
})();
