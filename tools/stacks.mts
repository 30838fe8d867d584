/**
 * npm run -s stacks: the tenant stacks CI deploys, as a JSON array for a GitHub Actions matrix.
 *
 * A stack takes part when its Pulumi.<stack>.yaml pins the tenant with azuread:tenantId; the
 * example stack (Pulumi.dev.yaml) does not, so it is left out. Adding a tenant is adding its file.
 * A stack file that cannot be read is reported on standard error (as a GitHub annotation under
 * Actions) and listed all the same: its own job then fails with the reason, and the other tenants go on.
 */
import * as path from "node:path";
import { printable } from "../components/redaction.ts";
import { PROJECT_DIR } from "../engine/engine.mts";
import { StackConfigError, listStacks, parseYaml, readFileCapped } from "../engine/stackConfig.mts";
import { runTool } from "./lib/cli.mts";

export interface TenantStacks {
    /** Stacks that pin a tenant, and stacks whose file could not be read. */
    readonly stacks: string[];
    /** One line per unreadable stack file. */
    readonly problems: string[];
}

export function tenantStacks(projectDir: string): TenantStacks {
    const stacks: string[] = [];
    const problems: string[] = [];
    for (const stack of listStacks(projectDir)) {
        const file = `Pulumi.${stack}.yaml`;
        try {
            const config = parseYaml(readFileCapped(path.join(projectDir, file)), file)["config"];
            const tenant =
                config !== null && typeof config === "object" ? (config as Record<string, unknown>)["azuread:tenantId"] : undefined;
            if (typeof tenant === "string" && tenant !== "") stacks.push(stack);
        } catch (e) {
            if (!(e instanceof StackConfigError)) throw e;
            problems.push(e.message);
            stacks.push(stack);
        }
    }
    return { stacks, problems };
}

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

if (import.meta.main) await runTool(main);
