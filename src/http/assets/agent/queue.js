var PRIORITIES = { urgent: "緊急", high: "高", normal: "通常", low: "低" };

function refreshQueue() {
  var q = $("search").value.trim();
  api("GET", "/tickets?view=" + view + (q ? "&q=" + encodeURIComponent(q) : "")).then(function (j) {
    counts(j.counts);
    var body = $("queue-body");
    body.textContent = "";
    j.tickets.forEach(function (t) {
      /* Three columns, whatever the width: the number; the clinic, its code, the reason,
       * a preview and the tags; the state and how long it has waited (never cut off). */
      var row = el("tr", { "class": "sla-" + sla(t) + (unread[t.id] ? " unread" : ""), tabindex: "0", "data-id": String(t.id) });
      row.appendChild(el("td", null, String(t.id)));
      var name = el("td");
      if (t.priority === "urgent" || t.priority === "high") name.appendChild(el("span", { "class": "badge p-" + t.priority }, PRIORITIES[t.priority]));
      if (unread[t.id]) name.appendChild(el("span", { "class": "badge new" }, "新着"));
      name.appendChild(el("span", { "class": "facility" }, t.facility_name || "—"));
      name.appendChild(el("span", { "class": "about" }, (t.facility_code || "コード未入力") + "・" + reasonText(t.reason)));
      row.appendChild(name);
      var state = el("td", { "class": "state" });
      state.appendChild(el("span", null, statusText(t)));
      state.appendChild(el("span", { "class": "age", "data-since": String(Date.now() - t.age_seconds * 1000) }, age(t.age_seconds)));
      row.appendChild(state);
      /* A preview of the inquiry typed in the form (else what the user wrote last); then the tags. */
      var preview = t.question || t.last_user_message;
      if (preview) name.appendChild(el("span", { "class": "preview" }, preview));
      if (t.tags.length) name.appendChild(el("span", { "class": "tags" }, t.tags.join("・")));
      row.addEventListener("click", function () { open(t.id); });
      row.addEventListener("keydown", function (e) { if (e.key === "Enter") open(t.id); });
      body.appendChild(row);
    });
    if (!j.tickets.length) {
      var empty = el("tr"); empty.appendChild(el("td", { colspan: "3" }, "該当する問い合わせはありません。")); body.appendChild(empty);
    }
    if (view === "waiting") {
      var ids = j.tickets.map(function (t) { return t.id; });
      if (known) {
        var fresh = ids.filter(function (id) { return known.indexOf(id) < 0; });
        if (fresh.length) announce(fresh.length);
      }
      known = ids;
    }
  }).catch(function (e) { if (e.status !== 401) say(e.message); });
}

/* 「待機中 3」「自分の担当 1」 on the view buttons. */
var VIEW_NAMES = { waiting: "待機中", mine: "自分の担当" };
function counts(c) {
  Object.keys(VIEW_NAMES).forEach(function (name) {
    var button = document.querySelector("[data-view=" + name + "]");
    button.textContent = VIEW_NAMES[name] + " " + c[name];
  });
}

function ages() {
  Array.prototype.forEach.call(document.querySelectorAll("#queue-body [data-since]"), function (td) {
    td.textContent = age(Math.floor((Date.now() - Number(td.getAttribute("data-since"))) / 1000));
  });
}

var REASONS = { button: "担当者ボタン", requested_person: "担当者希望", own_case: "個別の手続き", repeated_failure: "回答できず" };
function reasonText(r) { return REASONS[r] || r; }
function statusText(t) {
  if (t.status === "waiting") return "待機中";
  if (t.status === "agent") return "対応中（" + (t.claimed_by || "") + "）";
  /* How the user rated the person's help, once they did. */
  var rated = t.help_rating === "up" ? " 👍" : t.help_rating === "down" ? " 👎" : "";
  return "解決済み（" + (t.category || "") + "）" + rated;
}

function open(id) { current = id; shown = null; seen(id); load(id); refreshQueue(); }

/* A ticket's pane. A reply that comes back after the agent opened another ticket (a
 * refresh still in flight when 「解決して次へ」 moved on) is dropped: the pane shows the
 * ticket the agent chose, never the one they left. */
function load(id) {
  api("GET", "/tickets/" + id)
    .then(function (j) { if (j.ticket.id === current) render(j); })
    .catch(function (e) { if (id === current) say(e.message); });
}
