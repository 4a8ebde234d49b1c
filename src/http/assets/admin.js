/* The editor console: sign in; documents (search, edit with kb check's problems as you
 * type, save, delete, new); try a question on the drafts; publish; releases with diffs
 * and rollback; the audit log; what users could not get answered (charts, groups, CSV,
 * an FAQ started from a question). Everything from the server is set as text; every
 * change carries the session's CSRF token. */
(function () {
  "use strict";
  var csrf = null, current = null, checkTimer = null, searchTimer = null;
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
    csrf = user.csrf;
    $("login").hidden = true;
    $("console").hidden = false;
    $("who").textContent = user.name + "（" + (user.role === "admin" ? "管理者" : "編集者") + "）";
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
  }

  var STATUS = { "new": "新規", "changed": "変更あり", "published": "公開中" };

  function loadDocuments() {
    var q = $("doc-search").value.trim();
    api("GET", "/admin/api/documents" + (q ? "?q=" + encodeURIComponent(q) : "")).then(function (j) {
      $("serving").textContent = "公開中の版: " + j.serving_release;
      var body = $("doc-body");
      body.textContent = "";
      j.documents.forEach(function (d) {
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
    $("edit-path").value = path;
    $("edit-path").readOnly = true;
    $("edit-text").value = text || "";
    $("editor").hidden = false;
    check();
    $("edit-text").focus();
  }

  function showProblems(list, problems) {
    var ul = $(list);
    ul.textContent = "";
    problems.forEach(function (p) {
      ul.appendChild(el("li", null, p.path + (p.line ? "（" + p.line + "行目）" : "") + ": " + p.message));
    });
    return problems.length;
  }

  /* kb check on every pause in typing. */
  function check() {
    var path = $("edit-path").value.trim();
    if (!path) return;
    api("POST", "/admin/api/check", { path: path, text: $("edit-text").value }).then(function (j) {
      var n = showProblems("edit-problems", j.problems);
      $("edit-state").textContent = n ? n + "件の問題があります（保存はできますが、公開できません）" : "問題はありません";
    }).catch(function (e) { $("edit-state").textContent = e.message; });
  }

  function save() {
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

  function newDocument(path, text) {
    current = null;
    $("edit-path").readOnly = false;
    $("edit-path").value = path || "faq/";
    $("edit-text").value = text || "";
    $("editor").hidden = false;
    $("edit-problems").textContent = "";
    $("edit-state").textContent = "";
    tab("documents");
    $("edit-path").focus();
  }

  /* An FAQ started from a question users asked. */
  function faqFrom(question) {
    var slug = "faq-" + Date.now().toString(36);
    var text = "+++\nid = \"" + slug + "\"\nkind = \"faq\"\ntitle = " + JSON.stringify(question) +
      "\nquestions = []\nsources = [\"\"]\n+++\n（回答を出典の文言どおりに書いてください）\n";
    newDocument("faq/" + slug + ".md", text);
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
      $("try-meta").textContent = "結果: " + a.outcome + " ／ 書き手: " + a.writer + " ／ 出典: " +
        (a.citations.map(function (c) { return c.title + (c.section ? "（" + c.section + "）" : ""); }).join("、") || "なし");
      var body = $("try-hits");
      body.textContent = "";
      j.hits.forEach(function (h) {
        var row = el("tr");
        [h.title + (h.section ? "（" + h.section + "）" : ""), h.kind, h.score.toFixed(2), Math.round(h.coverage * 100) + "%"].forEach(function (v) {
          row.appendChild(el("td", null, v));
        });
        body.appendChild(row);
      });
    }).catch(function (err) {
      $("try-answer").textContent = err.message + (err.detail ? "\n" + err.detail : "");
    });
  }

  function publish() {
    var note = $("publish-note").value.trim();
    $("publish-problems").textContent = "";
    say("公開しています…");
    api("POST", "/admin/api/publish", { note: note }).then(function (j) {
      say("版 " + j.release.id + " を公開しました。");
      $("publish-note").value = "";
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
        [String(r.id) + (r.id === j.serving_release ? "（公開中）" : ""), r.published_at, r.published_by, r.note].forEach(function (v) {
          row.appendChild(el("td", null, v));
        });
        var actions = el("td");
        var show = el("button", { type: "button" }, "差分");
        show.addEventListener("click", function () { showDiff(r.id); });
        actions.appendChild(show);
        if (r.id !== j.serving_release) {
          var back = el("button", { type: "button" }, "この版に戻す");
          back.addEventListener("click", function () {
            if (!window.confirm("版 " + r.id + " の内容を新しい版として公開しますか？")) return;
            api("POST", "/admin/api/releases/" + r.id + "/rollback", {}).then(function (k) {
              say("版 " + r.id + " に戻しました（版 " + k.release.id + "）。"); loadReleases();
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
        out.appendChild(el("h4", null, f.path + "（" + ({ added: "追加", removed: "削除", changed: "変更" }[f.change]) + "）"));
        out.appendChild(el("pre", { "class": "diff" }, f.diff));
      });
    }).catch(function (e) { say(e.message); });
  }

  function loadAudit() {
    api("GET", "/admin/api/audit").then(function (j) {
      var body = $("audit-body");
      body.textContent = "";
      j.entries.forEach(function (a) {
        var row = el("tr");
        [a.at, a.user_name, a.action, a.path || "", a.detail].forEach(function (v) { row.appendChild(el("td", null, v)); });
        body.appendChild(row);
      });
    }).catch(function (e) { say(e.message); });
  }

  var SVG = "http://www.w3.org/2000/svg";

  /* One bar per day of a rate (0–1); days without data are gaps. */
  function chart(id, days, key, label) {
    var box = $(id);
    box.textContent = "";
    box.appendChild(el("h3", null, label));
    var w = Math.max(days.length * 12, 120), h = 80;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + (h + 2));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    days.forEach(function (d, i) {
      var v = d[key];
      if (v == null) return;
      var bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", String(i * 12 + 1));
      bar.setAttribute("width", "10");
      bar.setAttribute("y", String(h - v * h));
      bar.setAttribute("height", String(Math.max(v * h, 1)));
      var title = document.createElementNS(SVG, "title");
      title.textContent = d.date + ": " + Math.round(v * 100) + "%";
      bar.appendChild(title);
      svg.appendChild(bar);
    });
    box.appendChild(svg);
  }

  function loadAnalytics() {
    var days = $("days").value;
    $("csv").href = "/admin/api/analytics.csv?days=" + days;
    api("GET", "/admin/api/analytics?days=" + days).then(function (j) {
      chart("chart-answer", j.days, "answer_rate", "回答率（日別）");
      chart("chart-handoff", j.days, "handoff_rate", "引き継ぎ率（日別）");
      chart("chart-up", j.days, "up_rate", "👍率（日別）");
      var body = $("unanswered-body");
      body.textContent = "";
      j.unanswered.forEach(function (g) {
        var row = el("tr");
        row.appendChild(el("td", null, String(g.count)));
        row.appendChild(el("td", null, "回答なし " + g.reasons.no_answer + " ／ 引き継ぎ " + g.reasons.handoff + " ／ 👎 " + g.reasons.down));
        row.appendChild(el("td", null, g.examples.join(" ／ ")));
        var make = el("button", { type: "button" }, "FAQを作る");
        make.addEventListener("click", function () { faqFrom(g.examples[0]); });
        var cell = el("td"); cell.appendChild(make); row.appendChild(cell);
        body.appendChild(row);
      });
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
    $("edit-text").addEventListener("input", function () { clearTimeout(checkTimer); checkTimer = setTimeout(check, 400); });
    $("save").addEventListener("click", save);
    $("remove").addEventListener("click", remove);
    $("new").addEventListener("click", function () { newDocument(); });
    $("try-form").addEventListener("submit", tryQuestion);
    $("import").addEventListener("click", importFile);
    $("publish").addEventListener("click", publish);
    $("days").addEventListener("change", loadAnalytics);
    $("logout").addEventListener("click", function () {
      api("POST", "/agent/api/logout", {}).then(showLogin).catch(showLogin);
    });
    api("GET", "/admin/api/me").then(showConsole).catch(function () { showLogin(); });
  });
})();
