// Every screen checked with axe-core in a real browser against the real `shikaku serve`,
// at desktop and phone sizes, and photographed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  AGENT, AGENT_PASSWORD, EDITOR, QUESTION, accessibility, ask, base, newPage, shots, start, stop,
} from "./harness.mjs";

before(start);
after(stop);

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
