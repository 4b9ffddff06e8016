// Turning API values into words for people.

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });
const shortDate = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

const STEPS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

export function parseDate(value) {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

/** "3 minutes ago", "just now". */
export function timeAgo(value, now = Date.now()) {
  const date = parseDate(value);
  if (!date) return "unknown";
  const seconds = Math.round((date.getTime() - now) / 1000);
  for (const [unit, size] of STEPS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

export function formatDateTime(value) {
  const date = parseDate(value);
  return date ? absolute.format(date) : "";
}

export function formatDate(value) {
  const date = parseDate(value);
  return date ? dateOnly.format(date) : "";
}

/** "Nov 27". */
export function formatShortDate(value) {
  const date = parseDate(value);
  return date ? shortDate.format(date) : "";
}

/** A <time> element that says "3 minutes ago" and shows the exact time on hover. */
export function timeElement(value) {
  const element = document.createElement("time");
  const date = parseDate(value);
  element.textContent = timeAgo(value);
  if (date) {
    element.dateTime = date.toISOString();
    element.title = absolute.format(date);
  }
  return element;
}

const BROWSERS = [
  [/Edg(?:e|A|iOS)?\//, "Edge"],
  [/OPR\/|Opera/, "Opera"],
  [/Firefox\/|FxiOS/, "Firefox"],
  [/HeadlessChrome/, "Headless Chrome"],
  [/Chrome\/|CriOS/, "Chrome"],
  [/Safari\//, "Safari"],
];
const SYSTEMS = [
  [/Android/, "Android"],
  [/iPhone|iPad|iPod/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

/** "Chrome on Linux" from a User-Agent header; other clients keep their own name. */
export function describeUserAgent(userAgent) {
  if (!userAgent) return "Unknown device";
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser || system) return browser ?? system;
  return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent;
}

export function isMobile(userAgent) {
  return /Android|iPhone|iPad|iPod|Mobile/.test(userAgent ?? "");
}
