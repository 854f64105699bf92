// Generates a password or passphrase into a value field, in the browser only: nothing is sent anywhere.
// Randomness comes from crypto.getRandomValues with rejection sampling, so every character or word is
// equally likely (a plain `% n` would favour the first few). The strength shown is the generator's
// entropy in bits, which is exact for what it produces (unlike a guess from the finished string).
"use strict";

(function () {
  const panel = document.querySelector(".password-generator");
  if (!panel || !window.crypto || !window.crypto.getRandomValues) return;

  const CLASSES = {
    lower: "abcdefghijklmnopqrstuvwxyz",
    upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    digits: "0123456789",
    symbols: "!#$%&()*+,-./:;<=>?@[]^_{|}~",
  };
  const byId = function (id) { return document.getElementById(id); };
  const mode = byId("gen-mode");
  const meter = byId("gen-meter");
  const status = panel.querySelector("[data-testid='generator-strength']");
  let words = null;

  // A uniform integer in [0, n): draws at or above the largest multiple of n below 2^32 are thrown away.
  function randomBelow(n) {
    const limit = Math.floor(0x100000000 / n) * n;
    const draw = new Uint32Array(1);
    for (;;) {
      window.crypto.getRandomValues(draw);
      if (draw[0] < limit) return draw[0] % n;
    }
  }

  function clamp(input, low, high) {
    const n = parseInt(input.value, 10);
    const value = Number.isFinite(n) ? Math.min(high, Math.max(low, n)) : low;
    input.value = String(value);
    return value;
  }

  function characters() {
    const length = clamp(byId("gen-length"), 4, 128);
    const sets = Object.keys(CLASSES).filter(function (k) { return byId("gen-" + k).checked; }).map(function (k) {
      return CLASSES[k];
    });
    if (!sets.length) throw new Error("Choose at least one kind of character.");
    const pool = sets.join("");
    // Redraw the whole value until each chosen class appears: still uniform over the values accepted.
    for (;;) {
      let value = "";
      for (let i = 0; i < length; i += 1) value += pool[randomBelow(pool.length)];
      if (sets.every(function (set) { return Array.prototype.some.call(value, function (c) { return set.includes(c); }); })) {
        return { value: value, bits: length * Math.log2(pool.length) };
      }
    }
  }

  function loadWords() {
    if (words) return Promise.resolve(words);
    return fetch(panel.dataset.wordlist, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("The word list could not be loaded.");
        return response.text();
      })
      .then(function (text) {
        words = Array.from(new Set(text.split(/\s+/).filter(Boolean)));
        if (words.length < 1000) throw new Error("The word list is too short for a passphrase.");
        return words;
      });
  }

  function passphrase(list) {
    const count = clamp(byId("gen-words"), 3, 16);
    const picked = [];
    for (let i = 0; i < count; i += 1) picked.push(list[randomBelow(list.length)]);
    return { value: picked.join(byId("gen-separator").value), bits: count * Math.log2(list.length) };
  }

  function describe(bits) {
    if (bits < 40) return "weak";
    if (bits < 60) return "fair";
    if (bits < 80) return "strong";
    return "very strong";
  }

  function fill(field, result) {
    field.value = result.value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    const bits = Math.floor(result.bits);
    meter.value = Math.min(bits, 128);
    status.textContent = bits + " bits of entropy (" + describe(bits) + ")";
    panel.dataset.bits = String(bits);
  }

  function generate(button) {
    const field = button.closest(".secret-field-row").querySelector("textarea[name='field_value']");
    const made = mode.value === "words" ? loadWords().then(passphrase) : Promise.resolve().then(characters);
    made.then(function (result) { fill(field, result); }).catch(function (error) {
      status.textContent = error.message;
    });
  }

  function showMode() {
    panel.querySelector(".generator-chars").hidden = mode.value !== "chars";
    panel.querySelector(".generator-words").hidden = mode.value !== "words";
  }

  mode.addEventListener("change", showMode);
  showMode();
  // Delegated, so rows that secret-fields.js adds later get working buttons too.
  document.addEventListener("click", function (event) {
    const button = event.target.closest(".password-generate");
    if (button) generate(button);
  });
  document.querySelectorAll(".password-generate").forEach(function (button) { button.hidden = false; });
  panel.hidden = false;
})();
