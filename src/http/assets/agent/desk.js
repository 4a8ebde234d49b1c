/* Hand the ticket to another agent or admin, or give it back to the queue. */
function handOn(box, t) {
  var row = el("div", { "class": "resolve" });
  var to = el("select", { id: "transfer-to", "aria-label": "引き継ぐ担当者" });
  var note = el("input", { id: "transfer-note", "aria-label": "引き継ぎメモ（任意）", placeholder: "引き継ぎメモ（任意）", maxlength: "2000" });
  var hand = el("button", { type: "button", id: "transfer" }, "引き継ぐ");
  var release = el("button", { type: "button", id: "release" }, "担当を外す");
  api("GET", "/agents").then(function (j) {
    j.agents.filter(function (n) { return n !== me.name; }).forEach(function (n) { to.appendChild(el("option", { value: n }, n)); });
    hand.disabled = !to.options.length;
  }).catch(function (e) { say(e.message); });
  hand.addEventListener("click", function () {
    if (!to.value) return;
    var body = { to: to.value };
    if (note.value.trim()) body.note = note.value.trim();
    api("POST", "/tickets/" + t.id + "/transfer", body).then(function () { say(to.value + " さんに引き継ぎました。"); refresh(); }).catch(function (e) { say(e.message); });
  });
  release.addEventListener("click", function () {
    api("POST", "/tickets/" + t.id + "/release").then(function () { say("待機中に戻しました。"); refresh(); }).catch(function (e) { say(e.message); });
  });
  row.appendChild(to); row.appendChild(note); row.appendChild(hand); row.appendChild(release);
  box.appendChild(row);
}

/* Saved replies: every agent inserts them (the list, or /shortcut then Tab in the reply);
 * admins keep them in 「定型文の管理」. */
function loadCanned() {
  api("GET", "/canned").then(function (j) {
    canned = j.canned;
    var list = $("canned-list");
    list.textContent = "";
    canned.forEach(function (c) {
      var li = el("li", null, "/" + c.shortcut + "　" + c.title + "　");
      var remove = el("button", { type: "button", "aria-label": "/" + c.shortcut + " を削除" }, "削除");
      remove.addEventListener("click", function () {
        api("DELETE", "/canned/" + encodeURIComponent(c.shortcut)).then(function () { say("削除しました。"); loadCanned(); }).catch(function (e) { say(e.message); });
      });
      li.appendChild(remove);
      list.appendChild(li);
    });
    /* The open ticket gets the new list, unless the agent is typing a reply. */
    var typing = $("reply-text") && $("reply-text").value;
    if (shown && !typing) { shown.keys.actions = null; if (current != null) load(current); }
  }).catch(function (e) { if (e.status !== 401) say(e.message); });
}

/* Puts `text` into the reply box where the cursor is (replacing `from`–cursor). */
function insert(box, text, from) {
  var at = box.selectionStart, start = from == null ? at : from;
  box.value = box.value.slice(0, start) + text + box.value.slice(box.selectionEnd);
  box.selectionStart = box.selectionEnd = start + text.length;
  box.focus();
}

function cannedPicker(box) {
  var pick = el("select", { id: "canned-pick", "aria-label": "定型文を挿入" });
  pick.appendChild(el("option", { value: "" }, "定型文を挿入…"));
  canned.forEach(function (c) { pick.appendChild(el("option", { value: c.shortcut }, "/" + c.shortcut + "　" + c.title)); });
  pick.addEventListener("change", function () {
    var c = canned.filter(function (x) { return x.shortcut === pick.value; })[0];
    if (c) insert(box, c.text);
    pick.value = "";
  });
  box.addEventListener("keydown", function (e) {
    if (e.key !== "Tab" || e.shiftKey || e.isComposing) return;
    var before = box.value.slice(0, box.selectionStart);
    var m = /(^|\s)\/([a-z0-9_-]+)$/.exec(before);
    var c = m && canned.filter(function (x) { return x.shortcut === m[2]; })[0];
    if (!c) return;
    e.preventDefault();
    insert(box, c.text, before.length - m[2].length - 1);
  });
  return pick;
}

function noteForm(box, t) {
  var noteText = el("input", { id: "note-text", "aria-label": "社内メモ" });
  var addNote = el("button", { type: "button" }, "メモを残す");
  addNote.addEventListener("click", function () {
    if (!noteText.value.trim()) return;
    api("POST", "/tickets/" + t.id + "/notes", { text: noteText.value }).then(function () { noteText.value = ""; load(t.id); }).catch(function (e) { say(e.message); });
  });
  box.appendChild(noteText); box.appendChild(addNote);
}

$("login-form").addEventListener("submit", function (e) {
  e.preventDefault();
  api("POST", "/login", { name: $("login-name").value, password: $("login-password").value })
    .then(function (user) { $("login-password").value = ""; $("login-error").textContent = ""; showConsole(user); })
    .catch(function (err) { $("login-error").textContent = err.message; });
});
$("logout").addEventListener("click", function () {
  api("POST", "/logout").then(showLogin).catch(showLogin);
});
Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (b) {
  b.addEventListener("click", function () {
    view = b.getAttribute("data-view");
    Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (x) { x.setAttribute("aria-pressed", String(x === b)); });
    refresh();
  });
});
