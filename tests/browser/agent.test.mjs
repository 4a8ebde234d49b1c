// The agent console as an agent works in it all day, in a real browser against the real
// `shikaku serve`: the queue at common laptop widths, drafts, a ticket handed over, the
// composer in view, and resolving deliberately.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { AGENT, AGENT2, agentConsole, handOff, shots, start, stop } from "./harness.mjs";

before(start);
after(stop);

const LONG = "申請書の記入方法について伺います。".repeat(12);

test("the queue never hides a ticket's state and waiting time behind the ticket, at 1024 and 1366 px", async () => {
  const user = await handOff("長文医院", LONG);
  const agent = await agentConsole();
  const row = agent.locator("#queue-body tr", { hasText: "長文医院" });
  await row.waitFor();
  for (const [width, height] of [[1024, 768], [1366, 900]]) {
    await agent.setViewportSize({ width, height });
    for (const opened of [false, true]) {
      if (opened) await row.click();
      if (opened) await agent.locator("#detail h2").waitFor();
      // Measured in the page, in one go: the queue is redrawn as events come.
      const seen = await (await agent.waitForFunction(() => {
        const row = [...document.querySelectorAll("#queue-body tr")].find((r) => r.textContent.includes("長文医院"));
        if (!row) return null;
        const cell = row.lastElementChild.getBoundingClientRect();
        return { right: cell.right, pane: document.getElementById("detail").getBoundingClientRect().left, text: row.lastElementChild.textContent };
      })).jsonValue();
      const where = `${width} px, ${opened ? "ticket open" : "no ticket open"}`;
      assert.ok(seen.right <= seen.pane + 1, `${where}: the state column (to ${seen.right}) runs under the ticket (from ${seen.pane})`);
      assert.match(seen.text, /待機中.*\d+(秒|分|時間)/, where);
    }
    await agent.screenshot({ path: path.join(shots, `40-agent-queue-${width}.png`) });
  }
  await user.context().close();
  await agent.context().close();
});

test("a reply being written is kept per ticket, across switching tickets and a reload, until it is sent", async () => {
  const users = [await handOff("下書き医院A"), await handOff("下書き医院B")];
  const agent = await agentConsole();
  const draftA = "下書き医院A様、確認して折り返します。";
  await agent.locator("#queue-body tr", { hasText: "下書き医院A" }).click();
  await agent.locator("#claim").click();
  await agent.locator("#reply-text").fill(draftA);
  await agent.locator("#queue-body tr", { hasText: "下書き医院B" }).click();
  await agent.locator("#claim").click();
  await agent.locator("#reply-text").waitFor();
  assert.equal(await agent.locator("#reply-text").inputValue(), "", "A's draft shown on B");
  await agent.locator("#reply-text").fill("B の下書き");
  await agent.locator("[data-view=mine]").click();
  await agent.locator("#queue-body tr", { hasText: "下書き医院A" }).click();
  await agent.waitForFunction((t) => document.getElementById("reply-text")?.value === t, draftA);

  await agent.reload();
  await agent.locator("[data-view=mine]").click();
  await agent.locator("#queue-body tr", { hasText: "下書き医院B" }).click();
  await agent.waitForFunction(() => document.getElementById("reply-text")?.value === "B の下書き");
  await agent.locator("#queue-body tr", { hasText: "下書き医院A" }).click();
  await agent.waitForFunction((t) => document.getElementById("reply-text")?.value === t, draftA);
  await agent.locator("#reply-send").click();
  await users[0].locator(".msg.agent", { hasText: "確認して折り返します" }).waitFor();
  await agent.waitForFunction(() => document.getElementById("reply-text").value === "");
  await agent.reload();
  await agent.locator("[data-view=mine]").click();
  await agent.locator("#queue-body tr", { hasText: "下書き医院A" }).click();
  await agent.locator("#reply-text").waitFor();
  assert.equal(await agent.locator("#reply-text").inputValue(), "", "a sent reply came back as a draft");
  for (const page of [...users, agent]) await page.context().close();
});

test("an agent a ticket is handed to hears of it, with the handover note", async () => {
  const user = await handOff("引き継ぎ通知医院");
  const first = await agentConsole(AGENT);
  const second = await agentConsole(AGENT2);
  const title = await second.title();
  await first.locator("#queue-body tr", { hasText: "引き継ぎ通知医院" }).click();
  await first.locator("#claim").click();
  await first.locator("#transfer-to").selectOption(AGENT2);
  await first.locator("#transfer-note").fill("折り返しのお電話を希望されています。");
  await first.locator("#transfer").click();

  await second.waitForFunction((t) => document.title === "(新着 1) " + t, title);
  assert.match(await second.locator("#status").textContent(), /引き継がれました/);
  await second.locator("[data-view=mine]").click();
  const row = second.locator("#queue-body tr", { hasText: "引き継ぎ通知医院" });
  await row.locator(".badge.new").waitFor();
  await row.click();
  const note = second.locator("#detail .notes li", { hasText: "折り返しのお電話を希望されています。" });
  await note.waitFor();
  assert.match(await note.textContent(), new RegExp(`^\\d\\d/\\d\\d \\d\\d:\\d\\d　${AGENT}: 引き継ぎメモ（${AGENT2} さんへ）`));
  assert.equal(await second.title(), title);
  await second.screenshot({ path: path.join(shots, "41-agent-handed-over.png") });
  for (const page of [user, first, second]) await page.context().close();
});

test("after claiming, the send button is in view; resolving asks for a category; 解決して次へ opens the next waiting ticket", async () => {
  const user = await handOff("次へ医院1", LONG);
  const waiting = await handOff("次へ医院2");
  const agent = await agentConsole();
  await agent.setViewportSize({ width: 1366, height: 900 });
  await agent.locator("#queue-body tr", { hasText: "次へ医院1" }).click();
  await agent.locator("#claim").click();
  const send = agent.locator("#reply-send");
  await send.waitFor();
  // Measured once the claim's notice is in the transcript (the layout has settled), as
  // the page opens: nothing scrolled for the agent.
  await agent.locator("#detail .transcript li", { hasText: "担当者が対応を始めました" }).waitFor();
  await agent.evaluate(() => window.scrollTo(0, 0));
  const box = await send.boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= 900, `the send button is at ${box.y}–${box.y + box.height}, out of the 900 px window`);
  await agent.screenshot({ path: path.join(shots, "42-agent-composer-in-view.png") });

  // Nothing is filed under a category the agent did not choose.
  assert.equal(await agent.locator("#category").inputValue(), "");
  const heading = agent.locator("#detail h2");
  const resolvedTitle = await heading.textContent();
  await agent.locator("#resolve").click();
  await agent.locator("#status", { hasText: "分類を選んでください" }).waitFor();
  assert.equal(await agent.evaluate(() => document.activeElement.id), "category");
  assert.match(await heading.textContent(), /対応中/);

  await agent.locator("#category").selectOption("申請書の記入");
  await agent.locator("#resolve-next").click();
  await user.locator(".msg.system", { hasText: "対応が終わりました" }).waitFor();
  // The next waiting ticket is open, ready to claim.
  await agent.waitForFunction((t) => {
    const h = document.querySelector("#detail h2");
    return h && h.textContent !== t && h.textContent.includes("待機中");
  }, resolvedTitle);
  await agent.locator("#claim").waitFor();
  for (const page of [user, waiting, agent]) await page.context().close();
});
