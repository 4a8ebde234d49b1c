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
      if (r.status === 404) {
        /* The conversation is gone: a new one starts in Japanese. */
        self.session = null;
        try { localStorage.removeItem(SESSION_KEY); } catch (e) { /* */ }
        self.setLanguage("ja");
        try { localStorage.removeItem(LANGUAGE_KEY); } catch (e) { /* */ }
        return null;
      }
      return r.ok ? r.json() : null;
    })
    .then(function (transcript) {
      if (!transcript) return;
      if (transcript.state === "waiting" || transcript.state === "agent") self.listen();
      self.setState(transcript.state);
      if (!transcript.messages.length) return;
      self.log.textContent = "";
      self.lastDay = null;
      self.contactLine = null;
      /* A question with no answer, once a person was asked for, went to that person. */
      var answered = {}, handedOver = false;
      transcript.messages.forEach(function (m) { if (m.reply_to != null) answered[m.reply_to] = true; });
      transcript.messages.forEach(function (m) {
        if (m.role === "user") {
          self.addUser(m.text, m.created_at);
          if (handedOver && !answered[m.id]) self.log.appendChild(el("div", { "class": "note", lang: language }, t("forwarded")));
        } else if (m.role === "system") {
          handedOver = true;
          self.addSystem(m.text, m.id, m.created_at, m);
        } else if (m.role === "agent") self.addAgent(m);
        else self.finish(self.addBot(""), m);
      });
      self.restoreUnread(transcript.messages);
    })
    .catch(function () { /* offline: start empty */ });
};

/* What a person wrote while the user was on another page, or the panel was closed:
 * unread until the panel shows it (no record of what was seen: nothing is). */
Chat.prototype.restoreUnread = function (messages) {
  if (!this.panel.hidden) {
    this.markSeen();
    return;
  }
  var seen = null;
  try { seen = localStorage.getItem(SEEN_KEY); } catch (e) { /* storage blocked */ }
  if (seen === null) return;
  var unseen = messages.filter(function (m) {
    return (m.role === "agent" || m.role === "system") && m.id > Number(seen);
  });
  this.unread = unseen.length;
  this.showUnread(unseen[unseen.length - 1] || null);
};

/* A question is shown at once; while an answer is still coming it waits its turn. */
Chat.prototype.send = function (text) {
  text = (text || "").trim();
  if (!text) return;
  if (this.panel.hidden) this.toggle(true);
  this.input.value = "";
  this.addUser(text);
  this.primeAudio();
  if (this.busy) {
    this.queue.push(text);
    this.status.textContent = t("queued");
    return;
  }
  this.ask(text);
};

Chat.prototype.ask = function (text) {
  var self = this;
  this.busy = true;
  var node = this.addBot("", true);
  var state = { questionId: null, done: false };
  this.stream(text, node, state)
    .catch(function (err) {
      if (state.done) return;
      if (err && err.api) { self.fail(node, err.message); return; }
      /* The stream dropped after the question was stored: its answer is stored too. */
      if (state.questionId != null) return self.recover(node, state.questionId, 0);
      self.fail(node, t("offline"));
    })
    .then(function () {
      self.busy = false;
      var next = self.queue.shift();
      if (next) self.ask(next);
    });
};

Chat.prototype.fail = function (node, message) {
  this.typed(node);
  node.classList.remove("pending");
  node.classList.add("error");
  node.removeAttribute("aria-busy");
  node.setAttribute("lang", languageOf(message));
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
        var error = e.error || {};
        var err = new Error(serverMessage(error.code, error.message, t("serverError", r.status), r.headers.get("Retry-After")));
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
      else if (name === "error") { state.done = true; self.fail(node, serverMessage(payload.code, payload.message, t("internal"))); }
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
    this.fail(node, t("lost"));
    return Promise.resolve();
  }
  this.status.textContent = t("reconnecting");
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
