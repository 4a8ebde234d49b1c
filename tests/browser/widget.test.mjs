// The widget, the agent console and the editor console in a real browser (Debian's
// chromium, driven by playwright-core) against the real `shikaku serve`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  AGENT, AGENT2, AGENT_PASSWORD, EDITOR, QUESTION, RETIRED, XSS, accessibility, agentConsole, ask, base,
  cspViolations, editorConsole, lastAnswer, newPage, publishDrafts, shots, start, stop, widgetFocus,
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

test("the agent console keeps what the agent types while the ticket refreshes", async () => {
  const user = await newPage();
  await user.goto(base + "/");
  await user.locator(".bubble").click();
  await user.locator(".handoff").click();
  await user.locator(".handoff-form input[name=facility_name]").fill("入力中クリニック");
  await user.locator(".handoff-form button[type=submit]").click();
  await user.locator(".msg.system").last().waitFor();
  const agent = await agentConsole();
  await agent.locator("#queue-body tr", { hasText: "入力中クリニック" }).click();
  await agent.locator("#claim").click();
  await agent.locator("#reply-text").waitFor();
  await agent.locator("#category").selectOption("補助金");
  await agent.locator("#note-text").fill("折り返し希望");
  // 60 characters at 80 ms each (about 5 s), and the user writes meanwhile: the pushed
  // message redraws the transcript under the agent's hands.
  const text = "お問い合わせありがとうございます。申込みの締切は令和3年3月31日です。ご不明な点があればお知らせください。";
  await agent.locator("#reply-text").click();
  const typing = agent.keyboard.type(text, { delay: 80 });
  await user.locator(".compose textarea").fill("よろしくお願いします");
  await user.locator(".compose textarea").press("Enter");
  await typing;
  await agent.locator("#detail li", { hasText: "よろしくお願いします" }).waitFor();
  await agent.waitForTimeout(3500);
  assert.equal(await agent.locator("#reply-text").inputValue(), text, "every keystroke kept");
  assert.equal(await agent.evaluate(() => document.activeElement.id), "reply-text", "the focus stayed");
  assert.equal(await agent.locator("#category").inputValue(), "補助金");
  assert.equal(await agent.locator("#note-text").inputValue(), "折り返し希望");
  await agent.locator("#reply-send").click();
  await user.locator(".msg.agent", { hasText: "令和3年3月31日" }).waitFor();
  // The widget can have the reply (pushed) before the console has the answer to its POST.
  await agent.waitForFunction(() => document.getElementById("reply-text").value === "");
  await user.context().close();
  await agent.context().close();
});

test("an admin saves a reply; an agent claims, inserts it by its shortcut, hands the ticket to the admin, who resolves and reopens it", async () => {
  const second = await agentConsole(AGENT2);
  await second.locator("#canned-admin summary").click();
  await second.locator("#canned-shortcut").fill("kakunin");
  await second.locator("#canned-title").fill("確認中");
  await second.locator("#canned-text").fill("確認いたします。少々お待ちください。");
  await second.locator("#canned-form button[type=submit]").click();
  await second.locator("#canned-list li", { hasText: "/kakunin" }).waitFor();
  const user = await newPage();
  await user.goto(base + "/");
  await user.locator(".bubble").click();
  await user.locator(".handoff").click();
  await user.locator(".handoff-form input[name=facility_name]").fill("引き継ぎ医院");
  await user.locator(".handoff-form button[type=submit]").click();
  await user.locator(".msg.system").last().waitFor();
  const first = await agentConsole();
  await first.locator("#queue-body tr", { hasText: "引き継ぎ医院" }).click();
  await first.locator("#claim").click();
  // The saved reply, by its shortcut and Tab.
  await first.locator("#reply-text").click();
  await first.keyboard.type("/kakunin");
  await first.keyboard.press("Tab");
  assert.equal(await first.locator("#reply-text").inputValue(), "確認いたします。少々お待ちください。");
  await first.locator("#reply-send").click();
  await user.locator(".msg.agent", { hasText: "少々お待ちください" }).waitFor();
  await first.locator("#transfer-to").selectOption(AGENT2);
  await first.locator("#transfer").click();
  await first.locator("#detail h2", { hasText: `対応中（${AGENT2}）` }).waitFor();
  assert.equal(await first.locator("#reply-text").count(), 0, "no longer the first agent's to answer");

  await second.locator("[data-view=mine]").click();
  await second.locator("#queue-body tr", { hasText: "引き継ぎ医院" }).click();
  await second.locator("#reply-text").fill("担当を引き継ぎました。");
  await second.locator("#reply-send").click();
  await user.locator(".msg.agent", { hasText: "担当を引き継ぎました。" }).waitFor();
  await second.locator("#category").selectOption("その他");
  await second.locator("#resolve").click();
  await second.locator("#reopen").click();
  await second.locator("#detail h2", { hasText: "待機中" }).waitFor();
  await user.locator(".msg.system", { hasText: "再開しました" }).waitFor();
  await second.screenshot({ path: path.join(shots, "09b-agent-reopened.png") });
  for (const page of [user, first, second]) await page.context().close();
});

test("a person takes over: the user asks for one, an agent claims, replies live, resolves; the bot answers again", async () => {
  const user = await newPage();
  await user.goto(base + "/");
  await user.locator(".bubble").click();
  // Two answers that did not help: the form is offered (and filled in).
  await ask(user, "レセコンの保守費用はいくらですか");
  await ask(user, "駐車場はありますか");
  await user.locator(".handoff-form input[name=facility_name]").fill("ブラウザ薬局");
  await user.locator(".handoff-form button[type=submit]").click();
  await user.locator(".msg.system").last().waitFor();

  const agent = await agentConsole();
  const row = agent.locator("#queue-body tr", { hasText: "ブラウザ薬局" });
  await row.waitFor();
  // The queue previews what the user wrote last; times are Japan time.
  assert.equal(await row.locator(".preview").textContent(), "駐車場はありますか");
  await row.click();
  const received = agent.locator("#detail dt", { hasText: "受付" }).locator("xpath=following-sibling::dd[1]");
  const expected = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", month: "2-digit", day: "2-digit" }).format(new Date());
  assert.ok((await received.textContent()).startsWith(expected), `${await received.textContent()} is not today in Japan (${expected})`);
  assert.match(await agent.locator("#detail .transcript time").first().textContent(), /^\d\d\/\d\d \d\d:\d\d$/);
  await agent.locator("#claim").click();
  // The user is told that a person has the conversation now.
  await user.locator(".msg.system", { hasText: "担当者が対応を始めました" }).waitFor();
  await agent.locator("#reply-text").fill("担当の佐藤です。ご用件を承ります。");
  await agent.screenshot({ path: path.join(shots, "09-agent-console.png") });
  await agent.locator("#reply-send").click();

  // The reply appears in the user's widget without a reload.
  const reply = user.locator(".msg.agent", { hasText: "担当の佐藤です" });
  await reply.waitFor();
  await user.screenshot({ path: path.join(shots, "10-agent-reply-in-widget.png") });

  await agent.locator("#category").selectOption("その他");
  await agent.locator("#resolve").click();
  await agent.locator("#detail h2", { hasText: "解決済み" }).waitFor();
  await user.locator(".msg.system", { hasText: "対応が終わりました" }).waitFor();
  // The answers before the resolution no longer count: no form offered over the answer.
  await ask(user, "電子カルテの選び方を教えて");
  const answer = await ask(user, QUESTION);
  assert.match(await answer.locator(".text").textContent(), /3月31日/);
  assert.equal(await user.locator(".handoff-form").count(), 0, "the form came back after the resolution");
  await user.screenshot({ path: path.join(shots, "11-bot-again.png") });
  await user.context().close();
  await agent.context().close();
});

test("an editor edits an FAQ, tries it on the drafts, publishes, and the widget answers with it", async () => {
  const ADDED = "（お電話の前に医療機関等コードをご用意ください。）";
  const QUESTION_PHONE = "コールセンターの電話番号は？";
  const page = await editorConsole();

  // Find the FAQ, edit it: kb check runs as the editor types.
  await page.locator("#doc-search").fill("0800");
  // The list narrows to the documents that mention the number.
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll("#doc-body tr");
    return rows.length > 0 && rows.length < 10;
  });
  await page.locator("#doc-body tr", { hasText: "faq/call-center.md" }).click();
  // An FAQ opens in the form; the raw file is one click away.
  await page.locator("#faq-form").waitFor();
  assert.equal(await page.locator("#f-id").inputValue(), "faq-call-center");
  await page.locator("#view-raw").click();
  const text = page.locator("#edit-text");
  await text.waitFor();
  const original = await text.inputValue();
  await text.fill("+++\nid = \"faq-call-center\"\n+++\n");
  await page.locator("#edit-problems li").first().waitFor();
  await page.screenshot({ path: path.join(shots, "20-editor-problems.png"), fullPage: true });
  await text.fill(original.trimEnd() + ADDED + "\n");
  await page.waitForFunction(() => document.getElementById("edit-state").textContent === "問題はありません");
  await page.locator("#save").click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("保存しました"));

  // Try it on the drafts: the new answer and what retrieval found, with scores.
  await page.locator("[data-tab=try]").click();
  await page.locator("#try-question").fill(QUESTION_PHONE);
  await page.locator("#try-form button").click();
  await page.waitForFunction((added) => document.getElementById("try-answer").textContent.includes(added), ADDED);
  assert.ok(await page.locator("#try-hits tr").count() > 0);
  await page.screenshot({ path: path.join(shots, "21-editor-try.png"), fullPage: true });

  // Users still get the published answer until the editor publishes.
  const widget = await newPage();
  await widget.goto(base + "/");
  await widget.locator(".bubble").click();
  let answer = await ask(widget, QUESTION_PHONE);
  assert.ok(!(await answer.locator(".text").textContent()).includes(ADDED));

  await publishDrafts(page, "電話の前の準備を追記");
  answer = await ask(widget, QUESTION_PHONE);
  assert.ok((await answer.locator(".text").textContent()).includes(ADDED));
  await widget.screenshot({ path: path.join(shots, "22-widget-after-publish.png") });

  // The history shows the release and its diff.
  await page.locator("[data-tab=history]").click();
  await page.locator("#release-body tr", { hasText: "電話の前の準備を追記" }).locator("button", { hasText: "差分" }).click();
  // Side by side, the added text marked as inserted on the right.
  await page.locator("#diff table.side-by-side").first().waitFor();
  assert.ok((await page.locator("#diff ins").allTextContents()).some((t) => t.includes(ADDED.slice(1, -1))));
  await page.screenshot({ path: path.join(shots, "23-editor-history.png"), fullPage: true });

  // What users asked: the charts and the groups of unanswered questions (earlier tests asked some).
  await page.locator("[data-tab=analytics]").click();
  await page.locator("#chart svg circle").first().waitFor();
  // Axes and a legend: percent ticks, dates, one entry per line and one for the day's
  // number of questions (grey bars), each rate's point saying what it is a share of.
  assert.ok((await page.locator("#chart svg text.tick").allTextContents()).includes("100%"));
  assert.equal(await page.locator("#chart .legend li").count(), 4);
  assert.match(await page.locator("#chart .legend li").last().textContent(), /^質問数（棒。期間中 \d+件/);
  assert.ok(await page.locator("#chart svg rect.volume").count() > 0);
  assert.match(await page.locator("#chart svg circle title").first().textContent(), /%（\d+\/\d+件）$/);
  await page.locator("#top-body tr").first().waitFor();
  assert.ok(await page.locator("#top-body tr").count() > 0);
  await page.screenshot({ path: path.join(shots, "24-editor-analytics.png"), fullPage: true });
});

test("the agent hears a new message in a conversation they own: title, status and mark, never by polling; claim, send and resolve by keyboard", async () => {
  const userA = await newPage();
  await userA.goto(base + "/");
  await userA.locator(".bubble").click();
  await userA.locator(".handoff").click();
  await userA.locator(".handoff-form input[name=facility_name]").fill("通知医院");
  await userA.locator(".handoff-form button[type=submit]").click();
  await userA.locator(".msg.system").last().waitFor();
  const agent = await agentConsole();
  const title = await agent.title();
  const rowA = agent.locator("#queue-body tr", { hasText: "通知医院" });
  await rowA.click();
  const id = await rowA.getAttribute("data-id");
  await agent.locator("#claim").waitFor();
  assert.equal(await agent.locator("#claim").getAttribute("aria-keyshortcuts"), "Alt+C");
  await agent.keyboard.press("Alt+KeyC");
  await userA.locator(".msg.system", { hasText: "担当者が対応を始めました" }).waitFor();
  await agent.locator("#reply-text").fill("担当の者です。少々お待ちください。");
  await agent.locator("#reply-text").press("Control+Enter");
  await userA.locator(".msg.agent", { hasText: "少々お待ちください" }).waitFor();

  // A new ticket arrives while the agent works: pushed into the queue.
  const userB = await newPage();
  await userB.goto(base + "/");
  await userB.locator(".bubble").click();
  await userB.locator(".handoff").click();
  await userB.locator(".handoff-form input[name=facility_name]").fill("別件薬局");
  await userB.locator(".handoff-form button[type=submit]").click();
  await agent.locator("[data-view=waiting]").click();
  const rowB = agent.locator("#queue-body tr", { hasText: "別件薬局" });
  await rowB.click();
  await agent.locator("#claim").waitFor();

  // Nothing is polled: 4 s without events, no request for the queue or a ticket.
  const asked = [];
  agent.on("request", (r) => { if (r.url().includes("/agent/api/tickets")) asked.push(r.url()); });
  await agent.waitForTimeout(4000);
  assert.deepEqual(asked, [], "the console polled");

  // The user of the agent's own conversation writes: the title, the status and the row say so.
  await userA.locator(".compose textarea").fill("まだでしょうか");
  await userA.locator(".compose textarea").press("Enter");
  await agent.waitForFunction((t) => document.title === "(新着 1) " + t, title);
  assert.match(await agent.locator("#status").textContent(), new RegExp(`#${id} の利用者から新しいメッセージ`));
  await agent.locator("[data-view=mine]").click();
  const mine = agent.locator("#queue-body tr", { hasText: "通知医院" });
  await mine.locator(".badge.new").waitFor();
  assert.match(await mine.locator(".preview").textContent(), /まだでしょうか/);
  await agent.screenshot({ path: path.join(shots, "12-agent-new-message.png") });
  // Opening it clears the alert; the message is in the transcript.
  await mine.click();
  await agent.locator("#detail li", { hasText: "まだでしょうか" }).waitFor();
  assert.equal(await agent.title(), title);
  assert.equal(await agent.locator("#queue-body .badge.new").count(), 0);
  // Priority and tags: the queue shows them (pushed back to every console).
  await agent.locator("#priority").selectOption("urgent");
  await agent.locator("#tags").fill("至急 折り返し");
  await agent.locator("#labels-save").click();
  const labelled = agent.locator("#queue-body tr", { hasText: "通知医院" });
  await labelled.locator(".badge.p-urgent", { hasText: "緊急" }).waitFor();
  assert.equal(await labelled.locator(".tags").textContent(), "至急・折り返し");
  // Alt+R resolves, once a category is chosen.
  await agent.locator("#category").selectOption("その他");
  await agent.locator("#reply-text").click();
  await agent.keyboard.press("Alt+KeyR");
  await userA.locator(".msg.system", { hasText: "対応が終わりました" }).waitFor();
  for (const page of [userA, userB, agent]) await page.context().close();
});

test("an editor changes an FAQ in the form, sees the file, tries it and publishes it", async () => {
  const ADDED = "（ご不明な点はコールセンターにお問い合わせください。）";
  const QUESTION_ENVELOPE = "封筒には何と書けばいいですか";
  const page = await editorConsole();
  await page.locator("#doc-search").fill("返信用封筒");
  await page.locator("#doc-body tr", { hasText: "faq/envelope.md" }).click();
  await page.locator("#faq-form").waitFor();
  assert.equal(await page.locator("#f-title").inputValue(), "返信用封筒はどう使えばよいですか");
  // The sources are picked from the notices' sections, the FAQ's own ones selected.
  const picked = await page.locator("#f-sources-list input:checked").evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(picked, ["filing-notes#paper", "survey#how-to-answer"]);
  assert.ok(await page.locator("#f-sources-list input").count() > 10);
  // A checklist: a plain click adds a section and keeps the others; the chosen ones show as
  // chips, and × takes one off; typing narrows the list.
  await page.locator("#f-sources-filter").fill("カードリーダー");
  const visible = await page.locator("#f-sources-list .check:visible").allTextContents();
  assert.ok(visible.length > 0 && visible.every((t) => t.includes("カードリーダー")), JSON.stringify(visible));
  await page.locator("#f-sources-filter").fill("");
  await page.locator('#f-sources-list input[value="application-form#card-readers"]').check();
  assert.deepEqual((await page.locator("#f-sources-chosen .chip").allTextContents()).sort(),
    ["application-form#card-readers ×", "filing-notes#paper ×", "survey#how-to-answer ×"]);
  await page.locator("#f-sources-chosen .chip", { hasText: "application-form#card-readers" }).click();
  assert.deepEqual(await page.locator("#f-sources-list input:checked").evaluateAll((os) => os.map((o) => o.value)), picked);
  const answer = page.locator("#f-answer");
  await answer.fill((await answer.inputValue()) + ADDED);
  await page.locator("#f-questions").fill((await page.locator("#f-questions").inputValue()) + "\n封筒の表書きは");
  await page.locator("#f-tags").fill("封筒 郵送");
  await page.screenshot({ path: path.join(shots, "25-editor-faq-form.png"), fullPage: true });
  // The file follows the form, every other key kept, and kb check has nothing to say.
  await page.waitForFunction((added) => document.getElementById("edit-text").value.includes(added), ADDED);
  await page.waitForFunction(() => document.getElementById("edit-state").textContent === "問題はありません");
  await page.locator("#view-raw").click();
  const raw = await page.locator("#edit-text").inputValue();
  assert.match(raw, /"封筒の表書きは"/);
  assert.match(raw, /tags = \["封筒", "郵送"\]/);
  assert.match(raw, /synonyms = /, "a key the form does not show is kept");
  await page.locator("#view-form").click();
  await page.locator("#faq-form").waitFor();
  assert.equal(await page.locator("#f-tags").inputValue(), "封筒 郵送");
  await page.locator("#save").click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("保存しました"));

  await page.locator("[data-tab=try]").click();
  await page.locator("#try-question").fill(QUESTION_ENVELOPE);
  await page.locator("#try-form button").click();
  await page.waitForFunction((added) => document.getElementById("try-answer").textContent.includes(added), ADDED);
  await publishDrafts(page, "封筒のFAQをフォームで更新");
  const widget = await newPage();
  await widget.goto(base + "/");
  await widget.locator(".bubble").click();
  const reply = await ask(widget, QUESTION_ENVELOPE);
  assert.ok((await reply.locator(".text").textContent()).includes(ADDED));
  for (const p of [page, widget]) await p.context().close();
});

test("「この回答を直す」 on a 👎 answer opens an FAQ draft with the question and its sources, the answer given and the comment beside it", async () => {
  const QUESTION_FIX = "申請書の送り先はどこですか";
  const chat = await (await fetch(base + "/api/v1/chat", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ message: QUESTION_FIX }),
  })).json();
  const rated = await fetch(base + "/api/v1/feedback", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: chat.session_id, message_id: chat.message_id, rating: "down", comment: "支払基金の住所も知りたい" }),
  });
  assert.equal(rated.status, 200);
  const page = await editorConsole();
  await page.locator("[data-tab=analytics]").click();
  const row = page.locator("#disliked-body tr", { hasText: "支払基金の住所も知りたい" });
  await row.waitFor();
  assert.match(await row.textContent(), /申請書の送り先/);
  await page.screenshot({ path: path.join(shots, "26-editor-disliked.png"), fullPage: true });
  await row.locator("button", { hasText: "この回答を直す" }).click();
  await page.locator("#faq-form").waitFor();
  assert.equal(await page.locator("#f-questions").inputValue(), QUESTION_FIX);
  // The answer given is shown beside the form with the 👎 comment, never copied into it:
  // it was written by the service (a rule's dated sentence, say), not taken from a source.
  assert.equal(await page.locator("#f-answer").inputValue(), "");
  assert.equal(await page.locator("#fix-question").textContent(), QUESTION_FIX);
  assert.equal(await page.locator("#fix-answer").textContent(), chat.answer);
  assert.equal(await page.locator("#fix-comment").textContent(), "支払基金の住所も知りたい");
  assert.match(await page.locator("#edit-path").inputValue(), /^faq\/faq-[a-z0-9]+\.md$/);
  const picked = await page.locator("#f-sources-list input:checked").evaluateAll((os) => os.map((o) => o.value));
  const cited = chat.citations.filter((c) => c.section_id).map((c) => `${c.doc_id}#${c.section_id}`);
  assert.ok(cited.length > 0, JSON.stringify(chat.citations));
  assert.deepEqual(picked.sort(), cited.sort());
  // The answer field has the focus, ready to be corrected; the file follows the form.
  assert.equal(await page.evaluate(() => document.activeElement.id), "f-answer");
  await page.waitForFunction((q) => document.getElementById("edit-text").value.includes(q), QUESTION_FIX);
  await page.screenshot({ path: path.join(shots, "27-editor-fix-answer.png"), fullPage: true });
  await page.context().close();
});

test("an admin disables an account, enables it and gives it a new password, shown once", async () => {
  const signIn = async (password) => {
    const r = await fetch(base + "/agent/api/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: RETIRED, password }),
    });
    return r.status;
  };
  const editor = await editorConsole();
  assert.ok(await editor.locator("[data-tab=users]").isHidden(), "an editor does not manage accounts");
  await editor.context().close();
  const page = await editorConsole(AGENT2);
  page.removeAllListeners("dialog");
  page.on("dialog", (d) => { page.dialogs.push(d.message()); d.accept(); });
  await page.locator("[data-tab=users]").click();
  const row = page.locator("#users-body tr", { hasText: RETIRED });
  await row.waitFor();
  assert.match(await row.textContent(), /担当者有効/);
  assert.equal(await page.locator("#users-body tr", { hasText: AGENT2 }).locator("button", { hasText: "無効にする" }).count(), 0, "not one's own");
  await row.locator("button", { hasText: "無効にする" }).click();
  await page.locator("#users-body tr", { hasText: RETIRED }).filter({ hasText: "無効" }).locator("button", { hasText: "有効にする" }).waitFor();
  assert.equal(await signIn(AGENT_PASSWORD), 401);
  await page.locator("#users-body tr", { hasText: RETIRED }).locator("button", { hasText: "有効にする" }).click();
  await page.locator("#users-body tr", { hasText: RETIRED }).locator("button", { hasText: "無効にする" }).waitFor();
  assert.equal(await signIn(AGENT_PASSWORD), 200);
  await page.locator("#users-body tr", { hasText: RETIRED }).locator("button", { hasText: "パスワードを再発行" }).click();
  const shown = page.locator("#new-password code");
  await shown.waitFor();
  const password = await shown.textContent();
  assert.equal(await signIn(AGENT_PASSWORD), 401, "the old password no longer works");
  assert.equal(await signIn(password), 200);
  assert.ok(page.dialogs.length >= 2, "disabling and resetting ask first");
  assert.deepEqual(await accessibility(page), []);
  await page.screenshot({ path: path.join(shots, "28-editor-users.png"), fullPage: true });
  await page.context().close();
});

test("no accessibility violation (axe-core, moderate or worse) on any screen", async () => {
  const found = {};
  // Each screen checked and photographed at desktop size, then at a phone's.
  let shot = 20;
  const check = async (page, screen) => {
    const name = screen.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();
    shot += 1;
    await page.setViewportSize({ width: 1280, height: 800 });
    found[screen] = await accessibility(page);
    await page.screenshot({ path: path.join(shots, `screen-${shot}-${name}-desktop.png`) });
    await page.setViewportSize({ width: 375, height: 667 });
    found[`${screen} (phone)`] = await accessibility(page);
    await page.screenshot({ path: path.join(shots, `screen-${shot}-${name}-phone.png`) });
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  const user = await newPage();
  await user.goto(base + "/");
  await check(user, "portal page, widget closed");
  await user.locator(".bubble").click();
  await check(user, "widget open");
  await ask(user, QUESTION);
  await check(user, "widget with an answer");
  await user.locator(".handoff").click();
  await user.locator(".handoff-form").waitFor();
  await check(user, "handoff form");
  await user.locator(".handoff-form input[name=facility_name]").fill("アクセシビリティ医院");
  await user.locator(".handoff-form button[type=submit]").click();
  await user.locator(".msg.system").last().waitFor();

  const agent = await newPage();
  await agent.goto(base + "/agent");
  await check(agent, "agent sign-in");
  await agent.locator("#login-name").fill(AGENT);
  await agent.locator("#login-password").fill(AGENT_PASSWORD);
  await agent.locator("#login-form button[type=submit]").click();
  const row = agent.locator("#queue-body tr", { hasText: "アクセシビリティ医院" });
  await row.click();
  await agent.locator("#claim").click();
  await agent.locator("#reply-text").waitFor();
  await check(agent, "agent console with a claimed ticket");

  const editor = await newPage();
  await editor.goto(base + "/admin");
  await editor.locator("#login-name").fill(EDITOR);
  await editor.locator("#login-password").fill(AGENT_PASSWORD);
  await editor.locator("#login-form button[type=submit]").click();
  for (const tab of ["documents", "try", "history", "audit", "analytics"]) {
    await editor.locator(`[data-tab=${tab}]`).click();
    await editor.waitForTimeout(300);
    await check(editor, `editor: ${tab}`);
  }
  const doc = await newPage();
  await doc.goto(base + "/kb/notice-main");
  await check(doc, "a /kb document (the notice)");
  await doc.goto(base + "/kb/filing-notes");
  await check(doc, "a /kb document (filing notes)");

  const failing = Object.entries(found).filter(([, v]) => v.length);
  assert.deepEqual(failing, [], JSON.stringify(failing, null, 2));
  for (const page of [user, agent, editor, doc]) await page.context().close();
});
