/**
 * npm run docs:diagram: regenerates the README's resource diagram from the dev stack's plan.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../engine/engine.mts";
import { makePlan, renderMermaid } from "../engine/plan.mts";
import { loadStackConfig } from "../engine/stackConfig.mts";

const file = path.join(PROJECT_DIR, "README.md");
const plan = await makePlan(loadStackConfig(PROJECT_DIR, "dev"), { typeCheck: false });
if (plan.errors.length > 0) throw new Error(plan.errors.join("\n"));
const block = `<!-- plan:mermaid dev -->\n\`\`\`mermaid\n${renderMermaid(plan)}\`\`\`\n<!-- /plan:mermaid -->`;
const readme = fs.readFileSync(file, "utf8");
const pattern = /<!-- plan:mermaid dev -->[\s\S]*?<!-- \/plan:mermaid -->/;
if (!pattern.test(readme)) throw new Error("README.md has no <!-- plan:mermaid dev --> block");
fs.writeFileSync(file, readme.replace(pattern, block));
console.log("README.md diagram updated");
