// The widget's fixed texts and languages (texts.js), without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "./load.mjs";

const texts = () => load(["texts.js"], { opts: { title: null } });

test("every fixed text is written in both languages, with the same arguments", () => {
  const { TEXTS } = texts();
  assert.deepEqual(Object.keys(TEXTS.en).sort(), Object.keys(TEXTS.ja).sort());
  for (const key of Object.keys(TEXTS.ja)) {
    assert.equal(typeof TEXTS.en[key], typeof TEXTS.ja[key], key);
    if (typeof TEXTS.ja[key] === "function") assert.equal(TEXTS.en[key].length, TEXTS.ja[key].length, key);
    else assert.ok(TEXTS.ja[key].length > 0 && TEXTS.en[key].length > 0, key);
  }
});

test("the English for each server error code is one of the widget's texts", () => {
  const { TEXTS, ERROR_TEXTS } = texts();
  for (const [code, key] of Object.entries(ERROR_TEXTS)) assert.ok(key in TEXTS.en, `${code} → ${key}`);
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

test("a server error reads as the server's Japanese, or the widget's English for its code", () => {
  const scope = texts();
  assert.equal(scope.serverMessage("timeout", "時間がかかっています。", "fallback"), "時間がかかっています。");
  assert.equal(scope.serverMessage("timeout", "", "fallback"), "fallback");
  scope.language = "en";
  assert.equal(scope.serverMessage("timeout", "時間がかかっています。", "fallback"), scope.TEXTS.en.timeout);
  assert.equal(scope.serverMessage("no_such_code", "…", "fallback"), "fallback");
});
