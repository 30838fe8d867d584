/**
 * npm run docs: rewrites the README's generated blocks (configuration table, outputs table, resource
 * diagram, rotation advice) and Pulumi.yaml's config block from the declarations they document
 * (tools/lib/docs.mts).
 */
import * as fs from "node:fs";
import { runTool } from "./lib/cli.mts";
import { PROJECT_FILE, README, readReadme, regenerate, regenerateProjectFile } from "./lib/docs.mts";

async function main(): Promise<number> {
    const updates: [string, string, string][] = [
        [README, readReadme(), ""],
        [PROJECT_FILE, fs.readFileSync(PROJECT_FILE, "utf8"), ""],
    ];
    updates[0][2] = await regenerate(updates[0][1]);
    updates[1][2] = regenerateProjectFile(updates[1][1]);
    for (const [file, before, after] of updates) {
        if (after !== before) fs.writeFileSync(file, after);
        process.stdout.write(`${file.split("/").pop()} ${after === before ? "is up to date" : "updated"}\n`);
    }
    return 0;
}

await runTool(main);
