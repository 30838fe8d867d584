/**
 * The tenant stacks CI deploys: a stack takes part when its Pulumi.<stack>.yaml pins the tenant with
 * azuread:tenantId; the example stack (Pulumi.dev.yaml) does not, so it is left out. A stack file that
 * cannot be read is listed all the same, with the reason: its own CI job then fails with it, and the
 * other tenants go on.
 */
import * as path from "node:path";
import { StackConfigError, listStacks, parseYaml, readFileCapped } from "../../engine/stackConfig.mts";

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
