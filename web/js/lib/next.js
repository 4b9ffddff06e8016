// Where to go after logging in: only a path on this origin, never another host.

// Control characters, and the backslash that browsers read as a slash in URLs.
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

/** Returns `raw` when it is a same-origin path ("/notes?x=1"), otherwise "/". */
export function safeNextPath(raw, origin = window.location.origin) {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2048) return "/";
  // "/x" only: "//host" is protocol-relative, "x:" has a scheme, "x" is relative.
  if (raw[0] !== "/" || raw[1] === "/" || FORBIDDEN.test(raw)) return "/";
  let url;
  try {
    url = new URL(raw, origin);
  } catch {
    return "/";
  }
  if (url.origin !== origin) return "/";
  return url.pathname + url.search + url.hash;
}

/** The `next` query parameter of the current page, made safe. */
export function nextFromLocation(location = window.location) {
  return safeNextPath(new URLSearchParams(location.search).get("next"), location.origin);
}

/** The login URL that brings the user back to where they are now. */
export function loginUrlReturningHere(location = window.location) {
  const here = location.pathname + location.search + location.hash;
  return `/login?next=${encodeURIComponent(safeNextPath(here, location.origin))}`;
}
