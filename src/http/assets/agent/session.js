/* The agent console: sign in, the live queue, a ticket with its transcript and the bot's
 * sources, claim, reply, notes, labels, resolve, search, CSV. The desk's events are pushed
 * (/agent/api/events): nothing is polled. Everything from the server is set as text; every
 * change carries the session's CSRF token. */

var csrf = null, me = null, view = "waiting", current = null, known = null, stream = null, ticker = null, canned = [];
/* Tickets of mine where the user wrote since I last looked. */
var unread = {};
/* Tickets I own (null until the desk is first read), and the ones I am claiming: a
 * ticket that becomes mine otherwise was handed to me. */
var mine = null, claiming = {};
var TITLE = document.title;
var $ = function (id) { return document.getElementById(id); };

var el = shikakuConsole.el, japanTime = shikakuConsole.japanTime;
var session = { get csrf() { return csrf; }, signedOut: function () { showLogin(); } };

function api(method, path, body) { return shikakuConsole.api(session, method, "/agent/api" + path, body); }

/* The status line says what just happened, then clears: it never stays over the bar. */
var said = null;
function say(text) {
  $("status").textContent = text;
  clearTimeout(said);
  said = setTimeout(function () { $("status").textContent = ""; }, 8000);
}

function showLogin() {
  csrf = null; me = null;
  if (stream) { stream.close(); stream = null; }
  if (ticker) { clearInterval(ticker); ticker = null; }
  $("login").hidden = false;
  $("console").hidden = true;
  $("login-name").focus();
}

function showConsole(user) {
  me = user; csrf = user.csrf;
  $("login").hidden = true;
  $("console").hidden = false;
  $("who").textContent = user.name + "（" + (user.role === "admin" ? "管理者" : "担当者") + "）";
  $("canned-admin").hidden = user.role !== "admin";
  loadCanned();
  loadMine();
  refresh();
  listen();
  /* Waiting times move on by themselves: redrawn here, not fetched. */
  if (!ticker) ticker = setInterval(ages, 15000);
}
