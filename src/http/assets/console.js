/* What both staff consoles share (loaded before agent.js or admin.js): elements built with
 * text only, never markup, and API calls that carry the session's CSRF token, sign out on
 * 401 and turn an error response into an Error with its message. */
var shikakuConsole = {
  el: function (tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  },

  /* An RFC 3339 time (the API's, in UTC) as Japan time: 12/01 14:05 (年 when not this year). */
  japanTime: function (iso) {
    if (!iso) return "";
    var at = new Date(iso);
    if (isNaN(at)) return iso;
    var parts = {};
    new Intl.DateTimeFormat("ja-JP", {
      timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false
    }).formatToParts(at).forEach(function (p) { parts[p.type] = p.value; });
    var thisYear = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric" }).format(new Date());
    var day = parts.month + "/" + parts.day + " " + parts.hour + ":" + parts.minute;
    return (thisYear.indexOf(parts.year) === 0 ? "" : parts.year + "/") + day;
  },

  /* session: { csrf: the token or null, signedOut: called on 401 }. */
  api: function (session, method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (session.csrf) headers["X-CSRF-Token"] = session.csrf;
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (r.status === 401) session.signedOut();
          if (!r.ok) {
            var e = new Error((j.error && j.error.message) || ("エラー " + r.status));
            e.status = r.status; e.detail = j.error && j.error.detail; throw e;
          }
          return j;
        });
      });
  }
};
