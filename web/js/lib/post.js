// The calls made without a session (log-in, sign-up, a mailed link's token, a passkey's
// options): JSON in, JSON out, a failure as ApiError. Calls with a session go through
// session.js's apiFetch instead.

import { jsonOrThrow } from "./problem.js";

/**
 * POSTs `body` (as JSON; none when undefined) to `path` of this origin and returns the
 * answer's JSON (null when empty). Throws ApiError when the API refused, TypeError when it
 * could not be reached.
 */
export async function postJson(path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: "POST",
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return jsonOrThrow(response);
}
