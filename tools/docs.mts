/**
 * npm run docs: rewrites the README's generated blocks (configuration table, outputs table, resource
 * diagram) from the declarations they document (tools/lib/docs.mts).
 */
import * as fs from "node:fs";
import { runTool } from "./lib/cli.mts";
import { README, readReadme, regenerate } from "./lib/docs.mts";

async function main(): Promise<number> {
    const before = readReadme();
    const after = await regenerate(before);
    if (after !== before) fs.writeFileSync(README, after);
    process.stdout.write(after === before ? "README.md is up to date\n" : "README.md updated\n");
    return 0;
}

await runTool(main);
