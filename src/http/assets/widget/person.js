/* While a person owns the conversation, their replies arrive on the session's event
 * stream; after a drop it reconnects and reloads the transcript so nothing is missed. */
Chat.prototype.listen = function () {
  var self = this;
  if (this.events || !this.session || !window.EventSource) return;
  var source = new EventSource(base + "/api/v1/sessions/" + encodeURIComponent(this.session) + "/events");
  this.events = source;
  source.addEventListener("message", function (e) { self.arrived(JSON.parse(e.data)); });
  source.addEventListener("resync", function () { self.catchUp(); });
  source.addEventListener("open", function () { if (self.listened) self.catchUp(); self.listened = true; });
};

/* The element left the page: no stream held open, no title flashing for it. */
Chat.prototype.pause = function () {
  if (this.events) this.events.close();
  this.events = null;
  this.stopFlash();
};

/* Back in the page: a person's replies arrive again, and what came meanwhile is caught up. */
Chat.prototype.resume = function () {
  if (this.state === "bot") return;
  this.listened = false;
  this.listen();
  this.catchUp();
};

Chat.prototype.catchUp = function () {
  var self = this;
  fetch(base + "/api/v1/sessions/" + encodeURIComponent(this.session) + "/messages")
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (t) {
      if (!t) return;
      t.messages.forEach(function (m) { self.arrived(m); });
      self.setState(t.state);
    })
    .catch(function () { /* next reconnect */ });
};

/* A message pushed while a person handles the conversation: the agent's reply, or the
 * service saying that a person took the conversation or finished with it. Each once. */
Chat.prototype.arrived = function (m) {
  if (m.role === "agent") {
    if (!this.addAgent(m)) return;
    this.status.textContent = t("agentReplied");
  } else if (m.role === "system" && !this.log.querySelector('[data-id="' + m.id + '"]')) {
    this.addSystem(m.text, m.id, m.created_at, m);
    this.status.textContent = m.text;
    /* A person took the conversation or finished with it: the transcript says which. */
    this.catchUp();
  } else {
    return;
  }
  this.notify(m);
};

/* What the service says (a ticket opened, taken, finished). On the notice that a person
 * finished (`closes`, the stored message), a one-tap rating of their help. */
Chat.prototype.addSystem = function (text, id, at, closes) {
  this.contactLine = null;
  var node = linked(el("div", { "class": "msg system", role: "status", lang: languageOf(text) }), text);
  if (id != null) node.setAttribute("data-id", String(id));
  this.log.appendChild(node);
  this.dated(node, at);
  if (closes && closes.closes_ticket != null) {
    this.feedback(node, closes.id, closes.feedback, languageOf(text), "helpfulPerson");
  }
  this.scroll();
  return node;
};

/* The bot stays silent while a person owns the conversation: the message went to them. */
Chat.prototype.forwarded = function (node) {
  node.remove();
  this.log.appendChild(el("div", { "class": "note", lang: language }, t("forwarded")));
  this.status.textContent = t("forwarded");
  this.scroll();
};

/* The details the agent needs; each may be left empty. */
/* The handoff form, in the log. Offered by the bot (`byUser` false) it never takes the
 * focus: the user may be typing the next question. `reason` is what the ticket is filed
 * under; the user's own request outranks the bot's offer after unhelpful answers. */
Chat.prototype.handoffForm = function (reason, byUser) {
  var self = this;
  if (this.panel.hidden) this.toggle(true);
  var open = this.log.querySelector(".handoff-form");
  if (open) {
    if (reason !== "repeated_failure") open.setAttribute("data-reason", reason);
    if (byUser) open.querySelector("input").focus();
    return;
  }
  var form = fixed(el("form", { "class": "handoff-form", "data-reason": reason || "button" }), "handoffTitle", "aria-label");
  form.appendChild(fixed(el("p"), "handoffIntro"));
  var inputs = {};
  FIELDS.forEach(function (f) {
    var id = "handoff-" + f[0];
    form.appendChild(fixed(el("label", { "for": id }), keyOf("field_" + f[0])));
    var input = el(f[1], { id: id, name: f[0], maxlength: f[0] === "question" ? "2000" : "200" });
    /* Enter moves to the next field: only the button sends (a question typed here by
     * mistake must not become a ticket). */
    if (f[1] === "input") {
      input.addEventListener("keydown", function (e) {
        if (e.key !== "Enter" || e.isComposing) return;
        e.preventDefault();
        var fields = Array.prototype.slice.call(form.querySelectorAll("input, textarea"));
        var next = fields[fields.indexOf(input) + 1];
        (next || submit).focus();
      });
    }
    inputs[f[0]] = input;
    form.appendChild(input);
    form.appendChild(el("div", { "class": "err", id: id + "-err", "aria-live": "polite" }));
  });
  var row = el("div", { "class": "row" });
  var submit = fixed(el("button", { type: "submit", "class": "primary" }), "handoffSend");
  var cancel = fixed(el("button", { type: "button", "class": "secondary" }), "handoffCancel");
  row.appendChild(submit);
  row.appendChild(cancel);
  form.appendChild(row);
  cancel.addEventListener("click", function () { form.remove(); self.input.focus(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = { reason: form.getAttribute("data-reason") };
    if (self.session) body.session_id = self.session;
    FIELDS.forEach(function (f) {
      var v = inputs[f[0]].value.trim();
      if (v) body[f[0]] = v;
      var err = form.querySelector("#handoff-" + f[0] + "-err");
      err.removeAttribute(MARKS.text);
      err.removeAttribute(MARKED_ARG);
      err.textContent = "";
    });
    submit.disabled = true;
    self.primeAudio();
    self.post("/api/v1/handoff", body)
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; }); })
      .then(function (res) {
        submit.disabled = false;
        if (res.status === 201) {
          self.setSession(res.body.session_id);
          form.remove();
          /* The server's confirmation is Japanese; in English, the widget's own. */
          self.confirm(self.addSystem(language === "ja" && res.body.message ? res.body.message
            : t("handoffDone") + (res.body.phone ? " " + t("handoffCall", res.body.phone) : ""), res.body.message_id));
          self.setState("waiting");
          self.listen();
        } else if (res.status === 422 && res.body.error && res.body.error.fields) {
          res.body.error.fields.forEach(function (f) {
            var err = form.querySelector("#handoff-" + f.field + "-err");
            if (!err) return;
            var key = keyOf("invalid_" + f.field), max = inputs[f.field] && inputs[f.field].maxLength;
            if (!TEXTS.ja[key]) err.textContent = f.message;
            else if (language === "ja") { err.textContent = f.message || t(key, max); err.setAttribute(MARKS.text, key); err.setAttribute(MARKED_ARG, max); }
            else fixed(err, key, "text", max);
          });
          var first = res.body.error.fields[0];
          if (first && inputs[first.field]) inputs[first.field].focus();
        } else {
          form.remove();
          var error = res.body.error || {};
          var message = serverMessage(error.code, error.message, t("handoffFailed"));
          if (language !== "ja" && error.code === "handoff_failed") {
            /* The server's message gives the call center's number. */
            var phone = /0\d{1,4}-\d{1,4}-\d{3,4}/.exec(error.message || "");
            if (phone) message += " " + t("handoffCall", phone[0]);
          }
          self.confirm(self.addSystem(message));
        }
      })
      .catch(function () {
        submit.disabled = false;
        self.status.textContent = t("sendFailed");
      });
  });
  this.log.appendChild(form);
  this.scroll();
  if (byUser) inputs.facility_name.focus();
};

/* The form is gone: the focus goes to what came of it, inside the panel (Escape still
 * closes it, a screen reader reads it), and it is seen. */
Chat.prototype.confirm = function (node) {
  node.setAttribute("tabindex", "-1");
  node.focus();
  this.markSeen();
};
