// The browser's side of passkeys (WebAuthn): the options from the API go to
// navigator.credentials, and what the authenticator answers goes back as JSON. Browsers
// that have the JSON helpers (parse…OptionsFromJSON, toJSON) use them; others get the
// base64url conversions below.

import { postJson } from "./post.js";
import { jsonOrThrow } from "./problem.js";
import { adoptToken, apiFetch, onlyExpiredTokens } from "./session.js";

/** Whether this browser can use passkeys at all (and the page is a secure context). */
export function passkeysSupported() {
  return window.isSecureContext && typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
}

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
}

function toBase64url(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const withIds = (list = []) => list.map((c) => ({ ...c, id: fromBase64url(c.id) }));

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: fromBase64url(json.challenge), allowCredentials: withIds(json.allowCredentials) };
}

function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const { response } = credential;
  const json = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toBase64url(response.attestationObject);
    json.response.transports = response.getTransports?.() ?? [];
  } else {
    json.response.authenticatorData = toBase64url(response.authenticatorData);
    json.response.signature = toBase64url(response.signature);
    if (response.userHandle) json.response.userHandle = toBase64url(response.userHandle);
  }
  return json;
}

/** navigator.credentials.create() with the API's creation options; the answer as JSON. */
export async function createPasskey(optionsJSON) {
  const credential = await navigator.credentials.create({ publicKey: creationOptions(optionsJSON) });
  return credentialJSON(credential);
}

/** navigator.credentials.get() with the API's request options; the answer as JSON. */
export async function getPasskey(optionsJSON) {
  const credential = await navigator.credentials.get({ publicKey: requestOptions(optionsJSON) });
  return credentialJSON(credential);
}

/** What to tell the person when the browser's ceremony failed (a DOMException), or null. */
export function ceremonyMessage(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "AbortError":
      return "The passkey request was cancelled or timed out. Nothing changed; try again when you're ready.";
    case "InvalidStateError":
      return "This device already has a passkey for your account.";
    case "NotSupportedError":
    case "SecurityError":
      return "This browser can't use a passkey here.";
    default:
      return null;
  }
}

/** A fresh assertion of one of the person's passkeys (the API's request options first). */
export async function assertPasskey() {
  return getPasskey(await postJson("/api/auth/webauthn/login/options"));
}

/**
 * Proves the signed-in person again with a passkey (POST /api/auth/reauth {webauthn}):
 * the fresh token is kept for this tab and shared. Throws a DOMException (the ceremony)
 * or ApiError (refused).
 */
export async function reauthenticateWithPasskey() {
  const webauthn = await assertPasskey();
  const response = await apiFetch("/api/auth/reauth", { method: "POST", json: { webauthn }, refreshOn401: onlyExpiredTokens });
  adoptToken(await jsonOrThrow(response));
}
