import { AdminApi } from "./admin-api.js";

// The public HTTP API: JSON in and out, the access token in memory, refreshed before it expires.
// The refresh token is kept in sessionStorage (this tab only, gone when it closes) so a reload keeps you signed in.

const REFRESH_KEY = "imagepredict.refresh";
const REFRESH_MARGIN_MS = 60_000;
const LIMIT_KEY = "imagepredict.maxUploadBytes"; // the last upload slot's max_bytes: the server's word, remembered

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

export class Api {
  constructor(baseUrl) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.accessToken = null;
    this.user = null;
    this.refreshTimer = null;
    this.refreshing = null; // one refresh at a time: a reused refresh token would revoke the whole session
    this.onSignedOut = () => {};
    this.admin = new AdminApi(this);
  }

  get signedIn() {
    return this.accessToken !== null;
  }

  async call(method, path, body, { auth = true, retry = true } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    let response;
    try {
      response = await fetch(this.baseUrl + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network_error", "The service cannot be reached. Check your connection and try again.");
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      // a wrong password typed again (change password, delete account) is a 401 too, but the session is fine
      const sessionOver = response.status === 401 && auth && error.code !== "invalid_credentials";
      if (sessionOver && retry && sessionStorage.getItem(REFRESH_KEY) && await this.refresh()) {
        return this.call(method, path, body, { auth, retry: false });
      }
      if (sessionOver) this.forget();
      throw new ApiError(response.status, error.code || "http_error",
        error.message || `The service answered ${response.status}.`, error.fields);
    }
    return data;
  }

  start(session) {
    this.accessToken = session.access_token;
    this.user = session.user;
    sessionStorage.setItem(REFRESH_KEY, session.refresh_token);
    clearTimeout(this.refreshTimer);
    const delay = Math.max(5_000, session.expires_in * 1000 - REFRESH_MARGIN_MS);
    this.refreshTimer = setTimeout(() => this.refresh(), delay);
    return session.user;
  }

  // `quiet`: the page that signed out says where to go next (account deleted, password reset, log out)
  forget({ quiet = false } = {}) {
    const wasSignedIn = this.signedIn && !quiet;
    this.accessToken = null;
    this.user = null;
    clearTimeout(this.refreshTimer);
    sessionStorage.removeItem(REFRESH_KEY);
    if (wasSignedIn) this.onSignedOut();
  }

  refresh() {
    if (!this.refreshing) {
      const token = sessionStorage.getItem(REFRESH_KEY);
      this.refreshing = (token
        ? this.call("POST", "/auth/refresh", { refresh_token: token }, { auth: false })
            .then((session) => { this.start(session); return true; })
            .catch(() => { this.forget(); return false; })
        : Promise.resolve(false)
      ).finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  async register(name, email, password) {
    return this.start(await this.call("POST", "/auth/register", { name, email, password }, { auth: false }));
  }

  async login(email, password) {
    return this.start(await this.call("POST", "/auth/login", { email, password }, { auth: false }));
  }

  async logout() {
    try {
      if (this.signedIn) await this.call("POST", "/auth/logout", undefined, { retry: false });
    } finally {
      this.forget({ quiet: true });
    }
  }

  async me() {
    const { user } = await this.call("GET", "/auth/me");
    this.user = user;
    return user;
  }

  // Always the same answer, whether or not an account uses the address.
  requestPasswordReset(email) {
    return this.call("POST", "/auth/password-reset", { email }, { auth: false });
  }

  confirmPasswordReset(token, password) {
    return this.call("POST", "/auth/password-reset/confirm", { token, password }, { auth: false });
  }

  async verifyEmail(token) {
    const { user } = await this.call("POST", "/auth/verify-email", { token }, { auth: false });
    if (this.user && this.user.id === user.id) {
      this.user = user;
      await this.refresh(); // a fresh access token carries the role the verification may have given
    }
    return user;
  }

  resendVerification() {
    return this.call("POST", "/auth/verify-email/resend");
  }

  // Every other session ends; this one goes on with the fresh session the answer carries.
  async changePassword(currentPassword, newPassword) {
    return this.start(await this.call("POST", "/auth/password", { current_password: currentPassword, new_password: newPassword }));
  }

  async deleteAccount(password) {
    await this.call("DELETE", "/auth/me", { password }, { retry: false });
    this.forget({ quiet: true });
  }

  async startUpload(filename, contentType) {
    const slot = await this.call("POST", "/uploads", { filename, content_type: contentType });
    if (Number.isInteger(slot.max_bytes) && slot.max_bytes > 0) localStorage.setItem(LIMIT_KEY, String(slot.max_bytes));
    return slot;
  }

  // The largest upload the service took last time it was asked, or null before the first upload slot.
  get uploadLimit() {
    const known = Number(localStorage.getItem(LIMIT_KEY));
    return Number.isInteger(known) && known > 0 ? known : null;
  }

  prediction(id) {
    return this.call("GET", `/predictions/${encodeURIComponent(id)}`);
  }

  predictions(cursor, limit = 10) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.call("GET", `/predictions?${query}`);
  }

  deletePrediction(id) {
    return this.call("DELETE", `/predictions/${encodeURIComponent(id)}`);
  }
}

// The image goes straight to S3 with the presigned POST: every field first, the file last (S3 ignores what follows).
export function sendToS3(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", upload.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new ApiError(request.status, "upload_refused",
        "The storage service refused the file (it may be too large, or the upload slot expired). Try again."));
    });
    request.addEventListener("error", () => reject(new ApiError(0, "network_error", "The upload was interrupted.")));
    request.send(form);
  });
}
