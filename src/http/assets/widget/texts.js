/* Every fixed text of the widget is in the service's catalogs (src/copy/ja.json and
 * en.json), joined in as `TEXTS` when the script is served: one sentence, written once, for
 * the widget, the API and the messaging channels. A `{name}` in a text is filled by t(). */
var language = "ja";

/* A fixed text in the widget's language (or in `lang`), with `arg` for its placeholder
 * (`{title}` is the widget's title): the text named `key + "One"` where `arg` is 1 and
 * there is one (English plurals). */
function t(key, arg, lang) {
  var texts = TEXTS[lang || language];
  var text = arg === 1 && texts[key + "One"] !== undefined ? texts[key + "One"] : texts[key];
  if (text === undefined) text = TEXTS.ja[key];
  if (text === undefined) return undefined;
  return text.replace(/\{(\w+)\}/g, function (_, name) { return name === "title" ? title() : String(arg); });
}

/* The catalog's name for a name of the server's (`unknown_session` → `unknownSession`). */
function keyOf(name) {
  return name.replace(/_(\w)/g, function (_, c) { return c.toUpperCase(); });
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
 * catalog's text for its code (with `arg` for a placeholder; the fallback where there is
 * no such text, or no `arg` for its placeholder). */
function serverMessage(code, message, fallback, arg) {
  if (language === "ja") return message || fallback;
  var text = code && TEXTS.en[keyOf(code)];
  if (!text || (/\{\w+\}/.test(text) && arg == null)) return fallback;
  return t(keyOf(code), arg);
}

/* A fixed text set on a node (its text, aria-label or placeholder) and marked, with the
 * argument of its placeholder if any, so that it follows when the language changes; the
 * node says which language it is in (it may sit in a message written in the other one). */
var MARKS = { text: "data-t", "aria-label": "data-t-label", placeholder: "data-t-placeholder" };
var MARKED_ARG = "data-t-arg";
function fixed(node, key, attr, arg) {
  attr = attr || "text";
  node.setAttribute(MARKS[attr], key);
  if (arg != null) node.setAttribute(MARKED_ARG, arg);
  node.setAttribute("lang", language);
  put(node, attr, t(key, arg));
  return node;
}
function put(node, attr, value) {
  if (attr === "text") node.textContent = value;
  else node.setAttribute(attr, value);
}
