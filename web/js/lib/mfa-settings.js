// /settings, "Authenticator app": set one up (QR code, then a first code), see the
// recovery codes once (copy, download), get new ones, turn it off. Starting, renewing and
// turning off need a recent log-in: `act` (settings.js) runs them through reauth.js.

import { confirmAction } from "./confirm.js";
import { announce, byId, h } from "./dom.js";
import { clearErrors, focusFirstInvalid, setFieldError } from "./forms.js";
import { offerAuthenticationCode } from "./reauth.js";
import { apiFetch, onlyExpiredTokens } from "./session.js";

const STEPS = ["mfa-off", "mfa-enrol", "mfa-codes", "mfa-on"];

const call = (method, path, json) => () =>
  apiFetch(path, { method, json, refreshOn401: onlyExpiredTokens });

function showStep(id, focus) {
  for (const step of STEPS) byId(step).hidden = step !== id;
  focus?.focus();
}

function done(message) {
  const slot = byId("mfa-done");
  slot.textContent = message;
  slot.hidden = !message;
  if (message) announce(message);
}

/** The SVG of the API as an image (no markup of the server's enters the page). */
function showQrCode(svg) {
  const bytes = new TextEncoder().encode(svg);
  byId("mfa-qr").src = `data:image/svg+xml;base64,${btoa(String.fromCharCode(...bytes))}`;
}

function showRecoveryCodes(codes) {
  byId("recovery-codes").replaceChildren(...codes.map((code) => h("li", {}, code)));
  showStep("mfa-codes", byId("recovery-copy"));
  const text = `Gatehouse recovery codes\n\n${codes.join("\n")}\n`;
  byId("recovery-copy").onclick = async () => {
    try {
      await navigator.clipboard.writeText(text);
      announce("Recovery codes copied.");
    } catch {
      announce("Copying isn't allowed here: select the codes and copy them.");
    }
  };
  byId("recovery-download").onclick = () => {
    const link = h("a", {
      href: URL.createObjectURL(new Blob([text], { type: "text/plain" })),
      download: "gatehouse-recovery-codes.txt",
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };
}

/** Wires the section; `act(form, call, options)` runs a call that may need a recent log-in. */
export function mountAuthenticatorApp(me, act) {
  const form = byId("mfa-form");
  const code = form.elements.namedItem("code");
  const on = () => {
    offerAuthenticationCode(true);
    showStep("mfa-on");
  };
  const off = () => {
    offerAuthenticationCode(false);
    showStep("mfa-off");
  };

  byId("mfa-start").addEventListener("click", async () => {
    clearErrors(form);
    done("");
    const response = await act(form, call("POST", "/api/auth/mfa/totp"));
    if (!response) return;
    const enrolment = await response.json();
    showQrCode(enrolment.qr_svg);
    byId("mfa-secret").textContent = enrolment.secret;
    code.value = "";
    showStep("mfa-enrol", code);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!code.value.trim()) {
      setFieldError(code, "Enter the code from your authenticator app.");
      focusFirstInvalid(form);
      return;
    }
    const wrong = "That code isn't right. Enter the code your app shows now.";
    const response = await act(form, call("POST", "/api/auth/mfa/totp/confirm", { code: code.value.trim() }), {
      // By code only: another 403 (an unverified email, say) is the server's to explain.
      fieldForCode: { wrong_code: "code" },
      messages: { wrong_code: wrong },
    });
    if (!response) return;
    offerAuthenticationCode(true);
    done("Your authenticator app is on. Save your recovery codes now.");
    showRecoveryCodes((await response.json()).recovery_codes);
  });
  byId("mfa-cancel").addEventListener("click", () => off());
  byId("recovery-saved").addEventListener("click", () => {
    done("");
    on();
    byId("recovery-new").focus();
  });
  byId("recovery-new").addEventListener("click", async () => {
    clearErrors(form);
    const response = await act(form, call("POST", "/api/auth/mfa/recovery-codes"));
    if (!response) return;
    done("New recovery codes: the old ones no longer work.");
    showRecoveryCodes((await response.json()).recovery_codes);
  });
  byId("mfa-turn-off").addEventListener("click", async () => {
    clearErrors(form);
    const sure = await confirmAction({
      title: "Turn off the authenticator app?",
      text: "Logging in will ask for your password only, and your recovery codes will stop working.",
      confirm: "Turn off",
    });
    if (!sure) return;
    const response = await act(form, call("DELETE", "/api/auth/mfa/totp"));
    if (!response) return;
    off();
    done("Your authenticator app is off: logging in asks for your password only.");
    byId("mfa-start").focus();
  });
  if (me.mfa_enabled) on();
  else off();
}
