/**
 * The tenant stacks CI deploys: a stack takes part when its Pulumi.<stack>.yaml pins the tenant with
 * azuread:tenantId; the example stack (Pulumi.dev.yaml) does not, so it is left out. A stack file that
 * cannot be read is listed all the same, with the reason: its own CI job then fails with it, and the
 * other tenants go on. A stack whose name CI's environments reserve is left out, with the reason.
 */
import * as path from "node:path";
import { StackConfigError, listStacks, parseYaml, readFileCapped } from "../../engine/stackConfig.mts";

export interface TenantStacks {
    /** Stacks that pin a tenant, and stacks whose file could not be read. */
    readonly stacks: string[];
    /** One line per unreadable stack file. */
    readonly problems: string[];
}

/**
 * Names CI cannot give a tenant: GitHub environments are named after stacks, so a stack called
 * "<other>-preview" or "expiry" would run in another tenant's preview environment or in the expiry one.
 */
function reservedName(stack: string): string | undefined {
    if (stack === "expiry") return "is the name of the expiry workflow's environment";
    if (stack.endsWith("-preview"))
        return `ends in -preview, the suffix of every stack's preview environment (${stack} would be the preview environment of ${stack.slice(0, -8)})`;
    return undefined;
}

export function tenantStacks(projectDir: string): TenantStacks {
    const stacks: string[] = [];
    const problems: string[] = [];
    for (const stack of listStacks(projectDir)) {
        const file = `Pulumi.${stack}.yaml`;
        const reserved = reservedName(stack);
        if (reserved) {
            // Left out: its jobs would run in an environment that holds another stack's credentials.
            problems.push(`${file}: the stack name ${reserved}; rename the stack (pulumi stack rename) and its file. CI leaves it out.`);
            continue;
        }
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
