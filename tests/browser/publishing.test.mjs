// The editor console's FAQs, in a real browser against the real `shikaku serve`: edited as
// text and in the form, tried on the drafts, published and answered; an FAQ started from a
// 👎 answer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ask, base, editorConsole, newPage, publishDrafts, shots, start, stop } from "./harness.mjs";

before(start);
after(stop);

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
