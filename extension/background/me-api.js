/** The employee API over HTTP, called with the device token (the popup never sees the token). */
import { httpBase } from "./config.js";
import { config } from "./state.js";

/** An error shaped like the backend's {code, status, message}. */
export class MeApiError extends Error {
  constructor(code, status, message) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function call(method, path, body) {
  if (!config.server || !config.token) throw new MeApiError("not_configured", 0, "Overt is not configured");
  let response;
  try {
    response = await fetch(httpBase(config.server) + path, {
      method,
      headers: { Authorization: `Bearer ${config.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new MeApiError("unreachable", 0, "The Overt server cannot be reached");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new MeApiError(data.code || "http_error", response.status, data.message || response.statusText);
  return data;
}

/**
 * PUT my consent categories; returns the server's {categories}. `confirm` is the employee's
 * explicit yes when the browser sends Do Not Track or Global Privacy Control (409 otherwise).
 */
export const putConsent = (categories, confirm = false) => call("PUT", "/me/api/consent", { categories, confirm });

/** GET my consent categories. */
export const getConsent = () => call("GET", "/me/api/consent");

/** A short-lived link to my "my data" page. */
export async function mySessionUrl() {
  const data = await call("POST", "/me/api/session");
  const url = new URL(data.url, httpBase(config.server));
  if (!/^https?:$/.test(url.protocol)) throw new MeApiError("bad_url", 0, "Unexpected link from the server");
  return url.href;
}
