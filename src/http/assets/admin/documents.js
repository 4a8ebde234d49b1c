var STATUS = { "new": "新規", "changed": "変更あり", "published": "公開中" };
/* The service's names, in the words an editor reads. */
var OUTCOMES = { answered: "回答した", no_answer: "資料に記載なし", handoff: "担当者へ引き継ぎ" };
var WRITERS = {
  faq: "FAQ", rule: "様式の数値からの計算", model: "言語モデル（出典で検証済み）", extractive: "通知の引用",
  fixed: "定型文", small_talk: "あいさつへの返事", parts: "質問ごとの回答"
};
var KINDS = { faq: "FAQ", notice: "通知", form: "様式" };

function loadDocuments() {
  var q = $("doc-search").value.trim();
  api("GET", "/admin/api/documents" + (q ? "?q=" + encodeURIComponent(q) : "")).then(function (j) {
    $("serving").textContent = "公開中の版: " + j.serving_release;
    var body = $("doc-body");
    body.textContent = "";
    /* New drafts are not buried among the published: 新規, 変更あり or 問題あり alone. */
    var only = $("doc-filter").value;
    j.documents.filter(function (d) {
      return !only || (only === "problems" ? d.problems > 0 : d.status === only);
    }).forEach(function (d) {
      var row = el("tr", { tabindex: "0" });
      [d.path, d.title || "—", STATUS[d.status] || d.status, d.problems ? d.problems + "件" : ""].forEach(function (v) {
        row.appendChild(el("td", null, v));
      });
      if (d.problems) row.className = "has-problems";
      row.addEventListener("click", function () { openDocument(d.path); });
      row.addEventListener("keydown", function (e) { if (e.key === "Enter") openDocument(d.path); });
      body.appendChild(row);
    });
    $("deleted").textContent = j.deleted.length ? "削除予定: " + j.deleted.join("、") : "";
  }).catch(function (e) { say(e.message); });
}

function openDocument(path) {
  api("GET", "/admin/api/documents/" + path).then(function (j) {
    edit(path, j.text == null ? j.published : j.text);
  }).catch(function (e) { say(e.message); });
}

function edit(path, text) {
  current = path;
  $("fix-context").hidden = true;
  $("edit-path").value = path;
  $("edit-path").readOnly = true;
  $("edit-text").value = text || "";
  $("editor").hidden = false;
  check();
  if (/^faq\//.test(path)) formView(true); else { $("views").hidden = true; showView("raw"); $("edit-text").focus(); }
}

/* An FAQ is edited in the form or as the raw file: two views of one text, which the server
 * reads into the form's fields and writes them back into (every other key kept). */
function showView(name) {
  $("faq-form").hidden = name !== "form";
  $("raw").hidden = name !== "raw";
  $("view-form").setAttribute("aria-selected", String(name === "form"));
  $("view-raw").setAttribute("aria-selected", String(name === "raw"));
}

function formView(focus) {
  $("views").hidden = false;
  var choice = ++viewChoice;
  return api("POST", "/admin/api/faq/read", { text: $("edit-text").value }).then(function (j) {
    if (choice !== viewChoice) return;
    if (!j.form) {
      showView("raw");
      $("edit-state").textContent = j.problem;
      return;
    }
    fillForm(j.form);
    showView("form");
    if (focus) $("f-title").focus();
  }).catch(function (e) { say(e.message); });
}

function lines(text) { return text.split("\n").map(function (l) { return l.trim(); }).filter(Boolean); }

function fillForm(f) {
  $("f-id").value = f.id; $("f-title").value = f.title;
  $("f-questions").value = f.questions.join("\n");
  $("f-answer").value = f.answer;
  $("f-tags").value = f.tags.join(" ");
  $("f-from").value = f.valid_from || ""; $("f-until").value = f.valid_until || "";
  sourcesList(f.sources);
  var en = f.english || { title: "", questions: [], answer: "" };
  $("f-en-title").value = en.title; $("f-en-questions").value = en.questions.join("\n"); $("f-en-answer").value = en.answer;
  $("f-english").open = !!f.english;
}
