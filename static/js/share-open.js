// Opens a share link in the browser: the key comes from the URL fragment, which never reaches the server.
// Mirrors vault/crypto/share.py (its docstring is the format): PBKDF2 for a passphrase, HKDF for the key
// and the proof, AES-256-GCM bound to the link id. The server gets only the proof, and counts a view.
"use strict";

(function () {
  const app = document.getElementById("share-app");
  if (!app) return;
  const form = document.getElementById("share-open-form");
  const button = document.getElementById("share-open-button");
  const message = document.getElementById("share-message");
  const passphraseInput = document.getElementById("share-passphrase");
  const csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
  const iterations = Number(app.dataset.iterations);
  const encoder = new TextEncoder();

  function fromB64url(text, length) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
    let binary;
    try {
      binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    } catch (error) {
      return null;
    }
    if (length !== undefined && binary.length !== length) return null;
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }

  function toB64url(bytes) {
    let binary = "";
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }

  // Pasting a link into this tab again changes only the fragment, which loads nothing: start afresh.
  window.addEventListener("hashchange", function () { location.reload(); });

  const linkId = fromB64url(location.pathname.split("/").filter(Boolean).pop(), 16);
  const secret = fromB64url(location.hash.slice(1), 32);
  const salt = fromB64url(app.dataset.salt, 16);
  if (!window.crypto || !crypto.subtle) {
    message.textContent = "This browser cannot open shared secrets here (WebCrypto needs HTTPS).";
    return;
  }
  if (!linkId || !secret || !salt) {
    message.textContent = "This link is incomplete: the part after # is missing or damaged. Ask the sender for the whole link.";
    return;
  }
  button.disabled = false;

  async function deriveKeys(passphrase) {
    let ikm = secret;
    if (iterations > 0) {
      const base = await crypto.subtle.importKey("raw", encoder.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
      const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256);
      ikm = concat(secret, new Uint8Array(bits));
    }
    const hkdf = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits", "deriveKey"]);
    const info = (label) => ({ name: "HKDF", hash: "SHA-256", salt, info: encoder.encode(label) });
    const proof = new Uint8Array(await crypto.subtle.deriveBits(info("keyhold share v1 proof"), hkdf, 256));
    const key = await crypto.subtle.deriveKey(info("keyhold share v1 key"), hkdf, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
    return { key, proof };
  }

  function copyButton(source, name) {
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "button";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", "Copy " + name);
    const status = document.querySelector("[data-copy-status]");
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(
        function () { status.textContent = "Copied."; },
        function () { status.textContent = "Copy failed: select the value and copy it by hand."; }
      );
    });
    return copy;
  }

  function show(content, viewsLeft) {
    const list = document.getElementById("share-fields");
    Object.entries(content.fields || {}).forEach(function ([name, value], index) {
      const term = document.createElement("dt");
      term.textContent = name;
      const row = document.createElement("dd");
      row.className = "secret-value-row";
      const box = document.createElement("textarea");
      box.id = "share-value-" + (index + 1);
      box.readOnly = true;
      box.rows = Math.min(8, value.split("\n").length);
      box.spellcheck = false;
      box.value = value;
      box.setAttribute("aria-label", "Value of " + name);
      row.appendChild(box);
      if (navigator.clipboard) row.appendChild(copyButton(box, name));
      list.append(term, row);
    });
    if (content.notes) {
      document.getElementById("share-notes").textContent = content.notes;
      document.getElementById("share-notes-block").hidden = false;
    }
    document.getElementById("share-views-left").textContent = viewsLeft > 0
      ? "This link opens " + viewsLeft + " more time" + (viewsLeft === 1 ? "" : "s") + "."
      : "That was the last view: the link no longer opens, and its copy on the server is erased.";
    form.hidden = true;
    document.getElementById("share-intro").hidden = true;
    document.getElementById("share-result").hidden = false;
    // The key has done its work: keep it out of the address bar and the history from here on.
    history.replaceState(null, "", location.pathname);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const passphrase = passphraseInput ? passphraseInput.value : "";
    if (iterations > 0 && !passphrase) {
      message.textContent = "Enter the passphrase.";
      return;
    }
    button.disabled = true;
    message.textContent = "";
    button.textContent = "Opening…";
    try {
      const keys = await deriveKeys(passphrase);
      const response = await fetch(app.dataset.openUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ proof: toB64url(keys.proof) }),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        message.textContent = data.error || "Opening failed (" + response.status + ").";
        // A wrong passphrase may be retyped; a link that is gone stays gone.
        if (response.status === 410 || response.status === 404) form.hidden = true;
        return;
      }
      const nonce = fromB64url(data.nonce, 12);
      const ciphertext = fromB64url(data.ciphertext);
      const additionalData = concat(encoder.encode("keyhold/share\x01"), linkId);
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData }, keys.key, ciphertext);
      show(JSON.parse(new TextDecoder().decode(plain)), data.views_left);
    } catch (error) {
      message.textContent = "This link could not be opened: it may be damaged. Ask the sender for a new one.";
    } finally {
      button.disabled = false;
      button.textContent = "Open the secret";
    }
  });
})();
