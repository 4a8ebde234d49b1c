/* The editor console: sign in; documents (search, edit an FAQ in a form or any file as
 * text, with kb check's problems as you type, save, delete, new); try a question on the
 * drafts; publish; releases with diffs and rollback; the audit log; what users could not
 * get answered (a chart, groups, 👎 answers, CSV, an FAQ started from a question or an
 * answer). Everything from the server is set as text; every change carries the session's
 * CSRF token. */

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
