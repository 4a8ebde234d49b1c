/* The desk's events: a ticket opened or changed, or a user wrote. The stream reconnects by
 * itself; on (re)connecting the queue is loaded again, so nothing missed stays missed. */
function listen() {
  if (stream || !window.EventSource) return;
  stream = new EventSource("/agent/api/events");
  stream.addEventListener("open", function () { refresh(); });
  /* A refused stream (the session ended) is not retried by the browser: ask who is signed
   * in (a 401 shows the sign-in form), and listen again a little later. */
  stream.addEventListener("error", function () {
    if (!stream || stream.readyState !== EventSource.CLOSED) return;
    stream = null;
    api("GET", "/me").then(function () { setTimeout(listen, 5000); }).catch(function () {});
  });
  stream.addEventListener("resync", function () { refresh(); });
  stream.addEventListener("ticket", function (m) {
    var e = JSON.parse(m.data);
    owner(e.ticket, e.claimed_by);
    changed(e);
  });
  stream.addEventListener("message", function (m) {
    var e = JSON.parse(m.data);
    if (me && e.claimed_by === me.name) userWrote(e.ticket);
    changed(e);
  });
}

function changed(e) {
  refreshQueue();
  if (current === e.ticket) load(current);
}

/* The user wrote in a conversation I own, or a ticket was handed to me: a sound, the
 * title, the status line and the row's mark, until I open that ticket (or look at it
 * when it is open); a notification too, once allowed. */
function alertMe(id, line, notice) {
  var looking = current === id && document.hasFocus() && !document.hidden;
  if (!looking) unread[id] = true;
  say(line);
  beep();
  showTitle();
  if (window.Notification && Notification.permission === "granted" && !looking) {
    new Notification("シカク: " + notice, { body: "問い合わせ #" + id });
  }
}

function userWrote(id) {
  alertMe(id, "#" + id + " の利用者から新しいメッセージがあります。", "利用者からの新しいメッセージ");
}

/* Keeps `mine` current; a ticket handed to me is announced as a user's message is. */
function owner(id, claimedBy) {
  if (!me || !mine) return;
  var was = !!mine[id], now = claimedBy === me.name;
  if (now) mine[id] = true; else delete mine[id];
  if (now && !was && !claiming[id]) handedToMe(id);
  delete claiming[id];
}

function loadMine() {
  api("GET", "/tickets?view=mine").then(function (j) {
    mine = {};
    j.tickets.forEach(function (t) { mine[t.id] = true; });
  }).catch(function () { /* the next event */ });
}

function handedToMe(id) {
  alertMe(id, "#" + id + " の問い合わせが引き継がれました。社内メモをご確認ください。", "問い合わせが引き継がれました");
}

function seen(id) {
  if (unread[id]) { delete unread[id]; showTitle(); }
}

function showTitle() {
  var n = Object.keys(unread).length;
  document.title = (n ? "(新着 " + n + ") " : "") + TITLE;
}

function beep() {
  try {
    var ctx = new (window.AudioContext || window.webkitAudioContext)();
    var osc = ctx.createOscillator();
    osc.connect(ctx.destination); osc.frequency.value = 880; osc.start(); osc.stop(ctx.currentTime + 0.2);
  } catch (e) { /* no audio */ }
}

function age(seconds) {
  if (seconds < 60) return seconds + "秒";
  if (seconds < 3600) return Math.floor(seconds / 60) + "分";
  return Math.floor(seconds / 3600) + "時間" + Math.floor((seconds % 3600) / 60) + "分";
}

/* Waiting longer than 5 minutes is amber, 15 minutes red. */
function sla(t) {
  if (t.status !== "waiting") return "";
  return t.age_seconds >= 900 ? "late" : t.age_seconds >= 300 ? "soon" : "ok";
}

function announce(count) {
  say("新しい問い合わせが " + count + " 件あります。");
  beep();
  if (window.Notification && Notification.permission === "granted") {
    new Notification("シカク: 新しい問い合わせ", { body: count + " 件が待っています" });
  }
}

function refresh() {
  refreshQueue();
  if (current != null) load(current);
}
