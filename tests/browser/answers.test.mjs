// How answers read in the widget, in a real browser against the real `shikaku serve`:
// phone numbers to tap, times and days, ratings that say thanks (and none on small talk),
// each answer's own texts in its language; the pages' icon; the consoles' counts and filters.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { agentConsole, ask, base, editorConsole, handOff, newPage, start, stop } from "./harness.mjs";

before(start);
after(stop);

test("an answer's phone number is a tel: link, every message has its time under the day, and a rating is thanked", async () => {
  const page = await newPage();
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  const answer = await ask(page, "コールセンターの電話番号は？");
  const call = answer.locator('a[href="tel:08000804583"]');
  assert.equal(await call.textContent(), "0800-0804583");
  assert.match(await page.locator(".msg.user time").last().textContent(), /^\d\d:\d\d$/);
  assert.match(await answer.locator("time").textContent(), /^\d\d:\d\d$/);
  assert.match(await page.locator(".day").first().textContent(), /^\d+月\d+日/);
  await answer.locator(".fb button").first().click();
  await answer.locator(".thanks", { hasText: "ありがとうございます" }).waitFor();
  // Thanks is small talk: nothing to rate.
  const reply = await ask(page, "ありがとうございます");
  assert.equal(await reply.locator(".fb").count(), 0);
  await page.context().close();
});

test("the call center's line is not shown twice in a row", async () => {
  const page = await newPage();
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  const first = (await ask(page, "駐車場はありますか")).locator(".text");
  assert.match(await first.textContent(), /0800-0804583/);
  await ask(page, "売店はありますか");
  const second = page.locator(".msg.bot").last().locator(".text");
  assert.doesNotMatch(await second.textContent(), /0800-0804583/);
  assert.match(await second.textContent(), /（お問い合わせ先は、前の回答のとおりです。）$/);
  // The first keeps its number, as a link.
  assert.equal(await page.locator('.msg.bot a[href="tel:08000804583"]').count(), 1);
  await page.context().close();
});

test("an English answer's rating bar stays English after a Japanese question", async () => {
  const page = await newPage();
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  await ask(page, "What is the phone number of the call center?");
  const english = page.locator(".msg.bot").nth((await page.locator(".msg.bot").count()) - 1);
  await ask(page, "コールセンターの電話番号は？");
  assert.equal(await english.locator(".fb span").first().textContent(), "Was this answer helpful?");
  assert.equal(await page.locator(".msg.bot").last().locator(".fb span").first().textContent(), "この回答は役に立ちましたか？");
  await page.context().close();
});

test("every page has an icon", async () => {
  const page = await newPage();
  for (const where of ["/", "/agent", "/admin", "/kb/notice-main"]) {
    await page.goto(base + where);
    const href = await page.locator('link[rel="icon"]').getAttribute("href");
    const icon = await page.request.get(base + href);
    assert.equal(icon.status(), 200, `${where}: ${href}`);
    assert.equal(icon.headers()["content-type"], "image/svg+xml");
  }
  await page.context().close();
});

test("the agent's views show their counts; the editor's documents filter to new drafts", async () => {
  const user = await handOff();
  const agent = await agentConsole();
  await agent.locator("[data-view=waiting]", { hasText: /^待機中 [1-9]\d*$/ }).waitFor();
  assert.equal(await agent.locator("[data-view=mine]").textContent(), "自分の担当 0");

  const editor = await editorConsole();
  await editor.locator("#new").click();
  await editor.locator("#f-title").fill("フィルタの確認用の質問ですか");
  await editor.locator("#save").click();
  await editor.waitForFunction(() => document.getElementById("status").textContent.includes("保存しました"));
  await editor.locator("#doc-filter").selectOption("new");
  await editor.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#doc-body tr")];
    return rows.length > 0 && rows.every((r) => r.textContent.includes("新規"));
  });
  for (const page of [user, agent, editor]) await page.context().close();
});
