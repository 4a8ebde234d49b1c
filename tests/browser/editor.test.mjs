// The editor console's publishing, in a real browser against the real `shikaku serve`:
// nothing reaches users before the editor has seen what changes and said why.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { editorConsole, shots, start, stop } from "./harness.mjs";

before(start);
after(stop);

test("publishing first shows the changed files and their diff, and asks for a note", async () => {
  const ADDED = "（受付時間外はチャットでお問い合わせください。）";
  const page = await editorConsole();
  await page.locator("#doc-search").fill("0800");
  await page.locator("#doc-body tr", { hasText: "faq/call-center.md" }).click();
  await page.locator("#faq-form").waitFor();
  await page.locator("#view-raw").click();
  const text = page.locator("#edit-text");
  await text.fill((await text.inputValue()).trimEnd() + ADDED + "\n");
  await page.waitForFunction(() => document.getElementById("edit-state").textContent === "問題はありません");
  await page.locator("#save").click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("保存しました"));
  const releases = () => page.evaluate(() => fetch("/admin/api/releases").then((r) => r.json()).then((j) => j.releases.length));
  const before = await releases();

  await page.locator("[data-tab=try]").click();
  await page.locator("#publish").click();
  const review = page.locator("#publish-review");
  await review.waitFor();
  assert.deepEqual(await page.locator("#publish-files li").allTextContents(), ["faq/call-center.md（変更）"]);
  assert.equal(await page.locator("#publish-diff ins", { hasText: ADDED }).count(), 1, "the added sentence is not marked in the diff");
  await page.screenshot({ path: path.join(shots, "50-editor-publish-review.png"), fullPage: true });

  // No note, no release.
  await page.locator("#publish-confirm").click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("変更の説明を入力してください"));
  assert.equal(await page.evaluate(() => document.activeElement.id), "publish-note");
  assert.equal(await releases(), before, "published without a note");

  await page.locator("#publish-note").fill("受付時間外の案内を追記");
  await page.locator("#publish-confirm").click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("公開しました"));
  assert.equal(await review.isVisible(), false);
  assert.equal(await releases(), before + 1);
  await page.locator("[data-tab=history]").click();
  await page.locator("#release-body tr", { hasText: "受付時間外の案内を追記" }).waitFor();

  // Nothing left to publish: said, and no review.
  await page.locator("[data-tab=try]").click();
  await page.locator("#publish").click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("公開する変更はありません"));
  assert.equal(await review.isVisible(), false);
  await page.context().close();
});
