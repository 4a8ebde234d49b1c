// Loads parts of the widget's script (src/http/assets/widget/) into a fresh scope, as the
// service joins them (with the `widget` sections of the catalogs in src/copy/ as `TEXTS`),
// so that their pure functions can be tested without a browser.
import { readFileSync, readdirSync } from "node:fs";
import vm from "node:vm";

const parts = new URL("../../src/http/assets/widget/", import.meta.url);
const copy = new URL("../../src/copy/", import.meta.url);

/** The catalogs, by language: `{widget, service}` each. */
export const catalogs = () => ({
  ja: JSON.parse(readFileSync(new URL("ja.json", copy), "utf8")),
  en: JSON.parse(readFileSync(new URL("en.json", copy), "utf8")),
});

/** The widget's parts, by file name, as written. */
export const sources = () =>
  Object.fromEntries(readdirSync(parts).filter((f) => f.endsWith(".js")).map((f) => [f, readFileSync(new URL(f, parts), "utf8")]));

/** The names the parts define (their top-level `var`s and functions), as one object. */
export function load(files, globals = {}) {
  const { ja, en } = catalogs();
  const scope = vm.createContext({ TEXTS: { ja: ja.widget, en: en.widget }, ...globals });
  for (const file of files) vm.runInContext(readFileSync(new URL(file, parts), "utf8"), scope, { filename: file });
  return scope;
}
