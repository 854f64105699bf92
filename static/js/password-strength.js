// Password strength meter for sign-up and password forms. Advice only: the server's validators
// decide. No composition rules: length and unpredictability are what count.
"use strict";

(function () {
  const WORDS = ["password", "passwort", "qwerty", "letmein", "welcome", "admin", "keyhold", "iloveyou",
    "monkey", "dragon", "football", "baseball", "sunshine", "princess", "secret", "123456", "abc123"];
  const LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"];

  function poolSize(password) {
    let pool = 0;
    if (/[a-z]/.test(password)) pool += 26;
    if (/[A-Z]/.test(password)) pool += 26;
    if (/[0-9]/.test(password)) pool += 10;
    if (/[^a-zA-Z0-9]/.test(password)) pool += 33;
    return pool || 1;
  }

  // Rough bits of entropy, discounted for repeats, runs and well-known words.
  function estimateBits(password) {
    const lower = password.toLowerCase();
    let effective = 0;
    for (let i = 0; i < password.length; i += 1) {
      const repeat = i > 0 && password[i] === password[i - 1];
      const run = i > 0 && Math.abs(password.charCodeAt(i) - password.charCodeAt(i - 1)) === 1;
      effective += repeat || run ? 0.25 : 1;
    }
    let bits = effective * Math.log2(poolSize(password));
    for (const word of WORDS) {
      if (lower.includes(word)) bits -= word.length * 3;
    }
    return Math.max(0, bits);
  }

  function score(password) {
    if (password.length < 12) return 0;
    const bits = estimateBits(password);
    if (bits < 40) return 1;
    if (bits < 60) return 2;
    if (bits < 80) return 3;
    return 4;
  }

  function attach(box) {
    const input = document.getElementById(box.dataset.strengthFor);
    if (!input) return;
    const meter = box.querySelector("meter");
    const text = box.querySelector(".strength-text");
    box.hidden = false;
    const update = function () {
      const value = input.value;
      const level = value ? score(value) : 0;
      meter.value = level;
      text.textContent = value ? LABELS[level] + (value.length < 12 ? " (at least 12 characters)" : "") : "";
      box.dataset.level = String(level);
    };
    input.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("[data-strength-for]").forEach(attach);
})();
