/* The style sheet (style.css, joined in as STYLE) with the portal's colour. */
var css = STYLE + ":host{--c:" + opts.color + "}";

function Chat(root) {
  this.root = root;
  this.session = null;
  try {
    this.session = localStorage.getItem(SESSION_KEY);
    var stored = localStorage.getItem(LANGUAGE_KEY);
    if (this.session && TEXTS[stored]) language = stored;
  } catch (e) { /* storage blocked */ }
  this.busy = false;
  /* Questions sent while an answer is still coming: asked in turn, never dropped. */
  this.queue = [];
  this.state = "bot";
  this.build();
  this.restore();
  var wasOpen = false;
  try { wasOpen = localStorage.getItem(OPEN_KEY) === "1"; } catch (e) { /* storage blocked */ }
  if (wasOpen) this.toggle(true, true);
}

Chat.prototype.build = function () {
  var self = this;
  // A constructed stylesheet where the browser has them: a page whose
  // Content-Security-Policy refuses inline styles (ours does) still styles the widget.
  if (window.CSSStyleSheet && "adoptedStyleSheets" in this.root && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    this.root.adoptedStyleSheets = [sheet];
  } else {
    this.root.appendChild(el("style", null, css));
  }
  this.bubble = fixed(el("button", { "class": "bubble", "aria-expanded": "false", "aria-controls": "panel" }, "💬"), "open", "aria-label");
  this.badge = el("span", { "class": "badge", "aria-hidden": "true", hidden: "" });
  this.bubble.appendChild(this.badge);
  /* What a person wrote while the panel was closed, shown beside the bubble. */
  this.preview = el("button", { type: "button", "class": "preview", hidden: "" });
  this.unread = 0;
  this.pageTitle = document.title;
  this.panel = el("section", { "class": "panel", id: "panel", role: "dialog", lang: language, hidden: "" });
  /* Not a <header>: the portal has its banner; the panel is a dialog with a heading. */
  var header = el("div", { "class": "header" });
  var heading = el("h2");
  if (opts.title) {
    this.panel.setAttribute("aria-label", opts.title);
    heading.textContent = opts.title;
  } else {
    fixed(this.panel, "title", "aria-label");
    fixed(heading, "title");
  }
  var titles = el("div");
  titles.appendChild(heading);
  /* Who answers now: the bot, or a person the user waits for or talks to. */
  this.presence = el("p", { "class": "presence", hidden: "" });
  titles.appendChild(this.presence);
  header.appendChild(titles);
  var close = fixed(el("button", { "class": "close" }, "×"), "close", "aria-label");
  header.appendChild(close);
  this.log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  this.status = el("div", { "class": "sr", role: "status", "aria-live": "polite" });
  this.chips = fixed(el("div", { "class": "chips" }), "examples", "aria-label");
  opts.suggestions.forEach(function (q) {
    var chip = el("button", { type: "button" }, q);
    chip.addEventListener("click", function () { self.send(q); });
    self.chips.appendChild(chip);
  });
  this.form = el("form", { "class": "compose" });
  this.input = el("textarea", { maxlength: "2000", rows: "1" });
  fixed(this.input, "inputLabel", "aria-label");
  fixed(this.input, "placeholder", "placeholder");
  this.sendButton = fixed(el("button", { type: "submit" }), "send");
  this.form.appendChild(this.input);
  this.form.appendChild(this.sendButton);
  var handoff = fixed(el("button", { type: "button", "class": "handoff" }), "handoff");
  this.handoffButton = handoff;
  this.panel.appendChild(header);
  this.panel.appendChild(this.log);
  this.panel.appendChild(this.chips);
  this.panel.appendChild(this.form);
  this.panel.appendChild(handoff);
  this.panel.appendChild(this.status);
  this.root.appendChild(this.preview);
  this.root.appendChild(this.bubble);
  this.root.appendChild(this.panel);

  this.bubble.addEventListener("click", function () { self.toggle(); });
  this.preview.addEventListener("click", function () { self.toggle(true); });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !self.panel.hidden) self.markSeen();
  });
  close.addEventListener("click", function () { self.toggle(false); });
  handoff.addEventListener("click", function () { self.handoffForm("button", true); });
  this.form.addEventListener("submit", function (e) { e.preventDefault(); self.send(self.input.value); });
  this.input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.send(self.input.value); }
  });
  this.panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { self.toggle(false); return; }
    /* On a phone the panel covers the page: a modal dialog, Tab stays inside it. */
    if (e.key !== "Tab" || !PHONE.matches) return;
    var focusable = Array.prototype.filter.call(
      self.panel.querySelectorAll("button, textarea, input, select, summary, a[href], [tabindex='0']"),
      function (n) { return !n.disabled && n.offsetParent !== null; });
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1], active = self.root.activeElement;
    if (e.shiftKey && active === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
  });
  var modal = function () {
    if (PHONE.matches) self.panel.setAttribute("aria-modal", "true");
    else self.panel.removeAttribute("aria-modal");
  };
  modal();
  if (PHONE.addEventListener) PHONE.addEventListener("change", modal);
};

/* Opens or closes the panel; `restoring`: reopened after a reload, where the page's own
 * focus is left alone. */
Chat.prototype.toggle = function (open, restoring) {
  if (open === undefined) open = this.panel.hidden;
  this.panel.hidden = !open;
  this.bubble.setAttribute("aria-expanded", String(open));
  try { localStorage.setItem(OPEN_KEY, open ? "1" : "0"); } catch (e) { /* storage blocked */ }
  if (open) {
    if (!this.log.childElementCount) {
      if (opts.greeting) this.addBot(opts.greeting, false, languageOf(opts.greeting));
      else this.addBot(t("greeting"), false, language);
    }
    if (!restoring) this.input.focus();
    this.log.scrollTop = this.log.scrollHeight;
    this.markSeen();
  } else {
    this.bubble.focus();
  }
};

Chat.prototype.scroll = function () { this.log.scrollTop = this.log.scrollHeight; };

/* The language of the last answer: every fixed text on screen follows it, and every
 * later one is written in it. Kept with the session across a reload. */
Chat.prototype.setLanguage = function (lang) {
  if (!TEXTS[lang]) return;
  try { localStorage.setItem(LANGUAGE_KEY, lang); } catch (e) { /* storage blocked */ }
  if (lang === language) return;
  language = lang;
  this.panel.setAttribute("lang", lang);
  this.bubble.setAttribute("lang", lang);
  var root = this.root;
  Object.keys(MARKS).forEach(function (attr) {
    Array.prototype.forEach.call(root.querySelectorAll("[" + MARKS[attr] + "]"), function (node) {
      put(node, attr, t(node.getAttribute(MARKS[attr]), node.getAttribute(MARKED_ARG)));
      node.setAttribute("lang", lang);
    });
  });
  this.setState(this.state);
  this.showUnread(null);
};

/* Who answers: the bot, or a person ("waiting" while a ticket is open, "agent" once
 * one has it). The header says so, and the handoff button goes: it is already filed. */
Chat.prototype.setState = function (state) {
  this.state = state;
  var key = state === "agent" ? "presenceAgent" : state === "waiting" ? "presenceWaiting" : null;
  this.presence.hidden = !key;
  this.presence.textContent = key ? t(key) : "";
  this.presence.setAttribute("lang", language);
  this.handoffButton.hidden = !!key;
};
