/* The editor console: sign in; documents (search, edit an FAQ in a form or any file as
 * text, with kb check's problems as you type, save, delete, new); try a question on the
 * drafts; publish; releases with diffs and rollback; the audit log; what users could not
 * get answered (a chart, groups, 👎 answers, CSV, an FAQ started from a question or an
 * answer). Everything from the server is set as text; every change carries the session's
 * CSRF token. */
(function () {
  "use strict";
  var csrf = null, me = null, current = null, checkTimer = null, searchTimer = null, formTimer = null;
  /* The sections an FAQ can cite, and the form's last write into the file (save waits). */
  var citable = [], writing = Promise.resolve();
  /* Counts the editor's choices of view: a form read that arrives after another choice is
   * not shown. */
  var viewChoice = 0;
  var $ = function (id) { return document.getElementById(id); };

  var el = shikakuConsole.el;
  var session = { get csrf() { return csrf; }, signedOut: function () { showLogin(); } };

  function api(method, path, body) { return shikakuConsole.api(session, method, path, body); }

  function say(text) { $("status").textContent = text; }

  function showLogin() {
    csrf = null;
    $("login").hidden = false;
    $("console").hidden = true;
    $("login-name").focus();
  }

  function showConsole(user) {
    csrf = user.csrf; me = user;
    document.querySelector("[data-tab=users]").hidden = user.role !== "admin";
    $("login").hidden = true;
    $("console").hidden = false;
    $("who").textContent = user.name + "（" + (user.role === "admin" ? "管理者" : "編集者") + "）";
    api("GET", "/admin/api/sections").then(function (j) { citable = j.sections; }).catch(function (e) { say(e.message); });
    tab("documents");
  }

  function tab(name) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-tab]"), function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-tab") === name));
    });
    Array.prototype.forEach.call(document.querySelectorAll(".editor-panel"), function (p) {
      p.hidden = p.id !== "panel-" + name;
    });
    if (name === "documents") loadDocuments();
    if (name === "history") loadReleases();
    if (name === "audit") loadAudit();
    if (name === "analytics") loadAnalytics();
    if (name === "users") loadUsers();
  }

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

  /* The sources as a checklist, one group per notice, narrowed by typing; the chosen ones
   * above it as chips (× takes one off). A click never drops the others. */
  function sourcesList(chosen) {
    var list = $("f-sources-list");
    list.textContent = "";
    var groups = {};
    var item = function (ref, label) {
      var row = el("label", { "class": "check" });
      var box = el("input", { type: "checkbox", value: ref });
      box.checked = chosen.indexOf(ref) >= 0;
      row.appendChild(box);
      row.appendChild(document.createTextNode(label));
      return row;
    };
    citable.forEach(function (c) {
      if (!groups[c.document]) {
        groups[c.document] = list.appendChild(el("div", { "class": "group" }));
        groups[c.document].appendChild(el("p", { "class": "doc" }, c.document));
      }
      groups[c.document].appendChild(item(c.ref, c.heading + "（" + c.ref + "）"));
    });
    chosen.forEach(function (ref) {
      if (!citable.some(function (c) { return c.ref === ref; })) list.appendChild(item(ref, ref + "（公開中の通知にありません）"));
    });
    $("f-sources-filter").value = "";
    showChosen();
  }

  function chosenSources() {
    return Array.prototype.filter.call(document.querySelectorAll("#f-sources-list input"), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
  }

  function showChosen() {
    var chips = $("f-sources-chosen");
    chips.textContent = "";
    chosenSources().forEach(function (ref) {
      var off = el("button", { type: "button", "class": "chip", "aria-label": ref + " を出典から外す" }, ref + " ×");
      off.addEventListener("click", function () {
        var box = document.querySelector('#f-sources-list input[value="' + CSS.escape(ref) + '"]');
        if (box) { box.checked = false; box.dispatchEvent(new Event("change", { bubbles: true })); }
      });
      chips.appendChild(off);
    });
    if (!chips.childElementCount) chips.appendChild(el("span", { "class": "none" }, "（出典が選ばれていません）"));
  }

  function filterSources() {
    var words = $("f-sources-filter").value.trim().toLowerCase();
    Array.prototype.forEach.call(document.querySelectorAll("#f-sources-list .check"), function (row) {
      row.hidden = !!words && row.textContent.toLowerCase().indexOf(words) < 0;
    });
  }

  function formFields() {
    var en = { title: $("f-en-title").value, questions: lines($("f-en-questions").value), answer: $("f-en-answer").value };
    return {
      id: $("f-id").value, title: $("f-title").value, questions: lines($("f-questions").value),
      answer: $("f-answer").value,
      sources: chosenSources(),
      tags: $("f-tags").value.split(/[\s,、]+/).filter(Boolean),
      valid_from: $("f-from").value || null, valid_until: $("f-until").value || null,
      english: en.title.trim() || en.answer.trim() || en.questions.length ? en : null
    };
  }

  /* The form written into the file, then checked. */
  function writeForm() {
    clearTimeout(formTimer); formTimer = null;
    writing = api("POST", "/admin/api/faq/write", { text: $("edit-text").value, form: formFields() }).then(function (j) {
      if (j.problem) { $("edit-state").textContent = j.problem; return; }
      $("edit-text").value = j.text;
      check();
    }).catch(function (e) { say(e.message); });
    return writing;
  }

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

  var SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  /* The three daily rates in one line chart: a percent axis with grid lines, dates under it,
   * each point's value on hover and to screen readers, and a legend with the last value.
   * Lines differ in colour and in dash, so they can be told apart without colour. */
  /* Each rate with what it is a share of (`of`: the day's counts behind it). */
  var SERIES = [
    { key: "answer_rate", label: "回答率", color: "#00467f", dash: "",
      of: function (d) { return d.answered + "/" + (d.answered + d.no_answer + d.handoff) + "件"; } },
    { key: "handoff_rate", label: "引き継ぎ率", color: "#a61b1b", dash: "6 3",
      of: function (d) { return d.tickets + "/" + d.questions + "件"; } },
    { key: "up_rate", label: "👍率", color: "#1e7b34", dash: "2 3",
      of: function (d) { return d.up + "/" + (d.up + d.down) + "件"; } }
  ];

  function chart(days) {
    var box = $("chart");
    box.textContent = "";
    /* `right` leaves room for the last date's label, centred on the last day. */
    var W = 720, H = 240, left = 44, right = 30, top = 12, bottom = 36;
    var x = function (i) { return left + (days.length < 2 ? 0 : i * (W - left - right) / (days.length - 1)); };
    var y = function (v) { return top + (1 - v) * (H - top - bottom); };
    var pic = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "chart-title" });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (v) {
      pic.appendChild(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), "class": "grid" }));
      pic.appendChild(svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "class": "tick" }, Math.round(v * 100) + "%"));
    });
    /* Each day's number of questions as a grey bar (up to a third of the height): a rate
     * over 2 questions is not one over 200. */
    var most = Math.max.apply(null, days.map(function (d) { return d.questions; }).concat([1]));
    days.forEach(function (d, i) {
      if (!d.questions) return;
      var h = d.questions / most * (H - top - bottom) / 3;
      var bar = svg("rect", { x: x(i) - 4, y: H - bottom - h, width: 8, height: h, "class": "volume" });
      bar.appendChild(svg("title", {}, d.date + ": 質問 " + d.questions + "件"));
      pic.appendChild(bar);
    });
    var every = Math.max(1, Math.ceil(days.length / 8));
    days.forEach(function (d, i) {
      /* Every `every` days and the last one, leaving out a label too near the last. */
      var fromLast = days.length - 1 - i;
      if (fromLast && (i % every || fromLast < every / 2)) return;
      pic.appendChild(svg("text", { x: x(i), y: H - bottom + 16, "text-anchor": "middle", "class": "tick" }, d.date.slice(5).replace("-", "/")));
    });
    pic.appendChild(svg("text", { x: W - right, y: H - 4, "text-anchor": "end", "class": "tick" }, "日付（日本時間）"));
    var legend = el("ul", { "class": "legend" });
    SERIES.forEach(function (s) {
      var points = [], last = null;
      days.forEach(function (d, i) {
        var v = d[s.key];
        if (v == null) return;
        points.push(x(i) + "," + y(v));
        last = { date: d.date, v: v };
        var dot = svg("circle", { cx: x(i), cy: y(v), r: 3.5, fill: s.color });
        dot.appendChild(svg("title", {}, s.label + " " + d.date + ": " + Math.round(v * 100) + "%（" + s.of(d) + "）"));
        pic.appendChild(dot);
      });
      if (points.length > 1) {
        pic.insertBefore(svg("polyline", { points: points.join(" "), fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash }), pic.firstChild.nextSibling);
      }
      var item = el("li");
      var key = svg("svg", { width: 28, height: 10, "aria-hidden": "true" });
      key.appendChild(svg("line", { x1: 0, x2: 28, y1: 5, y2: 5, stroke: s.color, "stroke-width": 3, "stroke-dasharray": s.dash }));
      item.appendChild(key);
      item.appendChild(document.createTextNode(s.label + (last ? "（" + last.date.slice(5).replace("-", "/") + ": " + Math.round(last.v * 100) + "%）" : "（データなし）")));
      legend.appendChild(item);
    });
    box.appendChild(el("figcaption", { id: "chart-title" }, "日別の回答率・引き継ぎ率・👍率（" + days[0].date + "〜" + days[days.length - 1].date + "）"));
    var volume = el("li");
    var swatch = svg("svg", { width: 28, height: 10, "aria-hidden": "true" });
    swatch.appendChild(svg("rect", { x: 10, y: 0, width: 8, height: 10, "class": "volume" }));
    volume.appendChild(swatch);
    var total = days.reduce(function (n, d) { return n + d.questions; }, 0);
    volume.appendChild(document.createTextNode("質問数（棒。期間中 " + total + "件、1日の最多 " + most + "件）"));
    legend.appendChild(volume);
    box.appendChild(pic);
    box.appendChild(legend);
  }

  function loadAnalytics() {
    var days = $("days").value;
    $("csv").href = "/admin/api/analytics.csv?days=" + days;
    api("GET", "/admin/api/analytics?days=" + days).then(function (j) {
      chart(j.days);
      var body = $("unanswered-body");
      body.textContent = "";
      j.unanswered.forEach(function (g) {
        var row = el("tr");
        row.appendChild(el("td", null, String(g.count)));
        row.appendChild(el("td", null, "回答なし " + g.reasons.no_answer + " ／ 👎 " + g.reasons.down));
        row.appendChild(el("td", null, g.examples.join(" ／ ")));
        var make = el("button", { type: "button" }, "FAQを作る");
        make.addEventListener("click", function () { newFaq({ question: g.examples[0] }); });
        var cell = el("td"); cell.appendChild(make); row.appendChild(cell);
        body.appendChild(row);
      });
      var disliked = $("disliked-body");
      disliked.textContent = "";
      j.disliked.forEach(function (d) {
        var row = el("tr");
        [shikakuConsole.japanTime(d.at), d.question, d.answer, d.comment || "—"].forEach(function (v) { row.appendChild(el("td", null, v)); });
        var fix = el("button", { type: "button" }, "この回答を直す");
        fix.addEventListener("click", function () { newFaq(d); });
        var cell = el("td"); cell.appendChild(fix); row.appendChild(cell);
        disliked.appendChild(row);
      });
      if (!j.disliked.length) { var none = el("tr"); none.appendChild(el("td", { colspan: "5" }, "この期間に 👎 はありません。")); disliked.appendChild(none); }
      var top = $("top-body");
      top.textContent = "";
      j.top.forEach(function (t) {
        var row = el("tr");
        row.appendChild(el("td", null, String(t.count)));
        row.appendChild(el("td", null, t.question));
        top.appendChild(row);
      });
    }).catch(function (e) { say(e.message); });
  }

  var ROLES = { admin: "管理者", agent: "担当者", editor: "編集者" };

  /* Admins: every account with its state; disable or enable it, or give it a new password
   * (shown here once, to be handed over). One's own account cannot be disabled. */
  function loadUsers() {
    api("GET", "/agent/api/users").then(function (j) {
      var body = $("users-body");
      body.textContent = "";
      j.users.forEach(function (u) {
        var row = el("tr");
        var state = u.disabled ? "無効" : u.locked ? "ロック中（パスワードの誤り）" : "有効";
        [u.name, ROLES[u.role] || u.role, state, shikakuConsole.japanTime(u.created_at)].forEach(function (v) { row.appendChild(el("td", null, v)); });
        var cell = el("td");
        if (u.name !== me.name) {
          var toggle = el("button", { type: "button", "aria-label": u.name + " を" + (u.disabled ? "有効" : "無効") + "にする" }, u.disabled ? "有効にする" : "無効にする");
          toggle.addEventListener("click", function () {
            if (!u.disabled && !window.confirm(u.name + " さんを無効にしますか？サインイン中でも、すぐに使えなくなります。")) return;
            api("PUT", "/agent/api/users/" + encodeURIComponent(u.name) + "/disabled", { disabled: !u.disabled }).then(function () {
              say(u.name + " さんを" + (u.disabled ? "有効" : "無効") + "にしました。"); loadUsers();
            }).catch(function (e) { say(e.message); });
          });
          cell.appendChild(toggle);
        }
        var reset = el("button", { type: "button", "aria-label": u.name + " のパスワードを再発行" }, "パスワードを再発行");
        reset.addEventListener("click", function () {
          if (!window.confirm(u.name + " さんのパスワードを再発行しますか？今のパスワードとサインイン中の画面は使えなくなります。")) return;
          api("POST", "/agent/api/users/" + encodeURIComponent(u.name) + "/password", {}).then(function (k) {
            var box = $("new-password");
            box.textContent = "";
            box.appendChild(el("p", null, k.name + " さんの新しいパスワード（この画面にだけ表示されます。本人に安全な方法でお伝えください）:"));
            box.appendChild(el("code", null, k.password));
            loadUsers();
          }).catch(function (e) { say(e.message); });
        });
        cell.appendChild(reset);
        row.appendChild(cell);
        body.appendChild(row);
      });
    }).catch(function (e) { say(e.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/agent/api/login", { name: $("login-name").value, password: $("login-password").value })
        .then(function () { return api("GET", "/admin/api/me"); })
        .then(showConsole)
        .catch(function (err) { $("login-error").textContent = err.status === 403 ? "編集の権限がありません。" : err.message; });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-tab]"), function (b) {
      b.addEventListener("click", function () { tab(b.getAttribute("data-tab")); });
    });
    $("doc-search").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(loadDocuments, 300); });
    $("doc-filter").addEventListener("change", loadDocuments);
    $("edit-text").addEventListener("input", function () { clearTimeout(checkTimer); checkTimer = setTimeout(check, 400); });
    $("save").addEventListener("click", save);
    $("remove").addEventListener("click", remove);
    $("new").addEventListener("click", function () { newFaq(); });
    $("view-form").addEventListener("click", function () { formView(false); });
    $("view-raw").addEventListener("click", function () { viewChoice++; if (formTimer) writeForm(); showView("raw"); });
    $("faq-form").addEventListener("input", function () { clearTimeout(formTimer); formTimer = setTimeout(writeForm, 300); });
    $("faq-form").addEventListener("change", function (e) {
      if (e.target.id === "f-sources-filter") return;
      if (e.target.closest("#f-sources-list")) showChosen();
      clearTimeout(formTimer); formTimer = setTimeout(writeForm, 300);
    });
    $("f-sources-filter").addEventListener("input", function (e) { e.stopPropagation(); filterSources(); });
    $("faq-form").addEventListener("submit", function (e) { e.preventDefault(); });
    $("try-form").addEventListener("submit", tryQuestion);
    $("import").addEventListener("click", importFile);
    $("publish").addEventListener("click", reviewPublish);
    $("publish-confirm").addEventListener("click", publish);
    $("publish-cancel").addEventListener("click", function () { $("publish-review").hidden = true; $("publish").focus(); });
    $("days").addEventListener("change", loadAnalytics);
    $("logout").addEventListener("click", function () {
      api("POST", "/agent/api/logout", {}).then(showLogin).catch(showLogin);
    });
    api("GET", "/admin/api/me").then(showConsole).catch(function () { showLogin(); });
  });
})();
