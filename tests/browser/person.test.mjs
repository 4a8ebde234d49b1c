// The widget while a person handles the conversation, in a real browser against the real
// `shikaku serve`: what the user sees when an agent takes it and replies — with the panel
// closed, on a hidden page, after a reload — and that nothing the user types is dropped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { AGENT_SHOWN_AS, QUESTION, agentConsole, base, newPage, shots, start, stop } from "./harness.mjs";

before(start);
after(stop);

/** A user's page whose visibility the test sets (as when the user switches tabs), and
 * which counts the tones the widget plays through the browser's real audio nodes. */
async function userPage() {
  const page = await newPage();
  await page.addInitScript(() => {
    window.__hidden = false;
    Object.defineProperty(document, "hidden", { configurable: true, get: () => window.__hidden });
    Object.defineProperty(document, "visibilityState", {
      configurable: true,
      get: () => (window.__hidden ? "hidden" : "visible"),
    });
    window.__tones = 0;
    const started = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args) {
      window.__tones += 1;
      return started.apply(this, args);
    };
  });
  return page;
}

async function setHidden(page, hidden) {
  await page.evaluate((h) => {
    window.__hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

/** What has the focus inside the widget: its classes and text. */
async function focused(page) {
  return page.evaluate(() => {
    const active = document.querySelector("shikaku-chat").shadowRoot.activeElement;
    return active ? { classes: active.className, text: active.textContent } : null;
  });
}

async function badge(page) {
  const node = page.locator(".bubble .badge");
  return (await node.isVisible()) ? node.textContent() : null;
}

test("a person's reply to a closed panel is counted on the bubble with a preview, and on a hidden page the title flashes and a tone plays", async () => {
  const user = await userPage();
  await user.goto(base + "/");
  const pageTitle = await user.title();
  await user.locator(".bubble").click();
  await user.locator(".handoff").click();
  await user.locator(".handoff-form input[name=facility_name]").fill("未読テスト医院");
  await user.locator(".handoff-form button[type=submit]").click();
  // The form is gone; the focus is on the confirmation, in the panel, so Escape still closes it.
  const confirmation = user.locator(".msg.system").last();
  await confirmation.waitFor();
  const active = await focused(user);
  assert.ok(active && active.classes.includes("system"), `focus after sending the form: ${JSON.stringify(active)}`);
  // While the ticket is open the header says a person will answer, and the handoff button is gone.
  assert.equal(await user.locator(".presence").textContent(), "担当者の対応をお待ちください");
  assert.equal(await user.locator(".handoff").isVisible(), false);
  await user.keyboard.press("Escape");
  assert.equal(await user.locator(".panel").isVisible(), false);
  assert.equal(await badge(user), null);

  // An agent takes the conversation: the service's word counts as unread.
  const agent = await agentConsole();
  await agent.locator("#queue-body tr", { hasText: "未読テスト医院" }).click();
  await agent.locator("#claim").click();
  await user.locator(".bubble .badge", { hasText: "1" }).waitFor();
  assert.match(await user.locator(".preview").textContent(), /担当者が対応を始めました/);
  assert.equal(await user.locator(".presence").textContent(), "担当者が対応中です");

  // The user switches to another tab; the agent replies.
  await setHidden(user, true);
  await agent.locator("#reply-text").fill("担当の佐藤です。申請書を再送いたします。");
  await agent.locator("#reply-send").click();
  await user.locator(".bubble .badge", { hasText: "2" }).waitFor();
  const preview = await user.locator(".preview").textContent();
  assert.ok(preview.startsWith(AGENT_SHOWN_AS) && preview.includes("申請書を再送いたします"), preview);
  assert.match(await user.locator(".bubble").getAttribute("aria-label"), /未読 2件/);
  await user.waitForFunction(() => document.title.startsWith("(2) 担当者から返信があります"));
  assert.ok((await user.evaluate(() => window.__tones)) >= 1, "no tone on a hidden page");
  await user.screenshot({ path: path.join(shots, "30-unread-reply-on-the-bubble.png") });
  // Back on the page: the title is the page's again; the count stays until the panel is opened.
  await setHidden(user, false);
  await user.waitForFunction((t) => document.title === t, pageTitle);
  assert.equal(await badge(user), "2");

  // The next page of the portal (a reload) still shows what is unread.
  await user.reload();
  await user.locator(".bubble .badge", { hasText: "2" }).waitFor();
  assert.match(await user.locator(".preview").textContent(), /申請書を再送いたします/);
  await user.locator(".preview").click();
  assert.equal(await user.locator(".panel").isVisible(), true);
  assert.equal(await badge(user), null);
  assert.equal(await user.locator(".preview").isVisible(), false);
  // The reply carries the agent's name and its time.
  const reply = user.locator(".msg.agent").last();
  assert.equal(await reply.locator(".who").textContent(), AGENT_SHOWN_AS);
  assert.match(await reply.locator("time").textContent(), /^\d\d:\d\d$/);
  await user.screenshot({ path: path.join(shots, "31-agent-reply-with-name.png") });
  await user.reload();
  await user.locator(".msg.agent").last().waitFor();
  assert.equal(await badge(user), null, "seen messages counted again after a reload");

  // Resolved: the header no longer names a person, and the handoff button is back.
  await agent.locator("#category").selectOption("その他");
  await agent.locator("#resolve").click();
  await user.locator(".msg.system", { hasText: "対応が終わりました" }).waitFor();
  await user.waitForFunction(() => {
    const root = document.querySelector("shikaku-chat").shadowRoot;
    return root.querySelector(".presence").hidden && !root.querySelector(".handoff").hidden;
  });

  // One tap rates the person's help: thanks at once, kept across a reload, and the agent
  // sees it on the ticket.
  const closing = () => user.locator(".msg.system", { hasText: "対応が終わりました" });
  assert.equal(await closing().locator(".fb > span").first().textContent(), "担当者の対応はいかがでしたか？");
  await closing().locator(".fb button[aria-label=役に立った]").click();
  await closing().locator(".fb .thanks", { hasText: "ありがとうございます" }).waitFor();
  await user.screenshot({ path: path.join(shots, "32-person-rated.png") });
  await user.reload();
  if (!(await user.locator(".panel").isVisible())) await user.locator(".bubble").click();
  assert.equal(await closing().locator(".fb button[aria-label=役に立った]").getAttribute("aria-pressed"), "true");
  await agent.reload();
  await agent.locator("[data-view=all]").click();
  const row = agent.locator("#queue-body tr", { hasText: "未読テスト医院" }).first();
  assert.match(await row.locator(".state").textContent(), /解決済み（その他） 👍/);
  await row.click();
  await agent.locator(".transcript .rating", { hasText: "担当者の対応への評価: 👍 役に立った" }).waitFor();
  await user.context().close();
  await agent.context().close();
});

test("a question sent while an answer is still coming is asked after it, never dropped", async () => {
  const user = await userPage();
  // The first answer's stream is held back a while, as a slow connection would.
  let held = 0;
  await user.route("**/api/v1/chat/stream", async (route) => {
    if (held++ === 0) await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await user.goto(base + "/");
  await user.locator(".bubble").click();
  const box = user.locator(".compose textarea");
  await box.fill(QUESTION);
  await box.press("Enter");
  await user.locator(".msg.bot.pending").waitFor();
  await box.fill("コールセンターの電話番号は？");
  await box.press("Enter");
  // Taken at once: the box is empty and the question is on screen, before the first answer.
  assert.equal(await box.inputValue(), "");
  assert.equal(await user.locator(".msg.user").count(), 2);
  await user.waitForFunction(() => {
    const bots = document.querySelector("shikaku-chat").shadowRoot.querySelectorAll(".msg.bot:not(.pending)");
    return bots.length >= 3;
  });
  const answers = user.locator(".msg.bot:not(.pending) .text");
  // The greeting, then each question's answer in the order asked.
  assert.match(await answers.nth(1).textContent(), /3月31日/);
  assert.match(await answers.nth(2).textContent(), /0800-0804583/);
  await user.context().close();
});
