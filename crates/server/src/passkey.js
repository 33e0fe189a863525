// Passkeys (WebAuthn) for the pages of grondslag: our one script, served
// from /static/passkey.js. It fetches the options from the server, asks the
// browser for a passkey (navigator.credentials.create or .get), posts the
// answer back and goes on. The state of each ceremony stays on the server.
// No inline script: the page marks where it is used with data-passkey.
"use strict";

(function () {
  const root = document.getElementById("passkey");
  if (!root) {
    return;
  }
  const status = document.getElementById("passkey-status");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  // base64url (no padding) <-> ArrayBuffer
  function toBuffer(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The Dutch reason of a refusal: the error page's explanation.
  async function reason(response) {
    if (response.type === "opaqueredirect") {
      return "Je sessie is verlopen of je bent niet (meer) ingelogd. Log opnieuw in.";
    }
    const text = await response.text();
    try {
      const page = new DOMParser().parseFromString(text, "text/html");
      const refusal = page.querySelector(".refusal");
      if (refusal) {
        return refusal.textContent.trim().replace(/\s+/g, " ");
      }
    } catch (e) {
      // not a page; fall through
    }
    return "Dat lukte niet (" + response.status + "). Probeer het opnieuw.";
  }

  async function post(path, body, csrf) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (csrf) {
      headers["X-CSRF-Token"] = csrf;
    }
    return fetch(path, {
      method: "POST",
      headers: headers,
      credentials: "same-origin",
      // A session that ended is sent to the sign-in page: not followed here.
      redirect: "manual",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function ids(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuffer(c.id) });
    });
  }

  // Fetches the options at `path`, lets the browser make or use a passkey
  // with them (`ask`), and returns its credential; or says why not
  // (`aborted`, given the browser's error name) and returns null.
  async function ceremony(path, csrf, ask, aborted) {
    const optionsResponse = await post(path, undefined, csrf);
    if (!optionsResponse.ok) {
      say(await reason(optionsResponse));
      return null;
    }
    const options = (await optionsResponse.json()).publicKey;
    options.challenge = toBuffer(options.challenge);
    try {
      return await ask(options);
    } catch (e) {
      say(aborted(e.name));
      return null;
    }
  }

  async function enrol() {
    const csrf = root.dataset.csrf;
    const nameField = document.getElementById("passkey-naam");
    const name = nameField ? nameField.value.trim() : "";
    if (!name) {
      say("Geef de passkey eerst een naam.");
      if (nameField) {
        nameField.focus();
      }
      return;
    }
    say("Even geduld: volg de aanwijzingen van je browser.");
    const credential = await ceremony(
      "/beveiliging/passkeys/opties",
      csrf,
      function (options) {
        options.user.id = toBuffer(options.user.id);
        options.excludeCredentials = ids(options.excludeCredentials);
        return navigator.credentials.create({ publicKey: options });
      },
      function (name) {
        return "Er is geen passkey gemaakt (" + name + "). Probeer het opnieuw.";
      },
    );
    if (!credential) {
      return;
    }
    const answer = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toText(credential.response.attestationObject),
        clientDataJSON: toText(credential.response.clientDataJSON),
        // Left out: an authenticator may name transports the server does not know.
        transports: null,
      },
      extensions: credential.getClientExtensionResults(),
    };
    const saved = await post("/beveiliging/passkeys", { name: name, credential: answer }, csrf);
    if (!saved.ok) {
      say(await reason(saved));
      return;
    }
    say("De passkey is toegevoegd.");
    window.location.assign("/beveiliging");
  }

  async function signIn() {
    say("Even geduld: volg de aanwijzingen van je browser.");
    const credential = await ceremony(
      "/inloggen/passkey/opties",
      undefined,
      function (options) {
        options.allowCredentials = ids(options.allowCredentials);
        return navigator.credentials.get({ publicKey: options });
      },
      function (name) {
        return "Inloggen met je passkey is afgebroken (" + name + "). Probeer het opnieuw, of typ de code.";
      },
    );
    if (!credential) {
      return;
    }
    const answer = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toText(credential.response.authenticatorData),
        clientDataJSON: toText(credential.response.clientDataJSON),
        signature: toText(credential.response.signature),
        userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null,
      },
      extensions: credential.getClientExtensionResults(),
    };
    const done = await post("/inloggen/passkey", { credential: answer, terug: root.dataset.terug });
    if (!done.ok) {
      say(await reason(done));
      return;
    }
    window.location.assign((await done.json()).naar);
  }

  if (!window.PublicKeyCredential) {
    say("Deze browser kan geen passkeys gebruiken.");
    return;
  }
  if (root.dataset.passkey === "enrol") {
    document.getElementById("passkey-toevoegen").addEventListener("click", function () {
      enrol().catch(function () {
        say("Er ging iets mis. Probeer het opnieuw.");
      });
    });
  } else if (root.dataset.passkey === "sign-in") {
    document.getElementById("passkey-inloggen").addEventListener("click", function () {
      signIn().catch(function () {
        say("Er ging iets mis. Probeer het opnieuw, of typ de code.");
      });
    });
  }
})();
