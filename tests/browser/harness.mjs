// What every browser test file shares: the real `shikaku serve` on a fresh database with
// its users, Debian's chromium driven by playwright-core, axe-core, and the steps a user,
// an agent and an editor take. Screenshots go to target/test-output/browser/
// (SHIKAKU_SCREENSHOTS).
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const repo = path.resolve(import.meta.dirname, "../..");
const bin = process.env.SHIKAKU_BIN || path.join(repo, "target/debug/shikaku");
export const shots = process.env.SHIKAKU_SCREENSHOTS || path.join(repo, "target/test-output/browser");
export const QUESTION = "カードリーダーの申込み締切は？";
export const XSS = "<img src=x onerror=alert(1)>";

let server, browser, data;
/** The server's address, once `start` has run. */
export let base;

// axe-core (npm), run in the page through the DevTools protocol: our CSP allows no
// injected script tag, and needs none for this.
const AXE = readFileSync(path.join(import.meta.dirname, "node_modules/axe-core/axe.min.js"), "utf8");

/** axe-core's violations of impact moderate or worse on what the page shows now. */
export async function accessibility(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => ["moderate", "serious", "critical"].includes(v.impact))
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" > ")).join(" | ")}`);
}

/** An agent users see as 「佐藤」. */
export const AGENT = "agent1";
export const AGENT_SHOWN_AS = "佐藤";
/** An admin: keeps the saved replies, and takes tickets like an agent. */
export const AGENT2 = "admin1";
export const AGENT_PASSWORD = "browser test password";

function serverEnv() {
  return {
    ...process.env,
    SHIKAKU_DATA: data,
    SHIKAKU_DICT: process.env.SHIKAKU_DICT || path.join(repo, "data/dict"),
    SHIKAKU_KNOWLEDGE: path.join(repo, "knowledge"),
    SHIKAKU_MODEL: "off",
    SHIKAKU_EMBEDDER: path.join(repo, "models/e5-small-q4.bin"),
    SHIKAKU_JUDGE: path.join(repo, "models"),
    SHIKAKU_VECTOR_CACHE: process.env.SHIKAKU_VECTOR_CACHE || path.join(repo, "data/vector-cache"),
    SHIKAKU_RATE_LIMIT: "0",
    SHIKAKU_LOG: "warn",
  };
}

export const EDITOR = "editor1";
/** An agent whose account the admin disables, enables and gives a new password. */
export const RETIRED = "retired1";

/** `shikaku user add` with the password on standard input. */
function addUser(name, role, shownAs) {
  const args = ["user", "add", name, "--role", role].concat(shownAs ? ["--display-name", shownAs] : []);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: serverEnv(), stdio: ["pipe", "ignore", "inherit"] });
    child.stdin.end(AGENT_PASSWORD + "\n");
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`user add exited with ${code}`))));
  });
}

async function startServer() {
  data = mkdtempSync(path.join(tmpdir(), "shikaku-browser-"));
  await addUser(AGENT, "agent", AGENT_SHOWN_AS);
  await addUser(AGENT2, "admin");
  await addUser(EDITOR, "editor");
  await addUser(RETIRED, "agent");
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0"], {
    env: serverEnv(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`shikaku serve exited with ${code}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = line.match(/serving on (http:\/\/\S+?)\/? /);
      if (m) resolve({ child, url: m[1] });
    });
  });
}

/** Starts the server (with its users) and the browser: each test file's `before`. */
export async function start() {
  mkdirSync(shots, { recursive: true });
  const started = await startServer();
  server = started.child;
  base = started.url;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Each test file's `after`. */
export async function stop() {
  await browser?.close();
  server?.removeAllListeners("exit");
  server?.kill("SIGTERM");
  if (data) rmSync(data, { recursive: true, force: true });
}

export async function newPage(options = {}) {
  const context = await browser.newContext({ locale: "ja-JP", ...options });
  const page = await context.newPage();
  page.dialogs = [];
  page.on("dialog", (d) => { page.dialogs.push(d.message()); d.dismiss(); });
  // Whatever our Content-Security-Policy refuses (an inline script or style) is recorded.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI || "inline"}`);
    });
  });
  return page;
}

/** What the page's Content-Security-Policy refused so far (nothing, on our pages). */
export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations);
}

/** The last bot message once it is final (not pending). */
export async function lastAnswer(page) {
  const answer = page.locator(".msg.bot:not(.pending)").last();
  await answer.locator(".text").waitFor();
  await page.waitForFunction(() => {
    const host = document.querySelector("shikaku-chat");
    const bots = host.shadowRoot.querySelectorAll(".msg.bot");
    return bots.length && !bots[bots.length - 1].classList.contains("pending");
  });
  return answer;
}

export async function ask(page, text) {
  const before = await page.locator(".msg.bot").count();
  await page.locator(".compose textarea").fill(text);
  await page.locator(".compose textarea").press("Enter");
  await page.waitForFunction((n) => {
    const bots = document.querySelector("shikaku-chat").shadowRoot.querySelectorAll(".msg.bot");
    return bots.length > n && !bots[bots.length - 1].classList.contains("pending");
  }, before);
  return page.locator(".msg.bot").last();
}

/** What has the keyboard focus in the widget: `compose`, a form field's name, or a tag. */
export async function widgetFocus(page) {
  return page.evaluate(() => {
    const active = document.querySelector("shikaku-chat").shadowRoot.activeElement;
    if (!active) return null;
    if (active.closest(".compose")) return "compose";
    return active.name || active.tagName.toLowerCase();
  });
}

/** A console page at `where` signed in as `name`, once `ready` shows. */
async function signIn(where, name, ready) {
  const page = await newPage();
  await page.goto(base + where);
  await page.locator("#login-name").fill(name);
  await page.locator("#login-password").fill(AGENT_PASSWORD);
  await page.locator("#login-form button[type=submit]").click();
  await page.locator(ready).waitFor();
  return page;
}

/** Signs in to the editor console (as `name`, editor1 by default). */
export function editorConsole(name = EDITOR) {
  return signIn("/admin", name, "#console");
}

/** Signs in to the agent console (as `name`, agent1 by default). */
export function agentConsole(name = AGENT) {
  return signIn("/agent", name, "#queue-body");
}

/** Publishes the drafts as an editor does: the review of what changes, a note, confirm. */
export async function publishDrafts(page, note) {
  await page.locator("#publish").click();
  await page.locator("#publish-review").waitFor();
  await page.locator("#publish-note").fill(note);
  await page.locator("#publish-confirm").click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("公開しました"));
}

/** A user who asks for a person through the widget's form, with the clinic's name and an
 * inquiry when given. */
export async function handOff(facility, question) {
  const user = await newPage();
  await user.goto(base + "/");
  await user.locator(".bubble").click();
  await user.locator(".handoff").click();
  if (facility) await user.locator(".handoff-form input[name=facility_name]").fill(facility);
  if (question) await user.locator(".handoff-form textarea[name=question]").fill(question);
  await user.locator(".handoff-form button[type=submit]").click();
  await user.locator(".msg.system").last().waitFor();
  return user;
}
