/* Shikaku chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" defer
 *           data-title="…" data-position="right|left" data-color="#00467f"
 *           data-greeting="…" data-suggestions="質問1|質問2"></script>
 * No framework, no globals but one custom element. It lives in a Shadow DOM, so the
 * portal's CSS and the widget's cannot affect each other. Every text from the user or
 * the server is set as text; links come only from citations, built here. */

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
