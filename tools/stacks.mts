/**
 * npm run -s stacks: the tenant stacks CI deploys, as a JSON array for a GitHub Actions matrix.
 *
 * A stack takes part when its Pulumi.<stack>.yaml pins the tenant with azuread:tenantId; the
 * example stack (Pulumi.dev.yaml) does not, so it is left out. Adding a tenant is adding its file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR } from "./lib/engine.mts";
import { listStacks } from "./lib/stackConfig.mts";

export function tenantStacks(projectDir: string): string[] {
    return listStacks(projectDir).filter((stack) => {
        const doc = parse(fs.readFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), "utf8")) as {
            config?: Record<string, unknown>;
        } | null;
        const tenant = doc?.config?.["azuread:tenantId"];
        return typeof tenant === "string" && tenant !== "";
    });
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(tenantStacks(process.argv[2] ?? PROJECT_DIR))}\n`);
