// The agent console with the widget on the other side, in a real browser against the real
// `shikaku serve`: typing kept across refreshes, saved replies, handing over, a person taking
// over, hearing a user, the keyboard; and an admin's accounts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  AGENT2, AGENT_PASSWORD, QUESTION, RETIRED, accessibility, agentConsole, ask, base, editorConsole,
  newPage, shots, start, stop,
} from "./harness.mjs";

before(start);
after(stop);

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
