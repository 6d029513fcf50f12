// Runs every benchmark in bench/ one after another (each prints its own figures).
// `npm run bench` builds first through the script in package.json.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";

const here = new URL(".", import.meta.url).pathname;
for (const file of readdirSync(here)
  .filter((f) => f.endsWith(".mjs"))
  .sort()) {
  console.log(`\n== ${file}`);
  execFileSync(process.execPath, ["--expose-gc", `${here}${file}`], { stdio: "inherit" });
}
