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
