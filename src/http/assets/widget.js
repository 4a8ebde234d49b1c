/* Shikaku chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" defer
 *           data-title="…" data-position="right|left" data-color="#00467f"
 *           data-greeting="…" data-suggestions="質問1|質問2"></script>
 * No framework, no globals but one custom element. It lives in a Shadow DOM, so the
 * portal's CSS and the widget's cannot affect each other. Every text from the user or
 * the server is set as text; links come only from citations, built here. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || customElements.get("shikaku-chat")) return;
  var base = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var opts = {
    title: data.title || "シカク",
    position: data.position === "left" ? "left" : "right",
    color: /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : "#00467f",
    greeting: data.greeting || "オンライン資格確認についてのご質問にお答えします。",
    suggestions: (data.suggestions || "").split("|").map(function (s) { return s.trim(); }).filter(Boolean).slice(0, 5)
  };
  var SESSION_KEY = "shikaku.session";
  var FIELDS = [
    ["facility_name", "医療機関等の名称（任意）", "input"],
    ["facility_code", "医療機関等コード・7桁（任意）", "input"],
    ["contact", "ご連絡先の電話番号またはメールアドレス（任意）", "input"],
    ["question", "お問い合わせ内容（任意）", "textarea"]
  ];

  var css =
    ":host{all:initial;font-family:'Hiragino Kaku Gothic ProN','Noto Sans JP','Yu Gothic',Meiryo,sans-serif;--c:" + opts.color + "}" +
    "*{box-sizing:border-box}" +
    ".bubble{position:fixed;bottom:20px;" + opts.position + ":20px;width:60px;height:60px;border-radius:50%;border:0;background:var(--c);color:#fff;font-size:28px;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.3);z-index:2147483000}" +
    ".bubble:focus-visible,button:focus-visible,a:focus-visible,textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}" +
    ".panel{position:fixed;bottom:92px;" + opts.position + ":20px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;color:#1f2933;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.3);overflow:hidden;z-index:2147483000;font-size:15px;line-height:1.7}" +
    ".panel[hidden]{display:none}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:var(--c);color:#fff}" +
    "header h2{margin:0;font-size:16px}" +
    "header button{background:transparent;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}" +
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f4f6f8}" +
    ".msg{max-width:88%;margin:6px 0;padding:8px 12px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}" +
    ".user{margin-left:auto;background:var(--c);color:#fff}" +
    ".bot{background:#fff;border:1px solid #d0dae3}" +
    ".typing{display:inline-flex;gap:5px;align-items:center;height:1.7em}" +
    ".typing .dot{width:7px;height:7px;border-radius:50%;background:#7b8794;animation:typing 1.2s ease-in-out infinite}" +
    ".typing .dot+.dot{animation-delay:.2s}.typing .dot+.dot+.dot{animation-delay:.4s}" +
    "@keyframes typing{0%,80%,100%{opacity:.3;transform:none}40%{opacity:1;transform:translateY(-3px)}}" +
    "@media (prefers-reduced-motion:reduce){.typing .dot{animation:none;opacity:.6}}" +
    ".bot.error{border-color:#c0392b;background:#fdecea}" +
    ".cites{margin:6px 0 0;padding:6px 0 0;border-top:1px dashed #d0dae3;font-size:13px;list-style:none}" +
    ".cites a{color:#0b5cad}" +
    ".fb{margin-top:6px;display:flex;gap:6px;align-items:center;font-size:13px;color:#52606d;flex-wrap:wrap}" +
    ".fb button{border:1px solid #d0dae3;background:#fff;border-radius:14px;padding:2px 10px;cursor:pointer;font-size:14px}" +
    ".fb button[aria-pressed=true]{background:#e3f0fb;border-color:var(--c)}" +
    ".fb textarea{width:100%;min-height:48px;font:inherit;font-size:13px}" +
    ".chips{display:flex;gap:6px;padding:8px 12px;overflow-x:auto;background:#f4f6f8;scrollbar-width:thin}" +
    ".chips button{flex:none;border:1px solid var(--c);color:var(--c);background:#fff;border-radius:16px;padding:4px 10px;font:inherit;font-size:13px;cursor:pointer}" +
    ".compose{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #d0dae3;background:#fff}" +
    ".compose textarea{flex:1;resize:none;height:44px;padding:8px;font:inherit;border:1px solid #9aa5b1;border-radius:8px}" +
    ".compose button{border:0;background:var(--c);color:#fff;border-radius:8px;padding:0 14px;font:inherit;cursor:pointer}" +
    ".compose button:disabled{opacity:.5;cursor:default}" +
    ".handoff{border:0;background:#fff;color:var(--c);font:inherit;font-size:13px;text-decoration:underline;cursor:pointer;padding:4px 12px 8px;text-align:left}" +
    ".system{margin:8px auto;max-width:94%;background:#fff8e1;border:1px solid #ffd166;font-size:14px}" +
    ".agent{background:#e3f0fb;border:1px solid var(--c)}" +
    ".agent .who{display:block;font-size:12px;font-weight:700;color:var(--c)}" +
    ".note{margin:2px 0 6px auto;max-width:88%;font-size:12px;color:#52606d;text-align:right}" +
    ".handoff-form{margin:6px 0;padding:10px 12px;background:#fff;border:1px solid var(--c);border-radius:10px;font-size:14px}" +
    ".handoff-form p{margin:0 0 6px}" +
    ".handoff-form label{display:block;margin:6px 0 2px;font-size:13px}" +
    ".handoff-form input,.handoff-form textarea{width:100%;padding:6px;font:inherit;border:1px solid #9aa5b1;border-radius:6px}" +
    ".handoff-form .err{color:#c0392b;font-size:12px;margin:2px 0 0}" +
    ".handoff-form .row{display:flex;gap:8px;margin-top:10px}" +
    ".handoff-form .row button{border:0;border-radius:8px;padding:6px 14px;font:inherit;cursor:pointer}" +
    ".handoff-form .row .primary{background:var(--c);color:#fff}" +
    ".handoff-form .row .secondary{background:#e4e9ee;color:#1f2933}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
    "@media (max-width:480px){.panel{inset:0;width:100vw;max-width:none;height:100%;max-height:none;border-radius:0}.bubble{bottom:12px;" + opts.position + ":12px}}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function Chat(root) {
    this.root = root;
    this.session = null;
    try { this.session = localStorage.getItem(SESSION_KEY); } catch (e) { /* storage blocked */ }
    this.busy = false;
    this.build();
    this.restore();
  }

  Chat.prototype.build = function () {
    var self = this;
    this.root.appendChild(el("style", null, css));
    this.bubble = el("button", { "class": "bubble", "aria-label": opts.title + "を開く", "aria-expanded": "false", "aria-controls": "panel" }, "💬");
    this.panel = el("section", { "class": "panel", id: "panel", role: "dialog", "aria-label": opts.title, hidden: "" });
    var header = el("header");
    header.appendChild(el("h2", null, opts.title));
    var close = el("button", { "aria-label": "閉じる", "class": "close" }, "×");
    header.appendChild(close);
    this.log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
    this.status = el("div", { "class": "sr", role: "status", "aria-live": "polite" });
    this.chips = el("div", { "class": "chips", "aria-label": "質問の例" });
    opts.suggestions.forEach(function (q) {
      var chip = el("button", { type: "button" }, q);
      chip.addEventListener("click", function () { self.send(q); });
      self.chips.appendChild(chip);
    });
    this.form = el("form", { "class": "compose" });
    this.input = el("textarea", { "aria-label": "ご質問", placeholder: "ご質問を入力（Enterで送信）", maxlength: "2000", rows: "1" });
    this.sendButton = el("button", { type: "submit" }, "送信");
    this.form.appendChild(this.input);
    this.form.appendChild(this.sendButton);
    var handoff = el("button", { type: "button", "class": "handoff" }, "担当者につなぐ");
    this.panel.appendChild(header);
    this.panel.appendChild(this.log);
    this.panel.appendChild(this.chips);
    this.panel.appendChild(this.form);
    this.panel.appendChild(handoff);
    this.panel.appendChild(this.status);
    this.root.appendChild(this.bubble);
    this.root.appendChild(this.panel);

    this.bubble.addEventListener("click", function () { self.toggle(); });
    close.addEventListener("click", function () { self.toggle(false); });
    handoff.addEventListener("click", function () { self.handoffForm("button"); });
    this.form.addEventListener("submit", function (e) { e.preventDefault(); self.send(self.input.value); });
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.send(self.input.value); }
    });
    this.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { self.toggle(false); }
    });
  };

  Chat.prototype.toggle = function (open) {
    if (open === undefined) open = this.panel.hidden;
    this.panel.hidden = !open;
    this.bubble.setAttribute("aria-expanded", String(open));
    if (open) {
      if (!this.log.childElementCount) this.addBot(opts.greeting);
      this.input.focus();
      this.log.scrollTop = this.log.scrollHeight;
    } else {
      this.bubble.focus();
    }
  };

  Chat.prototype.scroll = function () { this.log.scrollTop = this.log.scrollHeight; };

  Chat.prototype.addUser = function (text) {
    this.log.appendChild(el("div", { "class": "msg user" }, text));
    this.scroll();
  };

  /* A bot message element; a pending answer shows three dots until its text comes (the
   * server sends only the final, checked answer, so there is nothing to show before). */
  Chat.prototype.addBot = function (text, pending) {
    var node = el("div", { "class": "msg bot" + (pending ? " pending" : "") });
    if (pending) {
      var typing = el("div", { "class": "typing", role: "status", "aria-live": "polite", "aria-label": "回答を準備しています" });
      typing.appendChild(el("span", { "class": "sr" }, "回答を準備しています"));
      for (var i = 0; i < 3; i++) typing.appendChild(el("span", { "class": "dot", "aria-hidden": "true" }));
      node.appendChild(typing);
    }
    var body = el("div", { "class": "text" }, text || "");
    node.appendChild(body);
    this.log.appendChild(node);
    this.scroll();
    return node;
  };

  /* The first text of an answer replaces the typing dots. */
  Chat.prototype.typed = function (node) {
    var typing = node.querySelector(".typing");
    if (typing) typing.remove();
  };

  Chat.prototype.finish = function (node, answer) {
    this.typed(node);
    node.classList.remove("pending");
    node.removeAttribute("aria-busy");
    node.querySelector(".text").textContent = answer.answer != null ? answer.answer : answer.text;
    var cites = answer.citations || [];
    if (cites.length) {
      var list = el("ul", { "class": "cites", "aria-label": "出典" });
      cites.forEach(function (c) {
        var href = base + "/kb/" + encodeURIComponent(c.doc_id) + (c.section_id ? "#" + encodeURIComponent(c.section_id) : "");
        var item = el("li");
        item.appendChild(document.createTextNode("出典: "));
        item.appendChild(el("a", { href: href, target: "_blank", rel: "noopener" }, c.title + (c.section ? "「" + c.section + "」" : "")));
        list.appendChild(item);
      });
      node.appendChild(list);
    }
    var id = answer.message_id != null ? answer.message_id : answer.id;
    if (id != null) this.feedback(node, id, answer.feedback);
    if (answer.handoff && answer.handoff.offer) this.handoffForm(answer.handoff.reason || "repeated_failure");
    this.status.textContent = "回答が届きました。";
    this.scroll();
  };

  Chat.prototype.feedback = function (node, messageId, given) {
    var self = this;
    var bar = el("div", { "class": "fb" });
    bar.appendChild(el("span", null, "この回答は役に立ちましたか？"));
    var up = el("button", { type: "button", "aria-label": "役に立った", "aria-pressed": String(given === "up") }, "👍");
    var down = el("button", { type: "button", "aria-label": "役に立たなかった", "aria-pressed": String(given === "down") }, "👎");
    bar.appendChild(up);
    bar.appendChild(down);
    node.appendChild(bar);
    function rate(rating, comment) {
      return self.post("/api/v1/feedback", { session_id: self.session, message_id: messageId, rating: rating, comment: comment || null })
        .then(function (r) {
          if (!r.ok) throw new Error("feedback " + r.status);
          up.setAttribute("aria-pressed", String(rating === "up"));
          down.setAttribute("aria-pressed", String(rating === "down"));
          self.status.textContent = "評価を送信しました。ありがとうございます。";
          return r.json().catch(function () { return {}; });
        })
        .then(function (j) { if (j && j.handoff && j.handoff.offer) self.handoffForm("repeated_failure"); })
        .catch(function () { self.status.textContent = "評価を送信できませんでした。"; });
    }
    up.addEventListener("click", function () { rate("up"); });
    down.addEventListener("click", function () {
      rate("down").then(function () {
        if (bar.querySelector("textarea")) return;
        var box = el("textarea", { "aria-label": "よろしければ理由をお聞かせください", placeholder: "よろしければ理由をお聞かせください", maxlength: "1000" });
        var send = el("button", { type: "button" }, "送信");
        send.addEventListener("click", function () {
          if (box.value.trim()) rate("down", box.value.trim()).then(function () { box.remove(); send.remove(); });
        });
        bar.appendChild(box);
        bar.appendChild(send);
      });
    });
  };

  Chat.prototype.addAgent = function (m) {
    if (this.log.querySelector('[data-id="' + m.id + '"]')) return;
    var node = el("div", { "class": "msg agent", "data-id": String(m.id) });
    node.appendChild(el("span", { "class": "who" }, "担当者"));
    node.appendChild(el("span", { "class": "text" }, m.text));
    this.log.appendChild(node);
    this.status.textContent = "担当者から返信が届きました。";
    this.scroll();
  };

  /* While a person owns the conversation, their replies arrive on the session's event
   * stream; after a drop it reconnects and reloads the transcript so nothing is missed. */
  Chat.prototype.listen = function () {
    var self = this;
    if (this.events || !this.session || !window.EventSource) return;
    var source = new EventSource(base + "/api/v1/sessions/" + encodeURIComponent(this.session) + "/events");
    this.events = source;
    source.addEventListener("message", function (e) {
      var m = JSON.parse(e.data);
      if (m.role === "agent") self.addAgent(m);
    });
    source.addEventListener("resync", function () { self.catchUp(); });
    source.addEventListener("open", function () { if (self.listened) self.catchUp(); self.listened = true; });
  };

  Chat.prototype.catchUp = function () {
    var self = this;
    fetch(base + "/api/v1/sessions/" + encodeURIComponent(this.session) + "/messages")
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) { if (t) t.messages.forEach(function (m) { if (m.role === "agent") self.addAgent(m); }); })
      .catch(function () { /* next reconnect */ });
  };

  Chat.prototype.addSystem = function (text) {
    this.log.appendChild(el("div", { "class": "msg system", role: "status" }, text));
    this.scroll();
  };

  /* The bot stays silent while a person owns the conversation: the message went to them. */
  Chat.prototype.forwarded = function (node) {
    node.remove();
    this.log.appendChild(el("div", { "class": "note" }, "担当者にお送りしました。"));
    this.status.textContent = "担当者にお送りしました。";
    this.scroll();
  };

  /* The details the agent needs; each may be left empty. */
  Chat.prototype.handoffForm = function (reason) {
    var self = this;
    if (this.panel.hidden) this.toggle(true);
    if (this.log.querySelector(".handoff-form")) { this.log.querySelector(".handoff-form input").focus(); return; }
    var form = el("form", { "class": "handoff-form", "aria-label": "担当者への引き継ぎ" });
    form.appendChild(el("p", null, "担当者におつなぎします。分かる範囲でご入力ください（入力しなくても送信できます）。"));
    var inputs = {};
    FIELDS.forEach(function (f) {
      var id = "handoff-" + f[0];
      form.appendChild(el("label", { "for": id }, f[1]));
      var input = el(f[2], { id: id, name: f[0], maxlength: f[0] === "question" ? "2000" : "200" });
      inputs[f[0]] = input;
      form.appendChild(input);
      form.appendChild(el("div", { "class": "err", id: id + "-err", "aria-live": "polite" }));
    });
    var row = el("div", { "class": "row" });
    var submit = el("button", { type: "submit", "class": "primary" }, "担当者に送る");
    var cancel = el("button", { type: "button", "class": "secondary" }, "やめる");
    row.appendChild(submit);
    row.appendChild(cancel);
    form.appendChild(row);
    cancel.addEventListener("click", function () { form.remove(); self.input.focus(); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { reason: reason || "button" };
      if (self.session) body.session_id = self.session;
      FIELDS.forEach(function (f) {
        var v = inputs[f[0]].value.trim();
        if (v) body[f[0]] = v;
        form.querySelector("#handoff-" + f[0] + "-err").textContent = "";
      });
      submit.disabled = true;
      self.post("/api/v1/handoff", body)
        .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; }); })
        .then(function (res) {
          submit.disabled = false;
          if (res.status === 201) {
            self.setSession(res.body.session_id);
            form.remove();
            self.addSystem(res.body.message);
            self.listen();
          } else if (res.status === 422 && res.body.error && res.body.error.fields) {
            res.body.error.fields.forEach(function (f) {
              var err = form.querySelector("#handoff-" + f.field + "-err");
              if (err) err.textContent = f.message;
            });
            var first = res.body.error.fields[0];
            if (first && inputs[first.field]) inputs[first.field].focus();
          } else {
            form.remove();
            self.addSystem((res.body.error && res.body.error.message) || "担当者への引き継ぎを受け付けられませんでした。");
          }
        })
        .catch(function () {
          submit.disabled = false;
          self.status.textContent = "送信できませんでした。通信環境をご確認ください。";
        });
    });
    this.log.appendChild(form);
    this.scroll();
    inputs.facility_name.focus();
  };

  Chat.prototype.post = function (path, body) {
    return fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  };

  Chat.prototype.setSession = function (id) {
    this.session = id;
    try { localStorage.setItem(SESSION_KEY, id); } catch (e) { /* storage blocked */ }
  };

  /* The transcript of a stored session, so a reload keeps the conversation. */
  Chat.prototype.restore = function () {
    var self = this;
    if (!this.session) return;
    fetch(base + "/api/v1/sessions/" + encodeURIComponent(this.session) + "/messages")
      .then(function (r) {
        if (r.status === 404) { self.session = null; try { localStorage.removeItem(SESSION_KEY); } catch (e) { /* */ } return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (t) {
        if (t && (t.state === "waiting" || t.state === "agent")) self.listen();
        if (!t || !t.messages.length) return;
        self.log.textContent = "";
        t.messages.forEach(function (m) {
          if (m.role === "user") self.addUser(m.text);
          else if (m.role === "system") self.addSystem(m.text);
          else if (m.role === "agent") self.addAgent(m);
          else self.finish(self.addBot(""), m);
        });
      })
      .catch(function () { /* offline: start empty */ });
  };

  Chat.prototype.send = function (text) {
    var self = this;
    text = (text || "").trim();
    if (!text || this.busy) return;
    if (this.panel.hidden) this.toggle(true);
    this.busy = true;
    this.sendButton.disabled = true;
    this.input.value = "";
    this.addUser(text);
    var node = this.addBot("", true);
    var state = { questionId: null, done: false };
    this.stream(text, node, state)
      .catch(function (err) {
        if (state.done) return;
        if (err && err.api) { self.fail(node, err.message); return; }
        /* The stream dropped after the question was stored: its answer is stored too. */
        if (state.questionId != null) return self.recover(node, state.questionId, 0);
        self.fail(node, "接続できませんでした。通信環境をご確認のうえ、もう一度お試しください。");
      })
      .then(function () {
        self.busy = false;
        self.sendButton.disabled = false;
      });
  };

  Chat.prototype.fail = function (node, message) {
    this.typed(node);
    node.classList.remove("pending");
    node.classList.add("error");
    node.removeAttribute("aria-busy");
    node.querySelector(".text").textContent = message;
    this.status.textContent = message;
  };

  /* POST the question and read the Server-Sent Events of the answer. */
  Chat.prototype.stream = function (text, node, state) {
    var self = this;
    var body = { message: text };
    if (this.session) body.session_id = this.session;
    return this.post("/api/v1/chat/stream", body).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (e) {
          if (r.status === 404 && self.session) {
            /* The session is gone: start a new one with the same question. */
            self.session = null;
            return self.stream(text, node, state);
          }
          var err = new Error((e.error && e.error.message) || "エラーが発生しました（" + r.status + "）。");
          err.api = true;
          throw err;
        });
      }
      var reader = r.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      var textNode = node.querySelector(".text");
      function handle(block) {
        var name = "message", dataLines = [];
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) name = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) dataLines.push(line.slice(5).replace(/^ /, ""));
        });
        if (!dataLines.length) return;
        var payload = JSON.parse(dataLines.join("\n"));
        if (name === "session") { self.setSession(payload.session_id); state.questionId = payload.question_id; }
        else if (name === "token") {
          self.typed(node);
          node.setAttribute("aria-busy", "true");
          textNode.textContent += payload.text;
          self.scroll();
        }
        else if (name === "done") { state.done = true; self.finish(node, payload); }
        else if (name === "error") { state.done = true; self.fail(node, payload.message); }
        else if (name === "forwarded") { state.done = true; self.forwarded(node); }
      }
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            if (!state.done) throw new Error("stream ended early");
            return;
          }
          buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
          var cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            handle(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
          return pump();
        });
      }
      return pump();
    });
  };

  /* After a dropped stream: poll the transcript until the answer to our question is there. */
  Chat.prototype.recover = function (node, questionId, attempt) {
    var self = this;
    if (attempt >= 20) {
      this.fail(node, "回答を受け取れませんでした。ページを再読み込みしてください。");
      return Promise.resolve();
    }
    this.status.textContent = "接続が切れました。再接続しています。";
    var delay = Math.min(500 * Math.pow(1.5, attempt), 5000);
    return new Promise(function (resolve) { setTimeout(resolve, delay); })
      .then(function () { return fetch(base + "/api/v1/sessions/" + encodeURIComponent(self.session) + "/messages"); })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (t) {
        var answer = t && t.messages.filter(function (m) { return m.reply_to === questionId; })[0];
        if (answer) { self.finish(node, answer); return; }
        return self.recover(node, questionId, attempt + 1);
      });
  };

  customElements.define("shikaku-chat", class extends HTMLElement {});
  function mount() {
    var host = document.createElement("shikaku-chat");
    document.body.appendChild(host);
    var chat = new Chat(host.attachShadow({ mode: "open" }));
    host.shikaku = chat;
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
