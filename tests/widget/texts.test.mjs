// The widget's fixed texts and languages (texts.js), without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { catalogs, load, sources } from "./load.mjs";

/** The catalog names the parts pass literally: the first argument of `t(…)`, the second of
 * `fixed(…)` and `own(…)` (a scan of the source, strings and nesting respected). */
function namedKeys(files) {
  const names = new Set();
  for (const text of Object.values(files)) {
    for (const match of text.matchAll(/\b(t|fixed|own)\(/g)) {
      const args = topLevelArguments(text, match.index + match[0].length);
      const arg = args[match[1] === "t" ? 0 : 1];
      const literal = arg && /^"(\w+)"$/.exec(arg.trim());
      if (literal) names.add(literal[1]);
    }
  }
  return names;
}

/** The arguments of a call whose "(" ends just before `at`, as source texts. */
function topLevelArguments(text, at) {
  const args = [];
  let depth = 0, start = at, quote = null;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === "\\") i++; else if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) {
      if (depth === 0) { args.push(text.slice(start, i)); return args; }
      depth--;
    } else if (c === "," && depth === 0) { args.push(text.slice(start, i)); start = i + 1; }
  }
  return args;
}

const texts = () => load(["texts.js"], { opts: { title: null } });

test("every text is written in both languages, with the same placeholders", () => {
  const catalog = catalogs();
  const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const section of ["widget", "service"]) {
    const [ja, en] = [catalog.ja[section], catalog.en[section]];
    assert.deepEqual(Object.keys(en).sort(), Object.keys(ja).sort(), section);
    for (const key of Object.keys(ja)) {
      assert.ok(ja[key].trim() && en[key].trim(), key);
      assert.deepEqual(placeholders(en[key]), placeholders(ja[key]), key);
    }
  }
});

test("every text the widget names is in the catalogs' widget section (all it receives)", () => {
  const ja = catalogs().ja.widget;
  const named = namedKeys(sources());
  assert.ok(named.size > 30, `only ${named.size} names found: the scan no longer reads the parts`);
  for (const key of named) assert.ok(key in ja, key);
  // The names it builds: its fields' labels and errors, and the server's error codes.
  for (const field of ["facility_name", "facility_code", "contact", "question"]) {
    const scope = texts();
    assert.ok(scope.keyOf("field_" + field) in ja, field);
    assert.ok(scope.keyOf("invalid_" + field) in ja, field);
  }
});

test("the server's error codes the widget shows in English have English texts", () => {
  const scope = texts();
  for (const code of ["rate_limited", "timeout", "internal", "unknown_session", "invalid_message", "already_waiting", "handoff_failed"])
    assert.ok(scope.keyOf(code) in scope.TEXTS.en, code);
});

test("placeholders are filled, the title with the widget's, and English counts one in the singular", () => {
  const scope = texts();
  assert.equal(scope.t("serverError", 502), "エラーが発生しました（502）。");
  assert.equal(scope.t("open"), "シカクを開く");
  scope.language = "en";
  assert.equal(scope.t("sourcesCount", 1), "1 source");
  assert.equal(scope.t("sourcesCount", 3), "3 sources");
  assert.equal(scope.t("unread", 1), "1 unread");
  assert.equal(scope.t("invalidFacilityName", 200), "Please enter the name of your medical institution in 200 characters or fewer.");
});

test("a text follows the widget's language, or the language asked for", () => {
  const scope = texts();
  assert.equal(scope.t("send"), scope.TEXTS.ja.send);
  scope.language = "en";
  assert.equal(scope.t("send"), scope.TEXTS.en.send);
  assert.equal(scope.t("send", undefined, "ja"), scope.TEXTS.ja.send);
  assert.equal(scope.title(), scope.TEXTS.en.title);
  assert.match(scope.t("open"), new RegExp(scope.TEXTS.en.title));
});

test("a portal's own title is shown as given, in every language", () => {
  const scope = load(["texts.js"], { opts: { title: "オンライン資格確認 相談窓口" } });
  assert.equal(scope.title(), "オンライン資格確認 相談窓口");
  scope.language = "en";
  assert.equal(scope.title(), "オンライン資格確認 相談窓口");
});

test("the language of a text is Japanese when it has kana or kanji, English otherwise", () => {
  const scope = texts();
  assert.equal(scope.languageOf("締切はいつですか"), "ja");
  assert.equal(scope.languageOf("ｶｰﾄﾞﾘｰﾀﾞｰ"), "ja");
  assert.equal(scope.languageOf("When is the deadline?"), "en");
  assert.equal(scope.languageOf(""), "ja", "nothing to tell by: the widget's language");
  scope.language = "en";
  assert.equal(scope.languageOf(null), "en");
});

test("a server error reads as the server's Japanese, or the catalog's English for its code", () => {
  const scope = texts();
  assert.equal(scope.serverMessage("timeout", "時間がかかっています。", "fallback"), "時間がかかっています。");
  assert.equal(scope.serverMessage("timeout", "", "fallback"), "fallback");
  scope.language = "en";
  assert.equal(scope.serverMessage("timeout", "時間がかかっています。", "fallback"), scope.TEXTS.en.timeout);
  assert.equal(scope.serverMessage("no_such_code", "…", "fallback"), "fallback");
  assert.match(scope.serverMessage("rate_limited", "…", "fallback", "30"), /wait 30 seconds/);
  assert.equal(scope.serverMessage("rate_limited", "…", "fallback", null), "fallback", "a placeholder left empty");
});
