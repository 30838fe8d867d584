/**
 * npm run -s stacks: the tenant stacks CI deploys (tools/lib/stacks.mts), as a JSON array for a GitHub
 * Actions matrix. An unreadable stack file is reported on standard error (as a GitHub annotation under
 * Actions) and listed all the same.
 */
import { printable } from "../components/redaction.ts";
import { PROJECT_DIR } from "../engine/engine.mts";
import { runTool } from "./lib/cli.mts";
import { tenantStacks } from "./lib/stacks.mts";

function main(argv: string[]): Promise<number> {
    const { stacks, problems } = tenantStacks(argv[0] ?? PROJECT_DIR);
    for (const p of problems) {
        // One line: a file name with a line break must not start a workflow command of its own.
        const line = printable(p)
            .replace(/%/g, "%25")
            .replace(/[\r\n]+/g, " ");
        process.stderr.write(
            process.env["GITHUB_ACTIONS"] === "true" ? `::error title=Unreadable stack file::${line}\n` : `warning: ${line}\n`,
        );
    }
    process.stdout.write(`${JSON.stringify(stacks)}\n`);
    return Promise.resolve(0);
}

await runTool(main);
