/* The agent console: sign in, the live queue, a ticket with its transcript and the bot's
 * sources, claim, reply, notes, labels, resolve, search, CSV. The desk's events are pushed
 * (/agent/api/events): nothing is polled. Everything from the server is set as text; every
 * change carries the session's CSRF token. */
(function () {
  "use strict";
  var csrf = null, me = null, view = "waiting", current = null, known = null, stream = null, ticker = null, canned = [];
  /* Tickets of mine where the user wrote since I last looked. */
  var unread = {};
  var TITLE = document.title;
  var $ = function (id) { return document.getElementById(id); };

  var el = shikakuConsole.el, japanTime = shikakuConsole.japanTime;
  var session = { get csrf() { return csrf; }, signedOut: function () { showLogin(); } };

  function api(method, path, body) { return shikakuConsole.api(session, method, "/agent/api" + path, body); }

  function say(text) { $("status").textContent = text; }

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
    refresh();
    listen();
    /* Waiting times move on by themselves: redrawn here, not fetched. */
    if (!ticker) ticker = setInterval(ages, 15000);
  }

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
    stream.addEventListener("ticket", function (m) { changed(JSON.parse(m.data)); });
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

  /* The user wrote in a conversation I own: a sound, the title, the status line and the
   * row's mark, until I open that ticket (or look at it when it is open). */
  function userWrote(id) {
    var looking = current === id && document.hasFocus() && !document.hidden;
    if (!looking) unread[id] = true;
    say("#" + id + " の利用者から新しいメッセージがあります。");
    beep();
    showTitle();
    if (window.Notification && Notification.permission === "granted" && !looking) {
      new Notification("シカク: 利用者からの新しいメッセージ", { body: "問い合わせ #" + id });
    }
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

  var PRIORITIES = { urgent: "緊急", high: "高", normal: "通常", low: "低" };

  function refreshQueue() {
    var q = $("search").value.trim();
    api("GET", "/tickets?view=" + view + (q ? "&q=" + encodeURIComponent(q) : "")).then(function (j) {
      var body = $("queue-body");
      body.textContent = "";
      j.tickets.forEach(function (t) {
        var row = el("tr", { "class": "sla-" + sla(t) + (unread[t.id] ? " unread" : ""), tabindex: "0", "data-id": String(t.id) });
        [String(t.id), t.facility_name || "—", t.facility_code || "—", reasonText(t.reason), statusText(t), age(t.age_seconds)]
          .forEach(function (v) { row.appendChild(el("td", null, v)); });
        row.lastChild.setAttribute("data-since", String(Date.now() - t.age_seconds * 1000));
        var name = row.children[1];
        if (unread[t.id]) name.insertBefore(el("span", { "class": "badge new" }, "新着"), name.firstChild);
        if (t.priority === "urgent" || t.priority === "high") {
          name.insertBefore(el("span", { "class": "badge p-" + t.priority }, PRIORITIES[t.priority]), name.firstChild);
        }
        /* A preview of what the user wrote last, under the facility's name; then the tags. */
        var preview = t.last_user_message || t.question;
        if (preview) name.appendChild(el("span", { "class": "preview" }, preview));
        if (t.tags.length) name.appendChild(el("span", { "class": "tags" }, t.tags.join("・")));
        row.addEventListener("click", function () { open(t.id); });
        row.addEventListener("keydown", function (e) { if (e.key === "Enter") open(t.id); });
        body.appendChild(row);
      });
      if (!j.tickets.length) {
        var empty = el("tr"); empty.appendChild(el("td", { colspan: "6" }, "該当する問い合わせはありません。")); body.appendChild(empty);
      }
      if (view === "waiting") {
        var ids = j.tickets.map(function (t) { return t.id; });
        if (known) {
          var fresh = ids.filter(function (id) { return known.indexOf(id) < 0; });
          if (fresh.length) announce(fresh.length);
        }
        known = ids;
      }
    }).catch(function (e) { if (e.status !== 401) say(e.message); });
  }

  function ages() {
    Array.prototype.forEach.call(document.querySelectorAll("#queue-body td[data-since]"), function (td) {
      td.textContent = age(Math.floor((Date.now() - Number(td.getAttribute("data-since"))) / 1000));
    });
  }

  var REASONS = { button: "担当者ボタン", requested_person: "担当者希望", own_case: "個別の手続き", repeated_failure: "回答できず" };
  function reasonText(r) { return REASONS[r] || r; }
  function statusText(t) {
    return t.status === "waiting" ? "待機中" : t.status === "agent" ? "対応中（" + (t.claimed_by || "") + "）" : "解決済み（" + (t.category || "") + "）";
  }

  function open(id) { current = id; shown = null; seen(id); load(id); refreshQueue(); }

  function load(id) {
    api("GET", "/tickets/" + id).then(render).catch(function (e) { say(e.message); });
  }

  /* The ticket pane is made of parts, each redrawn only when what it shows changed: the
   * refresh every few seconds never touches what the agent is typing in (the reply, the
   * note, the chosen category) nor the transcript they are reading. */
  var shown = null;

  function render(j) {
    var t = j.ticket, pane = $("detail");
    if (!shown || shown.id !== t.id) {
      pane.textContent = "";
      shown = { id: t.id, keys: {}, parts: {} };
      ["head", "info", "transcript", "sources", "actions", "labels", "earlier", "notes", "note-form"].forEach(function (name) {
        var part = el("div", { "class": "part-" + name });
        /* The transcript scrolls on its own: a region the keyboard can reach. */
        if (name === "transcript") { part.setAttribute("tabindex", "0"); part.setAttribute("role", "region"); part.setAttribute("aria-label", "会話の記録"); }
        shown.parts[name] = part;
        pane.appendChild(part);
      });
    }
    part("head", statusText(t), function (box) {
      box.appendChild(el("h2", null, "問い合わせ #" + t.id + "　" + statusText(t)));
    });
    var info = [["医療機関等の名称", t.facility_name], ["医療機関等コード", t.facility_code], ["連絡先", t.contact], ["お問い合わせ内容", t.question], ["経路", t.channel], ["受付", japanTime(t.created_at)]];
    part("info", info, function (box) {
      var dl = el("dl");
      info.forEach(function (p) { dl.appendChild(el("dt", null, p[0])); dl.appendChild(el("dd", null, p[1] || "（未入力）")); });
      box.appendChild(dl);
    });
    part("transcript", j.messages, function (box) { transcript(box, j.messages); });
    part("sources", j.sources, function (box) { sources(box, j.sources); });
    part("actions", [t.status, t.claimed_by, me.name], function (box) { actions(box, t); });
    part("labels", t.id, function (box) { labels(box, t); });
    if (shown.labels) shown.labels(t);
    part("earlier", j.earlier, function (box) { earlier(box, j.earlier); });
    part("notes", j.notes, function (box) {
      box.appendChild(el("h3", null, "社内メモ（利用者には見えません）"));
      var notes = el("ul", { "class": "notes" });
      j.notes.forEach(function (n) { notes.appendChild(el("li", null, n.author + ": " + n.text)); });
      box.appendChild(notes);
    });
    part("note-form", t.id, function (box) { noteForm(box, t); });
  }

  /* Redraws part `name` with `draw` when `data` differs from what it shows. */
  function part(name, data, draw) {
    var key = JSON.stringify(data);
    if (shown.keys[name] === key) return;
    shown.keys[name] = key;
    var box = shown.parts[name];
    box.textContent = "";
    draw(box);
  }

  function transcript(box, messages) {
    box.appendChild(el("h3", null, "会話の記録"));
    var log = el("ol", { "class": "transcript" });
    var who = { user: "利用者", assistant: "シカク", agent: "担当者", system: "案内" };
    messages.forEach(function (m) {
      var li = el("li", { "class": "m-" + m.role });
      li.appendChild(el("span", { "class": "who" }, who[m.role] || m.role));
      li.appendChild(el("time", { datetime: m.created_at }, japanTime(m.created_at)));
      if (m.feedback) {
        li.appendChild(el("span", { "class": "rating" }, m.feedback === "up" ? "👍 役に立った" : "👎 役に立たなかった"));
      }
      if (m.feedback_comment) li.appendChild(el("span", { "class": "comment" }, "利用者のコメント: " + m.feedback_comment));
      if (m.understood_as) {
        li.appendChild(el("span", { "class": "understood" }, "（シカクが理解した質問: " + m.understood_as + "）"));
      }
      li.appendChild(el("span", { "class": "body" }, m.text));
      log.appendChild(li);
    });
    box.appendChild(log);
    /* The newest message in view. */
    box.scrollTop = box.scrollHeight;
  }

  function sources(box, list) {
    if (!list.length) return;
    box.appendChild(el("h3", null, "シカクが示した出典"));
    var ul = el("ul");
    list.forEach(function (c) {
      var li = el("li");
      li.appendChild(el("a", { href: "/kb/" + encodeURIComponent(c.doc_id) + (c.section_id ? "#" + encodeURIComponent(c.section_id) : ""), target: "_blank", rel: "noopener" }, c.title + (c.section ? "「" + c.section + "」" : "")));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function actions(box, t) {
    box.className = "part-actions actions";
    if (t.status === "waiting") {
      var claim = el("button", { type: "button", id: "claim", "aria-keyshortcuts": "Alt+C", title: "Alt+C" }, "この問い合わせに対応する");
      claim.addEventListener("click", function () {
        api("POST", "/tickets/" + t.id + "/claim").then(function () { say("対応中にしました。"); refresh(); }).catch(function (e) { say(e.message); refresh(); });
      });
      box.appendChild(claim);
    }
    if (t.status === "agent" && t.claimed_by === me.name) {
      var text = el("textarea", { id: "reply-text", "aria-label": "利用者への返信", rows: "3", "aria-describedby": "keys" });
      var send = el("button", { type: "button", id: "reply-send", "aria-keyshortcuts": "Control+Enter" }, "返信する");
      text.addEventListener("focus", function () { seen(t.id); refreshQueue(); });
      send.addEventListener("click", function () {
        if (!text.value.trim()) return;
        api("POST", "/tickets/" + t.id + "/reply", { text: text.value }).then(function (m) {
          text.value = "";
          // On LINE or Telegram the reply is pushed: say if it did not arrive.
          var d = m && m.delivery;
          say(d && !d.delivered ? "返信は記録しましたが、" + t.channel + " に届けられませんでした（" + d.error + "）。お電話などでご連絡ください。" : "返信しました。");
          load(t.id);
        }).catch(function (e) { say(e.message); });
      });
      var category = el("select", { id: "category", "aria-label": "分類" });
      ["申込み・締切", "補助金", "申請書の記入", "機器・導入", "その他"].forEach(function (c) { category.appendChild(el("option", { value: c }, c)); });
      var done = el("button", { type: "button", id: "resolve", "aria-keyshortcuts": "Alt+R" }, "解決にする");
      done.addEventListener("click", function () {
        api("POST", "/tickets/" + t.id + "/resolve", { category: category.value }).then(function () { say("解決にしました。"); refresh(); }).catch(function (e) { say(e.message); });
      });
      if (canned.length) box.appendChild(cannedPicker(text));
      box.appendChild(text);
      box.appendChild(el("p", { id: "keys", "class": "keys" }, "Ctrl+Enter で送信、Alt+R で解決、Alt+C で対応開始"));
      box.appendChild(send);
      var row = el("div", { "class": "resolve" }); row.appendChild(category); row.appendChild(done);
      box.appendChild(row);
      handOn(box, t);
    }
    if (t.status === "resolved") {
      var reopen = el("button", { type: "button", id: "reopen" }, "対応を再開する");
      reopen.addEventListener("click", function () {
        api("POST", "/tickets/" + t.id + "/reopen").then(function () { say("再開しました（待機中）。"); refresh(); }).catch(function (e) { say(e.message); });
      });
      box.appendChild(reopen);
    }
  }

  /* Priority and tags: drawn once per ticket; what another agent sets shows, unless I am
   * editing them. */
  function labels(box, t) {
    box.appendChild(el("h3", null, "優先度とタグ"));
    var row = el("div", { "class": "resolve" });
    var priority = el("select", { id: "priority", "aria-label": "優先度" });
    ["urgent", "high", "normal", "low"].forEach(function (p) { priority.appendChild(el("option", { value: p }, PRIORITIES[p])); });
    var tags = el("input", { id: "tags", "aria-label": "タグ（空白で区切る）", placeholder: "タグ（空白で区切る）" });
    var save = el("button", { type: "button", id: "labels-save" }, "保存");
    save.addEventListener("click", function () {
      var list = tags.value.split(/[\s,、]+/).filter(Boolean);
      api("PUT", "/tickets/" + t.id + "/labels", { priority: priority.value, tags: list }).then(function (j) {
        tags.value = j.tags.join(" ");
        say("優先度とタグを保存しました。");
      }).catch(function (e) { say(e.message); });
    });
    row.appendChild(priority); row.appendChild(tags); row.appendChild(save);
    box.appendChild(row);
    shown.labels = function (now) {
      if (box.contains(document.activeElement)) return;
      priority.value = now.priority; tags.value = now.tags.join(" ");
    };
  }

  /* The clinic's other tickets (same 医療機関等コード): each opens in the pane. */
  function earlier(box, list) {
    if (!list || !list.length) return;
    box.appendChild(el("h3", null, "この医療機関等の過去の問い合わせ"));
    var ul = el("ul", { "class": "earlier" });
    list.forEach(function (e) {
      var li = el("li");
      var link = el("button", { type: "button", "class": "link" }, "#" + e.id + "　" + japanTime(e.created_at) + "　" + statusText(e));
      link.addEventListener("click", function () { open(e.id); });
      li.appendChild(link);
      var about = e.question || e.last_user_message;
      if (about) li.appendChild(el("span", { "class": "preview" }, about));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  /* Hand the ticket to another agent or admin, or give it back to the queue. */
  function handOn(box, t) {
    var row = el("div", { "class": "resolve" });
    var to = el("select", { id: "transfer-to", "aria-label": "引き継ぐ担当者" });
    var hand = el("button", { type: "button", id: "transfer" }, "引き継ぐ");
    var release = el("button", { type: "button", id: "release" }, "担当を外す");
    api("GET", "/agents").then(function (j) {
      j.agents.filter(function (n) { return n !== me.name; }).forEach(function (n) { to.appendChild(el("option", { value: n }, n)); });
      hand.disabled = !to.options.length;
    }).catch(function (e) { say(e.message); });
    hand.addEventListener("click", function () {
      if (!to.value) return;
      api("POST", "/tickets/" + t.id + "/transfer", { to: to.value }).then(function () { say(to.value + " さんに引き継ぎました。"); refresh(); }).catch(function (e) { say(e.message); });
    });
    release.addEventListener("click", function () {
      api("POST", "/tickets/" + t.id + "/release").then(function () { say("待機中に戻しました。"); refresh(); }).catch(function (e) { say(e.message); });
    });
    row.appendChild(to); row.appendChild(hand); row.appendChild(release);
    box.appendChild(row);
  }

  /* Saved replies: every agent inserts them (the list, or /shortcut then Tab in the reply);
   * admins keep them in 「定型文の管理」. */
  function loadCanned() {
    api("GET", "/canned").then(function (j) {
      canned = j.canned;
      var list = $("canned-list");
      list.textContent = "";
      canned.forEach(function (c) {
        var li = el("li", null, "/" + c.shortcut + "　" + c.title + "　");
        var remove = el("button", { type: "button", "aria-label": "/" + c.shortcut + " を削除" }, "削除");
        remove.addEventListener("click", function () {
          api("DELETE", "/canned/" + encodeURIComponent(c.shortcut)).then(function () { say("削除しました。"); loadCanned(); }).catch(function (e) { say(e.message); });
        });
        li.appendChild(remove);
        list.appendChild(li);
      });
      /* The open ticket gets the new list, unless the agent is typing a reply. */
      var typing = $("reply-text") && $("reply-text").value;
      if (shown && !typing) { shown.keys.actions = null; if (current != null) load(current); }
    }).catch(function (e) { if (e.status !== 401) say(e.message); });
  }

  /* Puts `text` into the reply box where the cursor is (replacing `from`–cursor). */
  function insert(box, text, from) {
    var at = box.selectionStart, start = from == null ? at : from;
    box.value = box.value.slice(0, start) + text + box.value.slice(box.selectionEnd);
    box.selectionStart = box.selectionEnd = start + text.length;
    box.focus();
  }

  function cannedPicker(box) {
    var pick = el("select", { id: "canned-pick", "aria-label": "定型文を挿入" });
    pick.appendChild(el("option", { value: "" }, "定型文を挿入…"));
    canned.forEach(function (c) { pick.appendChild(el("option", { value: c.shortcut }, "/" + c.shortcut + "　" + c.title)); });
    pick.addEventListener("change", function () {
      var c = canned.filter(function (x) { return x.shortcut === pick.value; })[0];
      if (c) insert(box, c.text);
      pick.value = "";
    });
    box.addEventListener("keydown", function (e) {
      if (e.key !== "Tab" || e.shiftKey || e.isComposing) return;
      var before = box.value.slice(0, box.selectionStart);
      var m = /(^|\s)\/([a-z0-9_-]+)$/.exec(before);
      var c = m && canned.filter(function (x) { return x.shortcut === m[2]; })[0];
      if (!c) return;
      e.preventDefault();
      insert(box, c.text, before.length - m[2].length - 1);
    });
    return pick;
  }

  function noteForm(box, t) {
    var noteText = el("input", { id: "note-text", "aria-label": "社内メモ" });
    var addNote = el("button", { type: "button" }, "メモを残す");
    addNote.addEventListener("click", function () {
      if (!noteText.value.trim()) return;
      api("POST", "/tickets/" + t.id + "/notes", { text: noteText.value }).then(function () { noteText.value = ""; load(t.id); }).catch(function (e) { say(e.message); });
    });
    box.appendChild(noteText); box.appendChild(addNote);
  }

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    api("POST", "/login", { name: $("login-name").value, password: $("login-password").value })
      .then(function (user) { $("login-password").value = ""; $("login-error").textContent = ""; showConsole(user); })
      .catch(function (err) { $("login-error").textContent = err.message; });
  });
  $("logout").addEventListener("click", function () {
    api("POST", "/logout").then(showLogin).catch(showLogin);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (b) {
    b.addEventListener("click", function () {
      view = b.getAttribute("data-view");
      Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (x) { x.setAttribute("aria-pressed", String(x === b)); });
      refresh();
    });
  });
  $("search").addEventListener("input", function () { refresh(); });
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
})();
