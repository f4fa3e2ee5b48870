// Bundles the studio into one self-contained page, dist/studio.html: the script and the style
// sheet are inlined, there are no font files (the page uses the system's CJK fonts), and nothing
// is fetched from anywhere but the serving aftercare. The output is deterministic, so CI can
// check that the committed page matches a fresh build.
import { build } from "esbuild";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist", "studio.html");

const js = await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof",
  charset: "utf8",
  write: false,
});
const css = await build({
  entryPoints: [join(here, "src", "style.css")],
  bundle: true,
  minify: true,
  charset: "utf8",
  write: false,
});
const template = await readFile(join(here, "src", "index.html"), "utf8");
// A literal `</script` or `</style` inside the inlined text would end the element early.
const script = js.outputFiles[0].text.replace(/<\/script/gi, "<\\/script");
const style = css.outputFiles[0].text.replace(/<\/style/gi, "<\\/style");
const page = template
  .replace("/*STYLE*/", () => style.trim())
  .replace("/*SCRIPT*/", () => script.trim());
await mkdir(dirname(out), { recursive: true });
await writeFile(out, page);
console.log(`${out.slice(here.length + 1)}: ${page.length} bytes`);
