var CHANGES = { added: "追加", removed: "削除", changed: "変更" };

/* Publishing is deliberate: first what would change (each file, its diff), then a note
 * for the history, then confirm. */
function reviewPublish() {
  $("publish-problems").textContent = "";
  api("GET", "/admin/api/drafts/changes").then(function (j) {
    var review = $("publish-review");
    if (!j.files.length) {
      review.hidden = true;
      say("公開する変更はありません。下書きは公開中の版と同じです。");
      return;
    }
    var files = $("publish-files"), diff = $("publish-diff");
    files.textContent = "";
    diff.textContent = "";
    j.files.forEach(function (f) {
      files.appendChild(el("li", null, f.path + "（" + CHANGES[f.change] + "）"));
      diff.appendChild(sideBySide(f));
    });
    review.hidden = false;
    $("publish-note").focus();
  }).catch(function (e) { say(e.message); });
}

function publish() {
  var note = $("publish-note").value.trim();
  $("publish-problems").textContent = "";
  if (!note) {
    say("変更の説明を入力してください。公開履歴に残ります。");
    $("publish-note").focus();
    return;
  }
  say("公開しています…");
  api("POST", "/admin/api/publish", { note: note }).then(function (j) {
    say("版 " + j.release.id + " を公開しました。");
    $("publish-note").value = "";
    $("publish-review").hidden = true;
    loadDocuments();
  }).catch(function (e) {
    say(e.message);
    if (e.detail) e.detail.split("\n").forEach(function (line) { $("publish-problems").appendChild(el("li", null, line)); });
  });
}

function loadReleases() {
  api("GET", "/admin/api/releases").then(function (j) {
    var body = $("release-body");
    body.textContent = "";
    j.releases.forEach(function (r) {
      var row = el("tr");
      [String(r.id) + (r.id === j.serving_release ? "（公開中）" : ""), shikakuConsole.japanTime(r.published_at), r.published_by, r.note].forEach(function (v) {
        row.appendChild(el("td", null, v));
      });
      var actions = el("td");
      var show = el("button", { type: "button" }, "差分");
      show.addEventListener("click", function () { showDiff(r.id); });
      actions.appendChild(show);
      if (r.id !== j.serving_release) {
        var back = el("button", { type: "button" }, "この版に戻す");
        back.addEventListener("click", function () {
          if (!window.confirm("版 " + r.id + " の内容を新しい版として公開しますか？編集中の下書きはそのまま残ります。")) return;
          api("POST", "/admin/api/releases/" + r.id + "/rollback", {}).then(function (k) {
            say("版 " + r.id + " に戻しました（版 " + k.release.id + "）。下書きはそのまま残っています。");
            loadReleases(); loadDocuments();
          }).catch(function (e) { say(e.message); });
        });
        actions.appendChild(back);
      }
      row.appendChild(actions);
      body.appendChild(row);
    });
  }).catch(function (e) { say(e.message); });
}

function showDiff(id) {
  api("GET", "/admin/api/releases/" + id + "/diff").then(function (j) {
    var out = $("diff");
    out.textContent = "";
    out.appendChild(el("h3", null, "版 " + id + " の変更（" + j.files.length + "件）"));
    j.files.forEach(function (f) {
      out.appendChild(el("h4", null, f.path + "（" + CHANGES[f.change] + "）"));
      out.appendChild(sideBySide(f));
    });
  }).catch(function (e) { say(e.message); });
}

/* A file's change side by side: the old text left, the new right, changed characters
 * marked as deleted and inserted text; hunks apart in the file are separated by "…". */
function sideBySide(f) {
  var table = el("table", { "class": "side-by-side" });
  table.appendChild(el("caption", null, f.path + " の変更前（左）と変更後（右）"));
  var head = el("tr");
  ["行", "変更前", "行", "変更後"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
  table.appendChild(el("thead")).appendChild(head);
  var body = table.appendChild(el("tbody"));
  f.hunks.forEach(function (hunk, i) {
    if (i) { var gap = el("tr", { "class": "gap" }); gap.appendChild(el("td", { colspan: "4" }, "…")); body.appendChild(gap); }
    hunk.rows.forEach(function (r) {
      var row = el("tr");
      [[r.old, "del"], [r.new, "ins"]].forEach(function (side) {
        var line = side[0];
        row.appendChild(el("td", { "class": "no" }, line ? String(line.number) : ""));
        var cell = el("td", { "class": line ? (line.parts.some(function (p) { return p.changed; }) ? "changed " + side[1] : "") : "empty" });
        if (line) line.parts.forEach(function (p) { cell.appendChild(p.changed ? el(side[1], null, p.text) : document.createTextNode(p.text)); });
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  });
  return table;
}

function loadAudit() {
  api("GET", "/admin/api/audit").then(function (j) {
    var body = $("audit-body");
    body.textContent = "";
    j.entries.forEach(function (a) {
      var row = el("tr");
      [shikakuConsole.japanTime(a.at), a.user_name, a.action, a.path || "", a.detail].forEach(function (v) { row.appendChild(el("td", null, v)); });
      body.appendChild(row);
    });
  }).catch(function (e) { say(e.message); });
}
