// Copy buttons on the revealed page: the value goes to the clipboard, never into the DOM elsewhere.
"use strict";

(function () {
  const status = document.querySelector("[data-copy-status]");
  document.querySelectorAll("button.secret-copy").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      const source = document.getElementById(button.dataset.copy);
      navigator.clipboard.writeText(source.value).then(
        function () { if (status) status.textContent = "Copied."; },
        function () { if (status) status.textContent = "Copy failed: select the value and copy it by hand."; }
      );
    });
  });
})();
