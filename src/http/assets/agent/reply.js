/* A reply being written is kept per ticket, in this browser, across switching tickets
 * and reloads, until it is sent or the ticket resolved. A 12-digit number is never kept. */
function draftKey(id) { return "shikaku.agent.draft." + me.name + "." + id; }
function draft(id) {
  try { return localStorage.getItem(draftKey(id)) || ""; } catch (e) { return ""; }
}
function keepDraft(id, text) {
  try {
    if (text.trim()) localStorage.setItem(draftKey(id), text.replace(/\d{12}/g, "［番号削除］"));
    else localStorage.removeItem(draftKey(id));
  } catch (e) { /* storage blocked: the box keeps it while the ticket is open */ }
}

/* The reply box grows with its text, up to about twelve lines. */
function grow(box) {
  box.style.height = "auto";
  box.style.height = Math.min(box.scrollHeight + 2, 300) + "px";
}

/* After 「解決して次へ」: the oldest waiting ticket, or the empty pane when none waits. */
function openNextWaiting() {
  api("GET", "/tickets?view=waiting").then(function (j) {
    var waiting = j.tickets.slice().sort(function (a, b) { return b.age_seconds - a.age_seconds; });
    if (waiting.length) { open(waiting[0].id); return; }
    current = null; shown = null;
    $("detail").textContent = "";
    $("detail").appendChild(el("p", null, "待機中の問い合わせはありません。"));
    refresh();
  }).catch(function (e) { say(e.message); });
}

/* Priority and tags: drawn once per ticket; what another agent sets shows, unless I am
 * editing them. */
function labels(box, t) {
  box.appendChild(el("h3", null, "優先度とタグ"));
  var row = el("div", { "class": "resolve" });
  var priority = el("select", { id: "priority", "aria-label": "優先度" });
  ["urgent", "high", "normal", "low"].forEach(function (p) { priority.appendChild(el("option", { value: p }, PRIORITIES[p])); });
  var tags = el("input", { id: "tags", "aria-label": "タグ（空白で区切る）", placeholder: "タグ（空白で区切る）" });
  var save = el("button", { type: "button", id: "labels-save" }, "保存");
  save.addEventListener("click", function () {
    var list = tags.value.split(/[\s,、]+/).filter(Boolean);
    api("PUT", "/tickets/" + t.id + "/labels", { priority: priority.value, tags: list }).then(function (j) {
      tags.value = j.tags.join(" ");
      say("優先度とタグを保存しました。");
    }).catch(function (e) { say(e.message); });
  });
  row.appendChild(priority); row.appendChild(tags); row.appendChild(save);
  box.appendChild(row);
  shown.labels = function (now) {
    if (box.contains(document.activeElement)) return;
    priority.value = now.priority; tags.value = now.tags.join(" ");
  };
}

/* The clinic's other tickets (same 医療機関等コード): each opens in the pane. */
function earlier(box, list) {
  if (!list || !list.length) return;
  box.appendChild(el("h3", null, "この医療機関等の過去の問い合わせ"));
  var ul = el("ul", { "class": "earlier" });
  list.forEach(function (e) {
    var li = el("li");
    var link = el("button", { type: "button", "class": "link" }, "#" + e.id + "　" + japanTime(e.created_at) + "　" + statusText(e));
    link.addEventListener("click", function () { open(e.id); });
    li.appendChild(link);
    var about = e.question || e.last_user_message;
    if (about) li.appendChild(el("span", { "class": "preview" }, about));
    ul.appendChild(li);
  });
  box.appendChild(ul);
}
