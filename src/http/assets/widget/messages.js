/* `at`: when it was written (a restored message); now when absent. */
Chat.prototype.addUser = function (text, at) {
  /* The suggested questions start a conversation; once it has started they give the
   * room back to it (on a phone every line counts). */
  this.chips.hidden = true;
  var node = this.log.appendChild(el("div", { "class": "msg user" }));
  node.appendChild(el("span", { "class": "text" }, text));
  this.dated(node, at);
  this.scroll();
  return node;
};

/* A message's time under it, and the day above the first message of each day. */
Chat.prototype.dated = function (node, iso) {
  var at = iso ? new Date(iso) : new Date();
  if (isNaN(at.getTime())) return;
  var day = at.toDateString();
  if (day !== this.lastDay) {
    this.lastDay = day;
    var label = at.toLocaleDateString(language === "ja" ? "ja-JP" : "en-GB", { month: "long", day: "numeric", weekday: "short" });
    this.log.insertBefore(el("div", { "class": "day" }, label), node);
  }
  node.appendChild(stamp(at));
};

/* A bot message element; a pending answer shows three dots until its text comes (the
 * server sends only the final, checked answer, so there is nothing to show before). */
Chat.prototype.addBot = function (text, pending, lang) {
  var node = el("div", { "class": "msg bot" + (pending ? " pending" : "") });
  if (lang) node.setAttribute("lang", lang);
  if (pending) {
    var typing = fixed(el("div", { "class": "typing", role: "status", "aria-live": "polite" }), "typing", "aria-label");
    typing.appendChild(fixed(el("span", { "class": "sr" }), "typing"));
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
  var text = answer.answer != null ? answer.answer : answer.text;
  var lang = TEXTS[answer.language] ? answer.language : languageOf(text);
  linked(node.querySelector(".text"), this.once(text, lang));
  /* The answer's language becomes the widget's; a restored answer without one keeps it.
   * Its own texts (sources, the 👍 bar) are in its language. */
  if (TEXTS[answer.language]) this.setLanguage(answer.language);
  node.setAttribute("lang", lang);
  var cites = answer.citations || [];
  if (cites.length) {
    /* One line, 「出典 3件」, that opens to the list: long titles would bury the answer. */
    var box = el("details", { "class": "cites" });
    box.appendChild(el("summary", { lang: lang }, t("sourcesCount", cites.length, lang)));
    var list = own(el("ul"), "sources", "aria-label", lang);
    cites.forEach(function (c) {
      var href = base + "/kb/" + encodeURIComponent(c.doc_id) + (c.section_id ? "#" + encodeURIComponent(c.section_id) : "");
      var item = el("li");
      var name = c.title + (c.section ? "「" + c.section + "」" : "");
      item.appendChild(el("a", { href: href, target: "_blank", rel: "noopener", lang: languageOf(name) }, name));
      list.appendChild(item);
    });
    box.appendChild(list);
    node.appendChild(box);
  }
  this.dated(node, answer.created_at);
  var id = answer.message_id != null ? answer.message_id : answer.id;
  /* Small talk (a greeting, thanks) is not rated. */
  if (id != null && answer.writer !== "small_talk") this.feedback(node, id, answer.feedback, lang);
  if (answer.handoff && answer.handoff.offer) this.handoffForm(answer.handoff.reason || "repeated_failure");
  this.status.textContent = t("answered");
  this.scroll();
};

/* The call center's line that closes a reply is not shown twice in a row: when the
 * previous reply ended with the same line, a pointer to it instead. */
Chat.prototype.once = function (text, lang) {
  var lines = text.split("\n"), last = lines[lines.length - 1];
  var previous = this.contactLine;
  LINKS.lastIndex = 0;
  this.contactLine = LINKS.test(last) ? last : null;
  LINKS.lastIndex = 0;
  if (lines.length < 2 || last !== previous) return text;
  return lines.slice(0, -1).concat([t("contactAbove", undefined, lang)]).join("\n");
};

/* 👍/👎 under an answer (or under the notice that a person finished: their help), in
 * its language; once sent, a visible thanks beside them (and the screen reader's
 * status); 👎 asks for an optional comment. */
Chat.prototype.feedback = function (node, messageId, given, lang, question) {
  var self = this;
  var bar = el("div", { "class": "fb" });
  bar.appendChild(own(el("span"), question || "helpful", "text", lang));
  var up = own(el("button", { type: "button", "aria-pressed": String(given === "up") }, "👍"), "up", "aria-label", lang);
  var down = own(el("button", { type: "button", "aria-pressed": String(given === "down") }, "👎"), "down", "aria-label", lang);
  var thanks = el("span", { "class": "thanks", lang: lang });
  bar.appendChild(up);
  bar.appendChild(down);
  bar.appendChild(thanks);
  node.appendChild(bar);
  /* Resolves to whether the rating was stored. */
  function rate(rating, comment) {
    return self.post("/api/v1/feedback", { session_id: self.session, message_id: messageId, rating: rating, comment: comment || null })
      .then(function (r) {
        if (!r.ok) throw new Error("feedback " + r.status);
        up.setAttribute("aria-pressed", String(rating === "up"));
        down.setAttribute("aria-pressed", String(rating === "down"));
        thanks.textContent = t(comment ? "commented" : "thanks", undefined, lang);
        self.status.textContent = t(comment ? "commented" : "rated", undefined, lang);
        if (bar.scrollIntoView) bar.scrollIntoView({ block: "nearest" });
        return r.json().catch(function () { return {}; });
      })
      .then(function (j) {
        if (j && j.handoff && j.handoff.offer) self.handoffForm("repeated_failure");
        return true;
      })
      .catch(function () {
        thanks.textContent = "";
        self.status.textContent = t("ratingFailed", undefined, lang);
        return false;
      });
  }
  up.addEventListener("click", function () { rate("up"); });
  down.addEventListener("click", function () {
    rate("down").then(function (stored) {
      if (!stored || bar.querySelector("textarea")) return;
      var box = own(el("textarea", { maxlength: "1000" }), "why", "aria-label", lang);
      own(box, "why", "placeholder", lang);
      var send = own(el("button", { type: "button" }), "send", "text", lang);
      send.addEventListener("click", function () {
        if (box.value.trim()) {
          rate("down", box.value.trim()).then(function (sent) { if (sent) { box.remove(); send.remove(); } });
        }
      });
      bar.appendChild(box);
      bar.appendChild(send);
    });
  });
};

/* A person's reply, under their name (「担当者」 when they gave none) with its time;
 * false when it is already shown. */
Chat.prototype.addAgent = function (m) {
  if (this.log.querySelector('[data-id="' + m.id + '"]')) return false;
  this.contactLine = null;
  var node = el("div", { "class": "msg agent", "data-id": String(m.id) });
  if (m.author) node.appendChild(el("span", { "class": "who", lang: languageOf(m.author) }, m.author));
  else node.appendChild(fixed(el("span", { "class": "who" }), "agent"));
  node.appendChild(linked(el("span", { "class": "text", lang: languageOf(m.text) }), m.text));
  this.log.appendChild(node);
  this.dated(node, m.created_at);
  this.scroll();
  return true;
};
