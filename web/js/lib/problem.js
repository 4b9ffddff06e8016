// Reading the APIs' errors: application/problem+json (RFC 9457), with the
// per-field details that validation errors carry.

/** An API call that did not succeed, with what the server said about it. */
export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || `Request failed (${problem.status})`);
    this.name = "ApiError";
    this.problem = problem;
  }
}

// "body.email" / ["body", "email"] / "/email" → "email"
function fieldOf(error) {
  const where = error.field ?? error.loc ?? error.pointer ?? error.name;
  const parts = Array.isArray(where) ? where : String(where ?? "").split(/[./]/);
  const named = parts.filter((part) => typeof part === "string" && part && part !== "body");
  return named.at(-1) ?? null;
}

function messageOf(error) {
  const text = error.message ?? error.msg ?? error.detail ?? error.reason ?? "";
  // pydantic prefixes the messages of custom validators.
  return String(text).replace(/^(Value|Assertion) error,\s*/i, "");
}

function retryAfterSeconds(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * The problem in a failed response: `{status, title, detail, code,
 * fieldErrors: {field: message}, retryAfter}`. Never throws.
 */
export async function readProblem(response) {
  let body = {};
  try {
    const parsed = await response.json();
    if (parsed && typeof parsed === "object") body = parsed;
  } catch {
    // Not JSON (a proxy's error page, say): the status has to do.
  }
  const fieldErrors = {};
  const details = Array.isArray(body.errors) ? body.errors : Array.isArray(body.detail) ? body.detail : [];
  for (const error of details) {
    if (!error || typeof error !== "object") continue;
    const field = fieldOf(error);
    const message = messageOf(error);
    if (field && message && !(field in fieldErrors)) fieldErrors[field] = message;
  }
  return {
    status: response.status,
    title: typeof body.title === "string" ? body.title : response.statusText,
    detail: typeof body.detail === "string" ? body.detail : "",
    code: typeof body.code === "string" ? body.code : null,
    fieldErrors,
    retryAfter: retryAfterSeconds(response),
  };
}

function plural(count, unit) {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

/**
 * What to tell the person when `error` is the API's 429 ("Too many attempts. Try again in
 * 2 minutes.", from its Retry-After); null for any other error.
 */
export function rateLimitMessage(error) {
  if (!(error instanceof ApiError) || error.problem.status !== 429) return null;
  const seconds = error.problem.retryAfter;
  if (!seconds) return "Too many attempts. Please wait a moment and try again.";
  const wait = seconds < 90 ? plural(seconds, "second") : plural(Math.ceil(seconds / 60), "minute");
  return `Too many attempts. Try again in ${wait}.`;
}

/** Throws ApiError unless the response succeeded; returns its JSON body (or null when empty). */
export async function jsonOrThrow(response) {
  if (!response.ok) throw new ApiError(await readProblem(response));
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}
