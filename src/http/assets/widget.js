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
  /* A title or greeting the portal gives is shown as given, in every language. */
  var opts = {
    title: data.title || null,
    position: data.position === "left" ? "left" : "right",
    color: /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : "#00467f",
    greeting: data.greeting || null,
    suggestions: (data.suggestions || "").split("|").map(function (s) { return s.trim(); }).filter(Boolean).slice(0, 5)
  };
  var SESSION_KEY = "shikaku.session";
  /* The conversation's language, kept next to its session. */
  var LANGUAGE_KEY = "shikaku.language";
  /* The phone layout (the panel covers the page), as in the style's media query. */
  var PHONE = window.matchMedia("(max-width:480px)");
  /* Whether the panel was open: a reload (or the next page of the portal) keeps it so. */
  var OPEN_KEY = "shikaku.open";
  /* The newest message of the conversation the user has seen in the open panel: what
   * arrived after it while the panel was closed is unread, on this page or the next. */
  var SEEN_KEY = "shikaku.seen";
  var FIELDS = [
    ["facility_name", "input"],
    ["facility_code", "input"],
    ["contact", "input"],
    ["question", "textarea"]
  ];

  /* Every fixed text of the widget, in the languages Shikaku answers in. */
  var TEXTS = {
    ja: {
      title: "シカク",
      open: function () { return title() + "を開く"; },
      close: "閉じる",
      greeting: "オンライン資格確認についてのご質問にお答えします。",
      examples: "質問の例",
      inputLabel: "ご質問",
      placeholder: "ご質問を入力（Enterで送信）",
      send: "送信",
      handoff: "担当者につなぐ",
      typing: "回答を準備しています",
      answered: "回答が届きました。",
      sources: "出典",
      sourcesCount: function (n) { return "出典 " + n + "件"; },
      helpful: "この回答は役に立ちましたか？",
      helpfulPerson: "担当者の対応はいかがでしたか？",
      up: "役に立った",
      down: "役に立たなかった",
      why: "よろしければ理由をお聞かせください",
      rated: "評価を送信しました。ありがとうございます。",
      thanks: "ありがとうございます。",
      contactAbove: "（お問い合わせ先は、前の回答のとおりです。）",
      commented: "ご意見を送信しました。ありがとうございます。",
      ratingFailed: "評価を送信できませんでした。",
      agent: "担当者",
      agentReplied: "担当者から返信が届きました。",
      presenceAgent: "担当者が対応中です",
      presenceWaiting: "担当者の対応をお待ちください",
      unread: function (n) { return "未読 " + n + "件"; },
      newReply: "担当者から返信があります",
      queued: "前の回答のあとに送信します。",
      forwarded: "担当者にお送りしました。",
      handoffTitle: "担当者への引き継ぎ",
      handoffIntro: "担当者におつなぎします。分かる範囲でご入力ください（入力しなくても送信できます）。",
      field_facility_name: "医療機関等の名称（任意）",
      field_facility_code: "医療機関等コード・7桁（任意）",
      field_contact: "ご連絡先の電話番号またはメールアドレス（任意）",
      field_question: "お問い合わせ内容（任意）",
      invalid_facility_name: "医療機関等の名称は200文字以内で入力してください。",
      invalid_facility_code: "医療機関等コードは7桁の数字で入力してください。",
      invalid_contact: "連絡先は電話番号（例: 03-1234-5678）かメールアドレスで入力してください。",
      invalid_question: "ご質問は2000文字以内で入力してください。",
      handoffSend: "担当者に送る",
      handoffCancel: "やめる",
      handoffDone: "担当者への引き継ぎを受け付けました。担当者からこの会話でご返信します。",
      handoffCall: function (phone) { return "お急ぎの場合は、コールセンター（" + phone + "）へお電話ください。"; },
      handoffFailed: "担当者への引き継ぎを受け付けられませんでした。",
      handoffWaiting: "すでに担当者への引き継ぎを受け付けています。担当者からの返信をお待ちください。",
      sendFailed: "送信できませんでした。通信環境をご確認ください。",
      offline: "接続できませんでした。通信環境をご確認のうえ、もう一度お試しください。",
      serverError: function (status) { return "エラーが発生しました（" + status + "）。"; },
      reconnecting: "接続が切れました。再接続しています。",
      lost: "回答を受け取れませんでした。ページを再読み込みしてください。",
      rateLimited: "短時間に多くのご質問をいただきました。少し時間をおいてから、もう一度お試しください。",
      timeout: "回答に時間がかかっています。しばらくしてから会話を開き直すと、回答が表示されます。",
      internal: "申し訳ありません。回答を作成できませんでした。時間をおいてもう一度お試しください。",
      unknownSession: "この会話は見つかりません。新しい会話を始めてください。",
      invalidMessage: "ご質問を受け付けられませんでした。2000文字以内で入力してください。"
    },
    en: {
      title: "Shikaku",
      open: function () { return "Open " + title(); },
      close: "Close",
      greeting: "I can answer your questions about online eligibility verification.",
      examples: "Example questions",
      inputLabel: "Your question",
      placeholder: "Type your question (Enter to send)",
      send: "Send",
      handoff: "Talk to a staff member",
      typing: "Preparing an answer",
      answered: "An answer has arrived.",
      sources: "Sources",
      sourcesCount: function (n) { return n + (n === 1 ? " source" : " sources"); },
      helpful: "Was this answer helpful?",
      helpfulPerson: "How was the help from our staff?",
      up: "Helpful",
      down: "Not helpful",
      why: "If you like, please tell us why",
      rated: "Thank you for your feedback.",
      thanks: "Thank you.",
      contactAbove: "(For the contact details, see the previous answer.)",
      commented: "Thank you for telling us.",
      ratingFailed: "Your feedback could not be sent.",
      agent: "Staff",
      agentReplied: "A staff member has replied.",
      presenceAgent: "A staff member is helping you",
      presenceWaiting: "Waiting for a staff member",
      unread: function (n) { return n + " unread"; },
      newReply: "New reply from our staff",
      queued: "It will be sent after the current answer.",
      forwarded: "Sent to the staff member.",
      handoffTitle: "Contact a staff member",
      handoffIntro: "We will put you in touch with a staff member. Please fill in what you can (you may also send the form empty).",
      field_facility_name: "Name of your medical institution (optional)",
      field_facility_code: "Medical institution code, 7 digits (optional)",
      field_contact: "Phone number or email address (optional)",
      field_question: "Your inquiry (optional)",
      invalid_facility_name: "Please enter the name of your medical institution in 200 characters or fewer.",
      invalid_facility_code: "Please enter the medical institution code as 7 digits.",
      invalid_contact: "Please enter a phone number (e.g. 03-1234-5678) or an email address.",
      invalid_question: "Please keep your inquiry to 2,000 characters or fewer.",
      handoffSend: "Send to staff",
      handoffCancel: "Cancel",
      handoffDone: "Your request has been passed to our staff. A staff member will reply in this chat during business hours.",
      handoffCall: function (phone) { return "If it is urgent, please call the call center at " + phone + "."; },
      handoffFailed: "Sorry, we could not pass your request to our staff.",
      handoffWaiting: "Your request has already been passed to our staff. Please wait for their reply.",
      sendFailed: "Could not send. Please check your connection.",
      offline: "Could not connect. Please check your connection and try again.",
      serverError: function (status) { return "An error occurred (" + status + ")."; },
      reconnecting: "The connection was lost. Reconnecting…",
      lost: "The answer could not be received. Please reload the page.",
      rateLimited: "You have sent many questions in a short time. Please wait a moment and try again.",
      timeout: "The answer is taking a while. Please reopen the chat in a little while to see it.",
      internal: "Sorry, we could not prepare an answer. Please try again later.",
      unknownSession: "This conversation was not found. Please start a new one.",
      invalidMessage: "Your question could not be accepted. Please keep it to 2,000 characters or fewer."
    }
  };
  /* The English for the server's error codes (in Japanese the server's own message is shown). */
  var ERROR_TEXTS = {
    rate_limited: "rateLimited",
    timeout: "timeout",
    internal: "internal",
    unknown_session: "unknownSession",
    invalid_message: "invalidMessage",
    already_waiting: "handoffWaiting"
  };
  var language = "ja";

  /* A fixed text in the widget's language (or in `lang`). */
  function t(key, arg, lang) {
    var text = TEXTS[lang || language][key];
    if (text === undefined) text = TEXTS.ja[key];
    return typeof text === "function" ? text(arg) : text;
  }

  /* A fixed text that belongs to one answer: in that answer's language, whatever the
   * widget's language becomes later (an English answer's 👍 bar stays English). */
  function own(node, key, attr, lang) {
    node.setAttribute("lang", lang);
    put(node, attr || "text", t(key, undefined, lang));
    return node;
  }

  function title() { return opts.title || t("title"); }

  /* The language a text from elsewhere (a restored message, a portal greeting) is written in. */
  function languageOf(text) {
    if (!text) return language;
    return /[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]/.test(text) ? "ja" : "en";
  }

  /* What the user reads of a server error: its own (Japanese) message, or in English the
   * widget's text for its code. */
  function serverMessage(code, message, fallback) {
    if (language === "ja") return message || fallback;
    return ERROR_TEXTS[code] ? t(ERROR_TEXTS[code]) : fallback;
  }

  /* A fixed text set on a node (its text, aria-label or placeholder) and marked, so that it
   * follows when the language changes; the node says which language it is in (it may sit
   * in a message written in the other one). */
  var MARKS = { text: "data-t", "aria-label": "data-t-label", placeholder: "data-t-placeholder" };
  function fixed(node, key, attr) {
    attr = attr || "text";
    node.setAttribute(MARKS[attr], key);
    node.setAttribute("lang", language);
    put(node, attr, t(key));
    return node;
  }
  function put(node, attr, value) {
    if (attr === "text") node.textContent = value;
    else node.setAttribute(attr, value);
  }

  var css =
    ":host{all:initial;font-family:'Hiragino Kaku Gothic ProN','Noto Sans JP','Yu Gothic',Meiryo,sans-serif;--c:" + opts.color + "}" +
    "*{box-sizing:border-box}" +
    ".bubble{position:fixed;bottom:20px;" + opts.position + ":20px;width:60px;height:60px;border-radius:50%;border:0;background:var(--c);color:#fff;font-size:28px;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.3);z-index:2147483000}" +
    ".bubble:focus-visible,button:focus-visible,a:focus-visible,textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}" +
    ".panel{position:fixed;bottom:92px;" + opts.position + ":20px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;color:#1f2933;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.3);overflow:hidden;z-index:2147483000;font-size:15px;line-height:1.7}" +
    ".panel[hidden]{display:none}" +
    ".header{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:var(--c);color:#fff}" +
    ".header h2{margin:0;font-size:16px}" +
    ".presence{margin:0;font-size:12px;line-height:1.4}.presence[hidden]{display:none}" +
    ".bubble .badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#c0392b;color:#fff;font-size:13px;font-weight:700;line-height:22px;text-align:center}" +
    ".badge[hidden],.preview[hidden],.handoff[hidden]{display:none}" +
    ".preview{position:fixed;bottom:92px;" + opts.position + ":20px;width:280px;max-width:calc(100vw - 40px);padding:10px 14px;background:#fff;color:#1f2933;border:1px solid #d0dae3;border-radius:12px;box-shadow:0 4px 16px rgba(0,0,0,.25);font:inherit;font-size:14px;line-height:1.6;text-align:left;cursor:pointer;z-index:2147483000;overflow:hidden;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical}" +
    ".preview .who,.agent .who{display:block;font-size:12px;font-weight:700;color:var(--c)}" +
    ".msg time{display:block;font-size:11px;color:#52606d;margin-top:2px}" +
    ".header button{background:transparent;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}" +
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
    ".cites{margin:6px 0 0;padding:6px 0 0;border-top:1px dashed #d0dae3;font-size:13px}" +
    ".cites summary{cursor:pointer;color:#52606d}" +
    ".cites ul{margin:4px 0 0;padding:0 0 0 1.2em}.cites li{margin:2px 0}" +
    ".cites a{color:#0b5cad}" +
    ".fb{margin-top:6px;display:flex;gap:6px;align-items:center;font-size:13px;color:#52606d;flex-wrap:wrap}" +
    ".fb button{border:1px solid #d0dae3;background:#fff;border-radius:14px;padding:2px 10px;cursor:pointer;font-size:14px}" +
    ".fb button[aria-pressed=true]{background:#e3f0fb;border-color:var(--c)}" +
    ".fb textarea{width:100%;min-height:48px;font:inherit;font-size:13px}" +
    ".fb .thanks{color:#1e7b34}" +
    ".msg a{color:inherit}.user time{color:#dbe9f6}" +
    ".day{margin:10px 0 4px;text-align:center;font-size:12px;color:#52606d}" +
    ".chips{display:flex;flex-wrap:wrap;gap:6px;padding:8px 12px;background:#f4f6f8}.chips[hidden]{display:none}" +
    ".chips button{max-width:100%;border:1px solid var(--c);color:var(--c);background:#fff;border-radius:16px;padding:4px 10px;font:inherit;font-size:13px;text-align:left;cursor:pointer}" +
    ".compose{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #d0dae3;background:#fff}" +
    ".compose textarea{flex:1;resize:none;height:44px;padding:8px;font:inherit;border:1px solid #9aa5b1;border-radius:8px}" +
    ".compose button{border:0;background:var(--c);color:#fff;border-radius:8px;padding:0 14px;font:inherit;cursor:pointer}" +
    ".compose button:disabled{opacity:.5;cursor:default}" +
    ".handoff{border:0;background:#fff;color:var(--c);font:inherit;font-size:13px;text-decoration:underline;cursor:pointer;padding:4px 12px 8px;text-align:left}" +
    ".system{margin:8px auto;max-width:94%;background:#fff8e1;border:1px solid #ffd166;font-size:14px}" +
    ".agent{background:#e3f0fb;border:1px solid var(--c)}" +
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

  /* A phone number the service wrote becomes a tel: link, an address a link (built here,
   * never from markup): a staff member on a phone calls the call center in one tap. */
  var LINKS = /(?<![\d-])(0\d{1,4}-\d{2,4}-?\d{3,4})(?!\d)|(https?:\/\/[^\s）」』、。]+)/g;
  function linked(node, text) {
    node.textContent = "";
    var at = 0, m;
    LINKS.lastIndex = 0;
    while ((m = LINKS.exec(text))) {
      if (m.index > at) node.appendChild(document.createTextNode(text.slice(at, m.index)));
      node.appendChild(m[1]
        ? el("a", { href: "tel:" + m[1].replace(/-/g, "") }, m[1])
        : el("a", { href: m[2], target: "_blank", rel: "noopener" }, m[2]));
      at = m.index + m[0].length;
    }
    if (at < text.length) node.appendChild(document.createTextNode(text.slice(at)));
    return node;
  }

  /* When a person wrote: the hour and minute on the user's clock. */
  function stamp(at) {
    var shown = at.toLocaleTimeString(language === "ja" ? "ja-JP" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    return el("time", { datetime: at.toISOString() }, shown);
  }

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
        put(node, attr, t(node.getAttribute(MARKS[attr])));
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

  /* The newest message shown (what a person or the service wrote; the rest has no id). */
  Chat.prototype.newestId = function () {
    var ids = Array.prototype.map.call(this.log.querySelectorAll("[data-id]"), function (n) {
      return Number(n.getAttribute("data-id"));
    });
    return ids.length ? Math.max.apply(null, ids) : null;
  };

  /* The open panel shows everything: nothing is unread any more. */
  Chat.prototype.markSeen = function () {
    var newest = this.newestId();
    if (newest != null) {
      try { localStorage.setItem(SEEN_KEY, String(newest)); } catch (e) { /* storage blocked */ }
    }
    this.unread = 0;
    this.showUnread(null);
    this.stopFlash();
  };

  /* The unread count on the bubble (and in its name), and `m`, the latest, beside it. */
  Chat.prototype.showUnread = function (m) {
    this.badge.hidden = !this.unread;
    this.badge.textContent = this.unread ? String(this.unread) : "";
    var count = this.unread ? t("unread", this.unread) : "";
    this.bubble.setAttribute("aria-label", t("open") + (!count ? "" : language === "ja" ? "（" + count + "）" : " (" + count + ")"));
    if (!this.unread) {
      this.preview.hidden = true;
      return;
    }
    if (m) {
      this.preview.textContent = "";
      if (m.role === "agent") this.preview.appendChild(el("span", { "class": "who" }, m.author || t("agent")));
      this.preview.appendChild(el("span", { lang: languageOf(m.text) }, m.text));
      this.preview.hidden = false;
    }
  };

  /* A person's message (or the service's word about one) arrived. Unseen — the panel
   * closed or the page hidden — it is counted on the bubble; on a hidden page the tab's
   * title flashes and a short tone plays, as messengers do. */
  Chat.prototype.notify = function (m) {
    if (!this.panel.hidden && !document.hidden) {
      this.markSeen();
      return;
    }
    if (this.panel.hidden) {
      this.unread += 1;
      this.showUnread(m);
    }
    if (document.hidden) {
      this.flashTitle();
      this.chime();
    }
  };

  Chat.prototype.flashTitle = function () {
    var self = this;
    if (this.flashing) return;
    this.pageTitle = document.title;
    var on = false;
    var flip = function () {
      on = !on;
      document.title = on ? "(" + Math.max(self.unread, 1) + ") " + t("newReply") : self.pageTitle;
    };
    flip();
    this.flashing = setInterval(flip, 1000);
  };

  Chat.prototype.stopFlash = function () {
    if (!this.flashing) return;
    clearInterval(this.flashing);
    this.flashing = null;
    document.title = this.pageTitle;
  };

  /* A browser lets a page sound only after the user did something in it: the audio
   * context is made when they send, so a reply can chime later. */
  Chat.prototype.primeAudio = function () {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (this.audio || !Context) return;
    try { this.audio = new Context(); } catch (e) { /* no sound */ }
  };

  Chat.prototype.chime = function () {
    var audio = this.audio;
    if (!audio) return;
    try {
      var tone = audio.createOscillator(), gain = audio.createGain(), now = audio.currentTime;
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(now);
      tone.stop(now + 0.3);
    } catch (e) { /* no sound */ }
  };

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
      form.appendChild(fixed(el("label", { "for": id }), "field_" + f[0]));
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
              var key = "invalid_" + f.field;
              if (!TEXTS.ja[key]) err.textContent = f.message;
              else if (language === "ja") { err.textContent = f.message || t(key); err.setAttribute(MARKS.text, key); }
              else fixed(err, key);
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
          var err = new Error(serverMessage(error.code, error.message, t("serverError", r.status)));
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

  customElements.define("shikaku-chat", class extends HTMLElement {});
  function mount() {
    var host = document.createElement("shikaku-chat");
    document.body.appendChild(host);
    var chat = new Chat(host.attachShadow({ mode: "open" }));
    host.shikaku = chat;
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
