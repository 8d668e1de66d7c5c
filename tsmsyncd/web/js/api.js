// The one door to the daemon's HTTP API: JSON in and out, the CSRF pair on every call, and the error
// envelope {"ok": false, "error": {code, message, field}} turned into a thrown ApiError.

export const BASE = "/api/v1";
const COOKIE = "tsmsyncd-csrf";

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }

  get auth() {
    return this.status === 401 || this.status === 403;
  }
}

let authLost = () => {};

/** Called once per failed call that answered 401/403: the daemon restarted and its token changed. */
export function onAuthLost(handler) {
  authLost = handler;
}

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === COOKIE) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** {a: 1, b: null} → "?a=1" (null and "" left out). */
export function qs(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === "") continue;
    query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

export async function call(method, path, body, { signal } = {}) {
  const headers = { Accept: "application/json" };
  const token = csrfToken();
  if (token) headers["X-CSRF-Token"] = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(BASE + path, {
      method, headers, signal, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, "unreachable", "tsmsyncd is not answering. Is it still running?");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return data;
  const envelope = (data && data.error) || {};
  const error = new ApiError(response.status, envelope.code || `http_${response.status}`,
    envelope.message || `tsmsyncd answered ${response.status}`, envelope.field || null);
  if (error.auth) authLost(error);
  throw error;
}

export const api = {
  get: (path, opts) => call("GET", path, undefined, opts),
  post: (path, body = {}, opts) => call("POST", path, body, opts),
  patch: (path, body, opts) => call("PATCH", path, body, opts),
  put: (path, body, opts) => call("PUT", path, body, opts),
  del: (path, opts) => call("DELETE", path, undefined, opts),
};

/** A route this daemon does not serve yet (an older daemon): views say so instead of failing. */
export function missingRoute(error) {
  return error instanceof ApiError &&
    (error.code === "method_not_allowed" || (error.code === "not_found" && error.message === "no such route or file"));
}
