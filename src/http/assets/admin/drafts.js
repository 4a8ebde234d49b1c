/* The open file's problems first, by their line in the file; then, apart, the other
 * files' (publishing needs them fixed too). Returns how many the open file has. */
function showProblems(list, problems) {
  var ul = $(list), open = $("edit-path").value.trim();
  ul.textContent = "";
  var own = problems.filter(function (p) { return p.path === open; });
  var others = problems.filter(function (p) { return p.path !== open; });
  own.sort(function (a, b) { return (a.line || 0) - (b.line || 0); }).forEach(function (p) {
    ul.appendChild(el("li", null, (p.line ? p.line + "行目: " : "") + p.message));
  });
  if (others.length) {
    var rest = el("li", { "class": "others" }, "ほかの文書の問題（公開の前に直す必要があります）");
    var inner = el("ul");
    others.forEach(function (p) {
      inner.appendChild(el("li", null, p.path + (p.line ? "（" + p.line + "行目）" : "") + ": " + p.message));
    });
    rest.appendChild(inner);
    ul.appendChild(rest);
  }
  return own.length;
}

/* kb check on every pause in typing. */
function check() {
  var path = $("edit-path").value.trim();
  if (!path) return;
  api("POST", "/admin/api/check", { path: path, text: $("edit-text").value }).then(function (j) {
    var n = showProblems("edit-problems", j.problems), others = j.problems.length - n;
    $("edit-state").textContent = n ? n + "件の問題があります（保存はできますが、公開できません）"
      : others ? "この文書に問題はありません（ほかの文書に " + others + "件）" : "問題はありません";
  }).catch(function (e) { $("edit-state").textContent = e.message; });
}

function save() {
  if (formTimer) writeForm();
  writing.then(saveText);
}

function saveText() {
  var path = $("edit-path").value.trim();
  api("PUT", "/admin/api/documents/" + path, { text: $("edit-text").value }).then(function (j) {
    current = path;
    $("edit-path").readOnly = true;
    showProblems("edit-problems", j.problems);
    say("下書きを保存しました。");
    loadDocuments();
  }).catch(function (e) { say(e.message + (e.detail ? "（" + e.detail + "）" : "")); });
}

function remove() {
  if (!current || !window.confirm(current + " を下書きから削除しますか？")) return;
  api("DELETE", "/admin/api/documents/" + current).then(function () {
    say("削除しました（公開すると反映されます）。");
    $("editor").hidden = true; current = null;
    loadDocuments();
  }).catch(function (e) { say(e.message); });
}

/* A new FAQ in the form, prefilled with what `start` gives (a question users asked, the
 * answer they rated 👎 and its sources). */
/* A new FAQ, from nothing or from what a user asked (`start`: their question, the answer
 * they got, their 👎 comment, its sources). Only the user's own question and the cited
 * sources are filled in: the answer given was written by the service (a rule's dated
 * sentence, a generated text) and is shown beside the form, never copied into it. */
function newFaq(start) {
  start = start || {};
  var context = $("fix-context");
  context.hidden = !start.answer;
  $("fix-question").textContent = start.question || "";
  $("fix-answer").textContent = start.answer || "";
  $("fix-comment").textContent = start.comment || "（なし）";
  var slug = "faq-" + Date.now().toString(36);
  current = null;
  $("edit-path").readOnly = false;
  $("edit-path").value = "faq/" + slug + ".md";
  $("edit-text").value = "";
  $("editor").hidden = false;
  $("edit-problems").textContent = "";
  $("edit-state").textContent = "";
  tab("documents");
  fillForm({
    id: slug, title: start.question || "", questions: start.question ? [start.question] : [],
    answer: "", sources: start.sources || [], tags: [], english: null
  });
  $("views").hidden = false;
  showView("form");
  writeForm();
  (start.answer ? $("f-answer") : $("f-title")).focus();
}

/* A new notice as PDF or HTML: proposed as drafts that need review. */
function importFile() {
  var file = $("import-file").files[0];
  if (!file) { say("取り込むファイルを選んでください。"); return; }
  say("取り込んでいます…");
  fetch("/admin/api/import?name=" + encodeURIComponent(file.name), {
    method: "POST", body: file, credentials: "same-origin", headers: { "X-CSRF-Token": csrf }
  }).then(function (r) {
    return r.json().then(function (j) {
      if (!r.ok) throw new Error((j.error && j.error.message) + (j.error && j.error.detail ? "（" + j.error.detail + "）" : ""));
      say(j.proposed.length + "件の下書きを作りました。内容を原文と照らして確認し、needs_review の行を消してから公開してください。");
      $("doc-search").value = "";
      loadDocuments();
      openDocument(j.proposed[0]);
    });
  }).catch(function (e) { say(e.message); });
}

function tryQuestion(e) {
  e.preventDefault();
  var q = $("try-question").value.trim();
  if (!q) return;
  $("try-answer").textContent = "確認しています…";
  api("POST", "/admin/api/try", { question: q }).then(function (j) {
    var a = j.answer;
    $("try-answer").textContent = a.answer;
    $("try-meta").textContent = "結果: " + (OUTCOMES[a.outcome] || a.outcome) + " ／ 書き手: " + (WRITERS[a.writer] || a.writer) + " ／ 出典: " +
      (a.citations.map(function (c) { return c.title + (c.section ? "（" + c.section + "）" : ""); }).join("、") || "なし");
    var body = $("try-hits");
    body.textContent = "";
    j.hits.forEach(function (h) {
      var row = el("tr");
      [h.title + (h.section ? "（" + h.section + "）" : ""), KINDS[h.kind] || h.kind, h.score.toFixed(2), Math.round(h.coverage * 100) + "%"].forEach(function (v) {
        row.appendChild(el("td", null, v));
      });
      body.appendChild(row);
    });
  }).catch(function (err) {
    $("try-answer").textContent = err.message + (err.detail ? "\n" + err.detail : "");
  });
}
