// The widget in a real browser (Debian's chromium, driven by playwright-core) against the
// real `shikaku serve`: every page under its CSP, asking, sources, 👍/👎, reload, handoff
// and the phone layout.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  AGENT, AGENT_PASSWORD, EDITOR, QUESTION, XSS, ask, base, cspViolations, lastAnswer, newPage, shots,
  start, stop, widgetFocus,
} from "./harness.mjs";

before(start);
after(stop);

test("every page works under its Content-Security-Policy: nothing inline is refused", async () => {
  const page = await newPage();
  const response = await page.goto(base + "/");
  assert.match(response.headers()["content-security-policy"], /style-src 'self'/);
  await page.locator(".bubble").click();
  // The widget is styled (a constructed stylesheet, not an inline <style>): the panel is fixed.
  assert.equal(await page.locator(".panel").evaluate((p) => getComputedStyle(p).position), "fixed");
  await ask(page, QUESTION);
  // The portal page's own style is a file too.
  assert.equal(await page.locator(".portal-header").evaluate((h) => getComputedStyle(h).display), "flex");
  assert.deepEqual(await cspViolations(page), []);

  for (const console of ["/agent", "/admin"]) {
    const staff = await newPage();
    await staff.goto(base + console);
    // The console's script ran: the sign-in form is shown, and signing in works.
    await staff.locator("#login-name").fill(console === "/agent" ? AGENT : EDITOR);
    await staff.locator("#login-password").fill(AGENT_PASSWORD);
    await staff.locator("#login-form button[type=submit]").click();
    await staff.locator("#console").waitFor();
    assert.deepEqual(await cspViolations(staff), [], console);
    await staff.context().close();
  }
  const doc = await newPage();
  await doc.goto(base + "/kb/notice-main");
  assert.deepEqual(await cspViolations(doc), []);
  await doc.context().close();
  await page.context().close();
});

test("ask, follow the citation, give 👎, reload, and see user markup as text", async () => {
  // A portal with its own style and no policy of ours (the test adds a <style> to it).
  const page = await newPage({ bypassCSP: true });
  // The portal's CSS must not reach into the widget.
  await page.goto(base + "/");
  await page.addStyleTag({ content: "button{display:none !important} *{color:red !important}" });
  await page.screenshot({ path: path.join(shots, "01-portal.png") });

  const bubble = page.locator(".bubble");
  await bubble.click();
  const panel = page.locator(".panel");
  assert.equal(await panel.isVisible(), true);
  assert.equal(await bubble.getAttribute("aria-expanded"), "true");
  assert.equal(await page.locator(".log").getAttribute("aria-live"), "polite");
  assert.equal(await page.locator(".chips button").count(), 3, "suggested questions from data-suggestions");

  const answer = await ask(page, QUESTION);
  assert.match(await answer.locator(".text").textContent(), /3月31日/);
  // The sources are one line that opens to the list.
  const sources = answer.locator(".cites summary");
  assert.match(await sources.textContent(), /^出典 \d+件$/);
  assert.equal(await answer.locator(".cites a").first().isVisible(), false);
  await sources.click();
  const link = answer.locator(".cites a").first();
  assert.equal(await link.isVisible(), true);
  const href = await link.getAttribute("href");
  assert.ok(href.startsWith(base + "/kb/"), href);
  await page.screenshot({ path: path.join(shots, "02-answer.png") });

  // The citation leads to the cited section.
  const doc = await newPage();
  await doc.goto(href);
  const anchor = new URL(href).hash.slice(1);
  if (anchor) assert.equal(await doc.locator(`section[id="${anchor}"]`).count(), 1);
  assert.match(await doc.locator("h1").textContent(), /\S/);
  await doc.screenshot({ path: path.join(shots, "03-cited-document.png") });
  await doc.context().close();

  // 👎 with a comment is stored.
  await answer.locator(".fb button", { hasText: "👎" }).click();
  await answer.locator(".fb button[aria-pressed=true]", { hasText: "👎" }).waitFor();
  await answer.locator(".fb textarea").fill("もっと詳しく知りたいです");
  await answer.locator(".fb button", { hasText: "送信" }).click();
  await answer.locator(".fb textarea").waitFor({ state: "detached" });
  const session = await page.evaluate(() => localStorage.getItem("shikaku.session"));
  const transcript = await (await fetch(`${base}/api/v1/sessions/${session}/messages`)).json();
  assert.equal(transcript.messages[1].feedback, "down");

  // A reload keeps the conversation.
  await page.reload();
  // The panel stays open across the reload, without taking the page's focus.
  await page.locator(".msg.user").first().waitFor();
  assert.equal(await page.locator(".bubble").getAttribute("aria-expanded"), "true");
  assert.equal(await widgetFocus(page), null);
  assert.equal(await page.locator(".msg.user .text").first().textContent(), QUESTION);
  assert.match(await (await lastAnswer(page)).locator(".text").textContent(), /3月31日/);
  assert.equal(
    await page.locator(".msg.bot .fb button[aria-pressed=true]").count(), 1,
    "the 👎 given before the reload is shown",
  );
  await page.screenshot({ path: path.join(shots, "04-after-reload.png") });

  // Markup a user types is shown as text and never runs.
  await ask(page, XSS);
  assert.equal(await page.locator(".msg.user .text").last().textContent(), XSS);
  assert.equal(await page.locator("shikaku-chat img").count(), 0);
  assert.equal(await page.locator("img").count(), 0);
  assert.deepEqual(page.dialogs, []);
  await page.screenshot({ path: path.join(shots, "05-markup-as-text.png") });
  await page.context().close();
});

test("the portal's data-position and data-color place and colour the widget, on a phone too", async () => {
  const page = await newPage();
  await page.setContent(`<!doctype html><html lang="ja"><body><h1>ポータル</h1>
    <script src="${base}/widget.js" data-position="left" data-color="#8a1c1c"></script></body></html>`);
  const bubble = page.locator(".bubble");
  await bubble.waitFor();
  const box = await bubble.boundingBox();
  assert.ok(box.x < 40, `the bubble stands at the left: x=${box.x}`);
  assert.equal(await bubble.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(138, 28, 28)");
  await bubble.click();
  const panel = await page.locator(".panel").boundingBox();
  assert.ok(panel.x < 40, `the panel opens at the left: x=${panel.x}`);
  await page.setViewportSize({ width: 375, height: 667 });
  const phone = await page.locator(".panel").boundingBox();
  assert.deepEqual([phone.x, phone.y, phone.width], [0, 0, 375], "on a phone the panel covers the page");
  // Taken out of the page and put back, the element keeps its chat: one bubble, still open.
  await page.evaluate(() => { const host = document.querySelector("shikaku-chat"); host.remove(); document.body.appendChild(host); });
  assert.equal(await page.locator(".bubble").count(), 1);
  assert.ok(await page.locator(".panel").isVisible());
  await page.context().close();
});

test("handoff button, keyboard use and the mobile layout", async () => {
  const page = await newPage({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  const box = await page.locator(".panel").boundingBox();
  assert.equal(Math.round(box.width), 375, "full width on a phone");
  // A modal dialog on a phone: Tab (and Shift+Tab) never leaves the panel.
  assert.equal(await page.locator(".panel").getAttribute("aria-modal"), "true");
  for (const key of [...Array(12).fill("Tab"), ...Array(12).fill("Shift+Tab")]) {
    await page.keyboard.press(key);
    assert.notEqual(await widgetFocus(page), null, `${key} left the panel`);
  }
  // 「担当者につなぐ」 opens the form; a bad 医療機関等コード is explained, then the ticket is confirmed.
  await page.locator(".handoff").click();
  const form = page.locator(".handoff-form");
  await form.waitFor();
  await form.locator("input[name=facility_name]").fill("山田クリニック");
  await form.locator("input[name=facility_code]").fill("123");
  await form.locator("button[type=submit]").click();
  await form.locator("#handoff-facility_code-err", { hasText: "7桁" }).waitFor();
  await page.screenshot({ path: path.join(shots, "06-mobile-handoff-form.png") });
  await form.locator("input[name=facility_code]").fill("1234567");
  await form.locator("button[type=submit]").click();
  const confirmed = page.locator(".msg.system").last();
  await confirmed.waitFor();
  assert.match(await confirmed.textContent(), /0800-0804583/);
  assert.equal(await page.locator(".handoff-form").count(), 0);
  await page.screenshot({ path: path.join(shots, "07-mobile-handoff-confirmed.png") });
  // Now a person owns the conversation: the bot stays silent, the message is for the agent.
  await page.locator(".compose textarea").fill("申請書を再送したいです");
  await page.locator(".compose textarea").press("Enter");
  await page.locator(".note", { hasText: "担当者にお送りしました" }).waitFor();
  assert.equal(await page.locator(".msg.bot.pending").count(), 0);
  // Escape closes the panel and gives focus back to the bubble.
  await page.locator(".compose textarea").focus();
  await page.keyboard.press("Escape");
  assert.equal(await page.locator(".panel").isVisible(), false);
  assert.equal(await page.evaluate(() => document.querySelector("shikaku-chat").shadowRoot.activeElement?.className), "bubble");
  await page.context().close();
});

test("on a phone the suggested questions fit and give way once asked; Tab reaches an answer's sources, then 👍 and 👎", async () => {
  const page = await newPage({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
  await page.goto(base + "/");
  await page.locator(".bubble").click();
  const chips = page.locator(".chips button");
  assert.ok(await chips.count() > 0);
  for (const chip of await chips.all()) {
    const box = await chip.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 375, `a suggestion sticks out: ${JSON.stringify(box)}`);
  }
  await page.screenshot({ path: path.join(shots, "03a-phone-suggestions.png") });
  const before = await page.locator(".msg.bot").count();
  await chips.first().click();
  await page.waitForFunction((n) => {
    const bots = document.querySelector("shikaku-chat").shadowRoot.querySelectorAll(".msg.bot");
    return bots.length > n && !bots[bots.length - 1].classList.contains("pending");
  }, before);
  assert.equal(await page.locator(".chips").isVisible(), false, "the suggestions give the room back");
  // The keyboard: from the conversation, Tab reaches the sources, each link once they are
  // open, then 👍 and 👎, then the message box.
  const focused = () => page.evaluate(() => {
    const a = document.querySelector("shikaku-chat").shadowRoot.activeElement;
    if (!a) return null;
    return a.tagName === "BUTTON" ? a.textContent.trim() : a.tagName.toLowerCase();
  });
  await page.locator(".log").focus();
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "summary");
  await page.keyboard.press("Enter");
  const links = await page.locator(".msg.bot").last().locator(".cites a").count();
  assert.ok(links > 0);
  const order = [];
  for (let i = 0; i < links + 3; i++) {
    await page.keyboard.press("Tab");
    order.push(await focused());
  }
  assert.deepEqual(order, [...Array(links).fill("a"), "👍", "👎", "textarea"]);
  await page.context().close();
});
