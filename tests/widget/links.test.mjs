// Which parts of a message become links (dom.js's LINKS), without a browser: phone numbers
// as the service writes them and web addresses; never a 12-digit number or a date.
import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "./load.mjs";

const { LINKS } = load(["dom.js"]);
const found = (text) => [...text.matchAll(LINKS)].map((m) => m[0]);

test("the call center's number and a web address are found, without the punctuation after them", () => {
  assert.deepEqual(found("コールセンター（0800-0804583）にお電話ください。"), ["0800-0804583"]);
  assert.deepEqual(found("詳しくは https://www.mhlw.go.jp/stf/index.html、をご覧ください"), ["https://www.mhlw.go.jp/stf/index.html"]);
  assert.deepEqual(found("電話 03-5253-1111 または 0120-123-456"), ["03-5253-1111", "0120-123-456"]);
});

test("numbers that are not phone numbers stay text", () => {
  assert.deepEqual(found("令和3年3月31日までに、1台を申し込みます。"), []);
  assert.deepEqual(found("番号［番号を削除しました］と 2021-03-31"), []);
  assert.deepEqual(found("123456789012"), []);
});
