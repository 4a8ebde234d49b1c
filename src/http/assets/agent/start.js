/* The search runs once typing pauses, never on an input method's unfinished text
 * (「さくら」 typed in kana is one search, not six). */
var searching = null;
function searchSoon(e) {
  if (e.isComposing) return;
  clearTimeout(searching);
  searching = setTimeout(refresh, 300);
}
$("search").addEventListener("input", searchSoon);
$("search").addEventListener("compositionend", searchSoon);
$("csv").addEventListener("click", function () {
  var q = $("search").value.trim();
  location.href = "/agent/api/tickets.csv?view=" + view + (q ? "&q=" + encodeURIComponent(q) : "");
});
$("canned-form").addEventListener("submit", function (e) {
  e.preventDefault();
  var shortcut = $("canned-shortcut").value.trim();
  api("PUT", "/canned/" + encodeURIComponent(shortcut), { title: $("canned-title").value, text: $("canned-text").value })
    .then(function () {
      say("定型文 /" + shortcut + " を保存しました。");
      $("canned-shortcut").value = ""; $("canned-title").value = ""; $("canned-text").value = "";
      loadCanned();
    })
    .catch(function (err) { say(err.message); });
});
/* Shortcuts: Alt+C claims the open ticket, Alt+R resolves it, Ctrl+Enter (⌘+Enter) in the
 * reply sends it. Never while an input method is composing. */
document.addEventListener("keydown", function (e) {
  if (e.isComposing || !me) return;
  var alt = e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey, id = null;
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target.id === "reply-text") id = "reply-send";
  else if (alt && e.code === "KeyC") id = "claim";
  else if (alt && e.code === "KeyR") id = "resolve";
  var button = id && $(id);
  if (!button) return;
  e.preventDefault();
  button.click();
});
window.addEventListener("focus", function () { if (current != null && unread[current]) { seen(current); refreshQueue(); } });
$("notify").addEventListener("click", function () { if (window.Notification) Notification.requestPermission(); });

fetch("/agent/api/me", { credentials: "same-origin" })
  .then(function (r) { return r.ok ? r.json() : null; })
  .then(function (user) { if (user) showConsole(user); else showLogin(); })
  .catch(showLogin);
