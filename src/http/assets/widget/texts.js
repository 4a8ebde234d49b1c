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
