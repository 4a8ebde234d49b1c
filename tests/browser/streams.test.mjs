// How answers arrive in the widget, in a real browser against the real `shikaku serve`: a
// dropped stream recovered, the typing dots, follow-ups and English, an offered handoff form.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  QUESTION, agentConsole, ask, base, lastAnswer, newPage, shots, start, stop, widgetFocus,
} from "./harness.mjs";

before(start);
after(stop);

test("a dropped stream is recovered from the transcript", async () => {
  const page = await newPage();
  // Let the request reach the server, then cut the stream after its first event.
  await page.route("**/api/v1/chat/stream", async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    const first = body.split("\n\n")[0] + "\n\n";
    assert.match(first, /event: ?session/);
    await route.fulfill({ response, body: first });
  });
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  const answer = await ask(page, QUESTION);
  assert.match(await answer.locator(".text").textContent(), /3月31日/);
  assert.equal(await answer.locator(".cites a").count() > 0, true);
  await page.screenshot({ path: path.join(shots, "08-recovered.png") });
  await page.context().close();
});

test("three dots while the answer is prepared, then the final answer and nothing else", async () => {
  const page = await newPage();
  // Hold the stream until the dots have been seen; keep the answer the server sent.
  let release, done;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route("**/api/v1/chat/stream", async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    const block = body.split("\n\n").find((b) => /^event: ?done$/m.test(b));
    done = JSON.parse(block.split("\n").find((l) => l.startsWith("data:")).slice(5));
    await held;
    await route.fulfill({ response, body });
  });
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  await page.locator(".compose textarea").fill(QUESTION);
  await page.locator(".compose textarea").press("Enter");
  const typing = page.locator(".msg.bot.pending .typing");
  await typing.waitFor();
  assert.equal(await typing.getAttribute("role"), "status");
  assert.equal(await typing.getAttribute("aria-live"), "polite");
  assert.equal(await typing.getAttribute("aria-label"), "回答を準備しています");
  assert.equal(await typing.textContent(), "回答を準備しています");
  assert.equal(await typing.locator(".dot").count(), 3);
  assert.equal(await page.locator(".msg.bot.pending .text").textContent(), "", "no text before the answer");
  await page.screenshot({ path: path.join(shots, "08a-typing.png") });
  release();
  const answer = await lastAnswer(page);
  assert.equal(await page.locator(".typing").count(), 0);
  assert.equal(await answer.locator(".text").textContent(), done.answer);
  await page.context().close();
});

test("a follow-up and an English question, and the widget's texts follow the language", async () => {
  const page = await newPage();
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  assert.equal(await page.locator(".panel").getAttribute("lang"), "ja");
  let answer = await ask(page, "病院は何台申し込めますか");
  assert.match(await answer.locator(".text").textContent(), /3台/);
  // The follow-up is read with the previous question by the server.
  answer = await ask(page, "診療所は？");
  assert.match(await answer.locator(".text").textContent(), /1台/);
  assert.equal(await answer.getAttribute("lang"), "ja");

  // An English question gets an English answer, and the widget's own texts switch.
  answer = await ask(page, "How many card readers can a clinic get?");
  assert.match(await answer.locator(".text").textContent(), /clinic|card reader/i);
  assert.equal(await answer.getAttribute("lang"), "en");
  assert.equal(await page.locator(".panel").getAttribute("lang"), "en");
  assert.equal(await page.locator(".compose textarea").getAttribute("placeholder"), "Type your question (Enter to send)");
  assert.equal((await page.locator(".compose button").textContent()).trim(), "Send");
  assert.equal(await answer.locator(".fb button", { hasText: "👍" }).getAttribute("aria-label"), "Helpful");
  assert.equal(await answer.locator(".fb button", { hasText: "👎" }).getAttribute("aria-label"), "Not helpful");
  await page.screenshot({ path: path.join(shots, "12-english.png") });

  // The language is kept across a reload.
  await page.reload();
  await page.locator(".msg.user").first().waitFor();
  assert.equal(await page.locator(".compose textarea").getAttribute("placeholder"), "Type your question (Enter to send)");
  await page.screenshot({ path: path.join(shots, "13-english-after-reload.png") });
  await page.context().close();
});

test("an offered handoff form never takes the focus, Enter in it sends nothing, and the user's request files the ticket as 担当者希望", async () => {
  const page = await newPage();
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  await ask(page, "レセコンの保守費用はいくらですか");
  await ask(page, "駐車場はありますか");
  const form = page.locator(".handoff-form");
  await form.waitFor();
  // Before: the form took the focus, and the next question typed became a ticket.
  assert.equal(await widgetFocus(page), "compose");
  const before = await page.locator(".msg.bot").count();
  await page.keyboard.type(QUESTION);
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => {
    const bots = document.querySelector("shikaku-chat").shadowRoot.querySelectorAll(".msg.bot");
    return bots.length > n && !bots[bots.length - 1].classList.contains("pending");
  }, before);
  assert.match(await page.locator(".msg.bot .text").last().textContent(), /3月31日/);
  assert.equal(await page.locator(".msg.system").count(), 0, "no ticket was opened");
  assert.equal(await form.locator("input[name=facility_name]").inputValue(), "");
  // Enter in a field moves to the next one; only the button sends.
  await form.locator("input[name=facility_name]").fill("エンター医院");
  await form.locator("input[name=facility_name]").press("Enter");
  assert.equal(await widgetFocus(page), "facility_code");
  assert.equal(await page.locator(".msg.system").count(), 0, "Enter sent no ticket");
  await page.screenshot({ path: path.join(shots, "08a-offered-form-keeps-focus.png") });
  // Asking for a person while the offered form is open: filed as 担当者希望.
  await ask(page, "担当者と話したいです");
  await form.locator("button[type=submit]").click();
  await page.locator(".msg.system").last().waitFor();
  const agent = await agentConsole();
  const row = agent.locator("#queue-body tr", { hasText: "エンター医院" });
  await row.waitFor();
  assert.match(await row.textContent(), /担当者希望/);
  await page.context().close();
  await agent.context().close();
});
