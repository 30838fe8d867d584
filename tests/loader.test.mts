/**
 * The program is loaded exactly as `pulumi up` loads it: @pulumi/pulumi's language-host entry point
 * registers ts-node with the project's tsconfig (type checking included) and runs index.ts inside
 * the stack resource. So mistakes that would break `pulumi up` break here, shown on a copy of the
 * project with one thing changed at a time.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_DIR, run, stackConfig, tempDir } from "./support/harness.mts";

/** Copies the files `pulumi up` needs (node_modules is linked) and applies `change` to the copy. */
function projectCopy(change: (dir: string) => void): string {
    const dir = tempDir("project-");
    for (const entry of ["index.ts", "components", "package.json", "tsconfig.json", "Pulumi.yaml"]) {
        fs.cpSync(path.join(PROJECT_DIR, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    change(dir);
    return dir;
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    edit(json);
    fs.writeFileSync(file, JSON.stringify(json, null, 2));
}

describe("loading the program like the nodejs language host", () => {
    it("runs an unchanged copy of the project (the control for the cases below)", async () => {
        const ev = await run(stackConfig({}), { projectDir: projectCopy(() => undefined), preview: true, typeCheck: true });
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        assert.ok(ev.recording.resources.some((r) => r.type === "exo-cba:exchange:AppOnlyAccess"));
    });

    it("type-checks the program: a type error fails the run with TypeScript's diagnostic", async () => {
        const dir = projectCopy((d) => {
            fs.appendFileSync(path.join(d, "index.ts"), '\nexport const broken: number = "not a number";\n');
        });
        const ev = await run(stackConfig({}), { projectDir: dir, preview: true, typeCheck: true });
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), /TS2322/);
        assert.deepEqual(
            ev.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
    });

    it("compiles with the project's tsconfig: without allowImportingTsExtensions the imports are refused (TS5097)", async () => {
        const dir = projectCopy((d) =>
            editJson(
                path.join(d, "tsconfig.json"),
                (j) => delete (j["compilerOptions"] as Record<string, unknown>)["allowImportingTsExtensions"],
            ),
        );
        const ev = await run(stackConfig({}), { projectDir: dir, preview: true, typeCheck: true });
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), /TS5097/);
    });
});
