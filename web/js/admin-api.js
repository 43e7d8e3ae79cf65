// The /admin routes (api.admin): the server answers 403 forbidden to anyone but an administrator, whatever the page
// shows. Query values go through URLSearchParams; ids through encodeURIComponent.

function withQuery(path, values) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== null && value !== undefined && value !== "") query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export class AdminApi {
  constructor(api) {
    this.api = api;
  }

  users(email, cursor, limit = 20) {
    return this.api.call("GET", withQuery("/admin/users", { email, cursor, limit }));
  }

  disable(userId) {
    return this.api.call("POST", `/admin/users/${encodeURIComponent(userId)}/disable`);
  }

  enable(userId) {
    return this.api.call("POST", `/admin/users/${encodeURIComponent(userId)}/enable`);
  }

  // filters: {status, since, until, label, model_version, user_id}, any of them empty
  predictions(filters, cursor, limit = 20) {
    return this.api.call("GET", withQuery("/admin/predictions", { ...filters, cursor, limit }));
  }

  stats(days = 30) {
    return this.api.call("GET", withQuery("/admin/stats", { days }));
  }

  deadLetters() {
    return this.api.call("GET", "/admin/dead-letters");
  }

  // No ids: the whole queue (SQS's message move task); ids: just those messages.
  redrive(messageIds) {
    return this.api.call("POST", "/admin/dead-letters/redrive", messageIds ? { message_ids: messageIds } : {});
  }

  discard(messageId) {
    return this.api.call("DELETE", `/admin/dead-letters/${encodeURIComponent(messageId)}`);
  }

  audit(cursor, limit = 20) {
    return this.api.call("GET", withQuery("/admin/audit", { cursor, limit }));
  }
}
