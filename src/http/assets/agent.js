/* The agent console: sign in, the live queue, a ticket with its transcript and the bot's
 * sources, claim, reply, notes, labels, resolve, search, CSV. The desk's events are pushed
 * (/agent/api/events): nothing is polled. Everything from the server is set as text; every
 * change carries the session's CSRF token. */
(function () {
  "use strict";
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

  var PRIORITIES = { urgent: "緊急", high: "高", normal: "通常", low: "低" };

  function refreshQueue() {
    var q = $("search").value.trim();
    api("GET", "/tickets?view=" + view + (q ? "&q=" + encodeURIComponent(q) : "")).then(function (j) {
      counts(j.counts);
      var body = $("queue-body");
      body.textContent = "";
      j.tickets.forEach(function (t) {
        /* Three columns, whatever the width: the number; the clinic, its code, the reason,
         * a preview and the tags; the state and how long it has waited (never cut off). */
        var row = el("tr", { "class": "sla-" + sla(t) + (unread[t.id] ? " unread" : ""), tabindex: "0", "data-id": String(t.id) });
        row.appendChild(el("td", null, String(t.id)));
        var name = el("td");
        if (t.priority === "urgent" || t.priority === "high") name.appendChild(el("span", { "class": "badge p-" + t.priority }, PRIORITIES[t.priority]));
        if (unread[t.id]) name.appendChild(el("span", { "class": "badge new" }, "新着"));
        name.appendChild(el("span", { "class": "facility" }, t.facility_name || "—"));
        name.appendChild(el("span", { "class": "about" }, (t.facility_code || "コード未入力") + "・" + reasonText(t.reason)));
        row.appendChild(name);
        var state = el("td", { "class": "state" });
        state.appendChild(el("span", null, statusText(t)));
        state.appendChild(el("span", { "class": "age", "data-since": String(Date.now() - t.age_seconds * 1000) }, age(t.age_seconds)));
        row.appendChild(state);
        /* A preview of the inquiry typed in the form (else what the user wrote last); then the tags. */
        var preview = t.question || t.last_user_message;
        if (preview) name.appendChild(el("span", { "class": "preview" }, preview));
        if (t.tags.length) name.appendChild(el("span", { "class": "tags" }, t.tags.join("・")));
        row.addEventListener("click", function () { open(t.id); });
        row.addEventListener("keydown", function (e) { if (e.key === "Enter") open(t.id); });
        body.appendChild(row);
      });
      if (!j.tickets.length) {
        var empty = el("tr"); empty.appendChild(el("td", { colspan: "3" }, "該当する問い合わせはありません。")); body.appendChild(empty);
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

  /* 「待機中 3」「自分の担当 1」 on the view buttons. */
  var VIEW_NAMES = { waiting: "待機中", mine: "自分の担当" };
  function counts(c) {
    Object.keys(VIEW_NAMES).forEach(function (name) {
      var button = document.querySelector("[data-view=" + name + "]");
      button.textContent = VIEW_NAMES[name] + " " + c[name];
    });
  }

  function ages() {
    Array.prototype.forEach.call(document.querySelectorAll("#queue-body [data-since]"), function (td) {
      td.textContent = age(Math.floor((Date.now() - Number(td.getAttribute("data-since"))) / 1000));
    });
  }

  var REASONS = { button: "担当者ボタン", requested_person: "担当者希望", own_case: "個別の手続き", repeated_failure: "回答できず" };
  function reasonText(r) { return REASONS[r] || r; }
  function statusText(t) {
    if (t.status === "waiting") return "待機中";
    if (t.status === "agent") return "対応中（" + (t.claimed_by || "") + "）";
    /* How the user rated the person's help, once they did. */
    var rated = t.help_rating === "up" ? " 👍" : t.help_rating === "down" ? " 👎" : "";
    return "解決済み（" + (t.category || "") + "）" + rated;
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
      /* Two columns on a wide screen: the conversation with the reply box under it, and
       * beside it what is known of the user and the ticket. However long that is, it never
       * pushes the reply box out of the window. */
      var columns = { main: el("div", { "class": "col-main" }), side: el("div", { "class": "col-side" }) };
      [["head", null], ["transcript", "main"], ["actions", "main"], ["info", "side"], ["labels", "side"], ["earlier", "side"],
        ["notes", "side"], ["note-form", "side"], ["sources", "side"]].forEach(function (p) {
        var name = p[0], part = el("div", { "class": "part-" + name });
        /* The transcript scrolls on its own: a region the keyboard can reach. */
        if (name === "transcript") { part.setAttribute("tabindex", "0"); part.setAttribute("role", "region"); part.setAttribute("aria-label", "会話の記録"); }
        shown.parts[name] = part;
        (p[1] ? columns[p[1]] : pane).appendChild(part);
      });
      pane.appendChild(columns.main);
      pane.appendChild(columns.side);
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
      j.notes.forEach(function (n) {
        var li = el("li");
        li.appendChild(el("time", { datetime: n.created_at }, japanTime(n.created_at)));
        li.appendChild(document.createTextNode("　" + n.author + ": " + n.text));
        notes.appendChild(li);
      });
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
        var verdict = m.feedback === "up" ? "👍 役に立った" : "👎 役に立たなかった";
        /* On the notice that the ticket was resolved, the rating is of the person's help. */
        li.appendChild(el("span", { "class": "rating" }, (m.closes_ticket != null ? "担当者の対応への評価: " : "") + verdict));
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

  /* Last, and folded: the agent needs the earlier tickets and the notes first. */
  function sources(box, list) {
    if (!list.length) return;
    var fold = box.appendChild(el("details"));
    fold.appendChild(el("summary", null, "シカクが示した出典（" + list.length + "件）"));
    box = fold;
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
      var claim = el("button", { type: "button", id: "claim", "class": "primary", "aria-keyshortcuts": "Alt+C", title: "Alt+C" }, "この問い合わせに対応する");
      claim.addEventListener("click", function () {
        claiming[t.id] = true;
        api("POST", "/tickets/" + t.id + "/claim").then(function () { say("対応中にしました。"); refresh(); }).catch(function (e) { delete claiming[t.id]; say(e.message); refresh(); });
      });
      box.appendChild(claim);
    }
    if (t.status === "agent" && t.claimed_by === me.name) {
      var text = el("textarea", { id: "reply-text", "aria-label": "利用者への返信", rows: "3", "aria-describedby": "keys" });
      var send = el("button", { type: "button", id: "reply-send", "class": "primary", "aria-keyshortcuts": "Control+Enter" }, "返信する");
      text.value = draft(t.id);
      text.addEventListener("focus", function () { seen(t.id); refreshQueue(); });
      text.addEventListener("input", function () { keepDraft(t.id, text.value); grow(text); });
      send.addEventListener("click", function () {
        if (!text.value.trim()) return;
        api("POST", "/tickets/" + t.id + "/reply", { text: text.value }).then(function (m) {
          text.value = "";
          keepDraft(t.id, "");
          grow(text);
          // On LINE or Telegram the reply is pushed: say if it did not arrive.
          var d = m && m.delivery;
          say(d && !d.delivered ? "返信は記録しましたが、" + t.channel + " に届けられませんでした（" + d.error + "）。お電話などでご連絡ください。" : "返信しました。");
          load(t.id);
        }).catch(function (e) { say(e.message); });
      });
      /* No category is chosen for the agent: a ticket filed under the wrong one skews the
       * figures more than one asked for. */
      var category = el("select", { id: "category", "aria-label": "分類" });
      category.appendChild(el("option", { value: "" }, "分類を選んでください"));
      ["申込み・締切", "補助金", "申請書の記入", "機器・導入", "その他"].forEach(function (c) { category.appendChild(el("option", { value: c }, c)); });
      var done = el("button", { type: "button", id: "resolve", "aria-keyshortcuts": "Alt+R" }, "解決にする");
      var next = el("button", { type: "button", id: "resolve-next" }, "解決して次へ");
      var resolve = function (thenNext) {
        if (!category.value) { say("解決にする前に分類を選んでください。"); category.focus(); return; }
        api("POST", "/tickets/" + t.id + "/resolve", { category: category.value }).then(function () {
          keepDraft(t.id, "");
          say("解決にしました。");
          if (thenNext) openNextWaiting(); else refresh();
        }).catch(function (e) { say(e.message); });
      };
      done.addEventListener("click", function () { resolve(false); });
      next.addEventListener("click", function () { resolve(true); });
      if (canned.length) box.appendChild(cannedPicker(text));
      /* The composer stays at the bottom of the window, its send button always in view. */
      var composer = el("div", { "class": "composer" });
      composer.appendChild(text);
      var sendRow = el("div", { "class": "send-row" });
      sendRow.appendChild(el("p", { id: "keys", "class": "keys" }, "Ctrl+Enter で送信、Alt+R で解決、Alt+C で対応開始"));
      sendRow.appendChild(send);
      composer.appendChild(sendRow);
      box.appendChild(composer);
      grow(text);
      var row = el("div", { "class": "resolve" }); row.appendChild(category); row.appendChild(done); row.appendChild(next);
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

  /* A reply being written is kept per ticket, in this browser, across switching tickets
   * and reloads, until it is sent or the ticket resolved. A 12-digit number is never kept. */
  function draftKey(id) { return "shikaku.agent.draft." + me.name + "." + id; }
  function draft(id) {
    try { return localStorage.getItem(draftKey(id)) || ""; } catch (e) { return ""; }
  }
  function keepDraft(id, text) {
    try {
      if (text.trim()) localStorage.setItem(draftKey(id), text.replace(/\d{12}/g, "［番号削除］"));
      else localStorage.removeItem(draftKey(id));
    } catch (e) { /* storage blocked: the box keeps it while the ticket is open */ }
  }

  /* The reply box grows with its text, up to about twelve lines. */
  function grow(box) {
    box.style.height = "auto";
    box.style.height = Math.min(box.scrollHeight + 2, 300) + "px";
  }

  /* After 「解決して次へ」: the oldest waiting ticket, or the empty pane when none waits. */
  function openNextWaiting() {
    api("GET", "/tickets?view=waiting").then(function (j) {
      var waiting = j.tickets.slice().sort(function (a, b) { return b.age_seconds - a.age_seconds; });
      if (waiting.length) { open(waiting[0].id); return; }
      current = null; shown = null;
      $("detail").textContent = "";
      $("detail").appendChild(el("p", null, "待機中の問い合わせはありません。"));
      refresh();
    }).catch(function (e) { say(e.message); });
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
    var note = el("input", { id: "transfer-note", "aria-label": "引き継ぎメモ（任意）", placeholder: "引き継ぎメモ（任意）", maxlength: "2000" });
    var hand = el("button", { type: "button", id: "transfer" }, "引き継ぐ");
    var release = el("button", { type: "button", id: "release" }, "担当を外す");
    api("GET", "/agents").then(function (j) {
      j.agents.filter(function (n) { return n !== me.name; }).forEach(function (n) { to.appendChild(el("option", { value: n }, n)); });
      hand.disabled = !to.options.length;
    }).catch(function (e) { say(e.message); });
    hand.addEventListener("click", function () {
      if (!to.value) return;
      var body = { to: to.value };
      if (note.value.trim()) body.note = note.value.trim();
      api("POST", "/tickets/" + t.id + "/transfer", body).then(function () { say(to.value + " さんに引き継ぎました。"); refresh(); }).catch(function (e) { say(e.message); });
    });
    release.addEventListener("click", function () {
      api("POST", "/tickets/" + t.id + "/release").then(function () { say("待機中に戻しました。"); refresh(); }).catch(function (e) { say(e.message); });
    });
    row.appendChild(to); row.appendChild(note); row.appendChild(hand); row.appendChild(release);
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
})();
