// Loads parts of the widget's script (src/http/assets/widget/) into a fresh scope, as the
// service joins them, so that their pure functions can be tested without a browser.
import { readFileSync } from "node:fs";
import vm from "node:vm";

const parts = new URL("../../src/http/assets/widget/", import.meta.url);

/** The names the parts define (their top-level `var`s and functions), as one object. */
export function load(files, globals = {}) {
  const scope = vm.createContext({ ...globals });
  for (const file of files) vm.runInContext(readFileSync(new URL(file, parts), "utf8"), scope, { filename: file });
  return scope;
}
