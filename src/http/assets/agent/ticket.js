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
