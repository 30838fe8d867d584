/**
 * Which stacks CI treats as tenants: those whose stack file pins azuread:tenantId.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { tenantStacks } from "../tools/lib/stacks.mts";
import { PROJECT_DIR, tempDir } from "./support/harness.mts";

describe("tenant stacks for the CI matrix", () => {
    it("lists stacks that pin a tenant, sorted, and leaves out the rest", () => {
        const dir = tempDir("stacks-");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "Pulumi.zeta.yaml"), "config:\n  azuread:tenantId: 11111111-1111-1111-1111-111111111111\n");
        fs.writeFileSync(
            path.join(dir, "Pulumi.alpha.yaml"),
            "config:\n  azuread:tenantId: 22222222-2222-2222-2222-222222222222\n  exo-cba:roles: [Global Reader]\n",
        );
        fs.writeFileSync(
            path.join(dir, "Pulumi.example.yaml"),
            "config:\n  # azuread:tenantId: 00000000-0000-0000-0000-000000000000\n  exo-cba:displayName: x\n",
        );
        fs.writeFileSync(path.join(dir, "Pulumi.empty.yaml"), "");
        assert.deepEqual(tenantStacks(dir), { stacks: ["alpha", "zeta"], problems: [] });
    });
    it("leaves the commented example stack of this repository out", () => {
        assert.ok(!tenantStacks(PROJECT_DIR).stacks.includes("dev"));
    });
});
