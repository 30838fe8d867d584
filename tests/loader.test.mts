/**
 * The program is loaded exactly as `pulumi up` loads it: Pulumi.yaml says `typescript: false`, so the nodejs
 * language host registers no ts-node and @pulumi/pulumi's entry point imports index.ts as the ES module it is
 * ("type": "module"), Node stripping the types; a sole default export is the stack's outputs
 * (pulumi/pulumi sdk/nodejs/cmd/run/run.ts). Shown on a copy of the project with one thing changed at a
 * time, so that what would break `pulumi up` breaks here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_DIR, projectCopy, run, stackConfig, tempDir } from "./support/harness.mts";

/** A copy of the project (support/harness.mts projectCopy) with `change` applied to it. */
function changedCopy(change: (dir: string) => void): string {
    const dir = projectCopy();
    change(dir);
    return dir;
}

function editText(file: string, edit: (text: string) => string): void {
    fs.writeFileSync(file, edit(fs.readFileSync(file, "utf8")));
}

describe("loading the program like the nodejs language host", () => {
    it("runs an unchanged copy of the project, without ts-node (the control for the cases below)", async () => {
        const ev = await run(stackConfig({}), { projectDir: changedCopy(() => undefined), preview: true, recordModules: true });
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        assert.equal(ev.stderr, "", "no warning from Node or the loader");
        assert.ok(ev.recording.resources.some((r) => r.type === "exo-cba:exchange:AppOnlyAccess"));
        assert.ok(ev.modules?.includes("index.ts"), "the program's own file, loaded as an ES module");
        // (@pulumi/pulumi itself loads TypeScript's parser, for closure serialization: the minimal program's process too.)
        assert.deepEqual(
            ev.modules?.filter((m) => m.includes("node_modules/ts-node/")),
            [],
            "ts-node is not loaded",
        );
    });

    it("loads no module of any package beyond what the hand-minimal program (bench/minimal) loads the same way", async () => {
        // The provider packages come through require: an ES module import of @pulumi/azuread would read every
        // export and so load every lazily loaded resource module of the package (83 instead of 9).
        const [program, minimal] = await Promise.all([
            run(stackConfig({}), { preview: true, recordModules: true }),
            // The same way: natively, as Pulumi.yaml has it (bench/minimal has no Pulumi.yaml, and ts-node would
            // load packages of its own that the program could then load unseen).
            run(stackConfig({}), {
                projectDir: path.join(PROJECT_DIR, "bench", "minimal"),
                runtime: { typescript: false, nodeargs: [] },
                preview: true,
                recordModules: true,
            }),
        ]);
        assert.equal(program.failed, false, program.errors.join("\n"));
        assert.equal(minimal.failed, false, minimal.errors.join("\n"));
        const packageModules = (modules: readonly string[] | undefined) =>
            (modules ?? []).map((m) => /node_modules\/(.*)$/.exec(m)?.[1]).filter((m): m is string => m !== undefined);
        const theirs = new Set(packageModules(minimal.modules));
        assert.ok(theirs.has("@pulumi/azuread/applicationRegistration.js"), "the minimal program's modules were recorded");
        assert.deepEqual(
            packageModules(program.modules).filter((m) => !theirs.has(m)),
            [],
        );
        assert.deepEqual(
            (program.modules ?? []).filter((m) => m.startsWith("components/runners.ts")),
            [],
            "the host table is the tools' and the docs', not the program's",
        );
    });

    it("records the modules of a program Pulumi loads by its default (ts-node), as the bench's default row does", async () => {
        // ts-node's ES module hooks are asynchronous (module.register); Node 22 cannot put a synchronous hook
        // in front of them, so bench/usage.cjs must not try.
        const minimal = await run(stackConfig({}), {
            projectDir: path.join(PROJECT_DIR, "bench", "minimal"),
            runtime: { typescript: true, nodeargs: [] },
            preview: true,
            recordModules: true,
        });
        assert.equal(minimal.failed, false, minimal.errors.join("\n") + minimal.stderr);
        assert.ok(minimal.modules?.includes("../../node_modules/ts-node/dist/index.js"), "loaded by ts-node");
        assert.ok(minimal.modules?.includes("../../node_modules/@pulumi/azuread/applicationRegistration.js"));
    });

    it("strips the types without checking them: a type error runs (npm run typecheck and the workflows stop it)", async () => {
        const dir = changedCopy((d) =>
            editText(path.join(d, "components", "rotation.ts"), (t) => `${t}\nexport const broken: number = "not a number";\n`),
        );
        const ev = await run(stackConfig({}), { projectDir: dir, preview: true });
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        assert.ok(ev.recording.resources.some((r) => r.type === "exo-cba:exchange:AppOnlyAccess"));
    });

    it("refuses TypeScript that Node cannot strip (an enum): the run fails, naming it", async () => {
        const dir = changedCopy((d) =>
            editText(path.join(d, "components", "rotation.ts"), (t) => `${t}\nexport enum Unstrippable { A }\n`),
        );
        const ev = await run(stackConfig({}), { projectDir: dir, preview: true });
        assert.equal(ev.failed, true);
        assert.match(
            ev.errors.join("\n") + ev.stderr,
            /ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX|TypeScript enum is not supported in strip-only mode/,
        );
    });

    it("takes the module's one default export as the stack's outputs, and refuses a named export beside it", async () => {
        const dir = changedCopy((d) => fs.appendFileSync(path.join(d, "index.ts"), "\nexport const extra = 1;\n"));
        const ev = await run(stackConfig({}), { projectDir: dir, preview: true });
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), /expected entrypoint module to have either a default export or named exports but not both/);
    });

    it("passes Pulumi.yaml's nodeargs to node before the entry point, as the language host does", async () => {
        const dir = changedCopy((d) => {
            fs.writeFileSync(
                path.join(d, "probe.cjs"),
                `require("node:fs").writeFileSync(${JSON.stringify(path.join(d, "probed"))}, process.execArgv.join(" "));\n`,
            );
            editText(path.join(d, "Pulumi.yaml"), (t) =>
                t.replace(
                    "    typescript: false",
                    `    typescript: false\n    nodeargs: --require "${path.join(d, "probe.cjs")}" --max-old-space-size=512`,
                ),
            );
        });
        const ev = await run(stackConfig({}), { projectDir: dir, preview: true });
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        assert.equal(
            fs.readFileSync(path.join(dir, "probed"), "utf8"),
            `--require ${path.join(dir, "probe.cjs")} --max-old-space-size=512`,
        );
    });

    it("registers ts-node where Pulumi.yaml asks for it: typescript: true type-checks, and a type error stops the run", async () => {
        const dir = changedCopy((d) => {
            editText(path.join(d, "Pulumi.yaml"), (t) => t.replace("    typescript: false", "    typescript: true"));
            editText(path.join(d, "components", "rotation.ts"), (t) => `${t}\nexport const broken: number = "not a number";\n`);
        });
        const ev = await run(stackConfig({}), { projectDir: dir, preview: true });
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n") + ev.stderr, /TS2322/);
    });
});

describe("the engine's caches", () => {
    it("are kept only in a directory of this account's that nobody else may write to", async () => {
        const tmp = tempDir("tmpdir-");
        const dir = path.join(tmp, `exo-cba-${process.getuid?.() ?? os.userInfo().username}`);
        const before = process.env["TMPDIR"];
        process.env["TMPDIR"] = tmp;
        try {
            fs.mkdirSync(dir, { mode: 0o777 });
            fs.chmodSync(dir, 0o777); // as another account could have left it, waiting for this one's next run
            const open = await run(stackConfig({}));
            assert.equal(open.failed, false, open.stderr);
            assert.deepEqual(fs.readdirSync(dir), [], "nothing read from or written to a directory others may write to");
            fs.chmodSync(dir, 0o700);
            const own = await run(stackConfig({}));
            assert.equal(own.failed, false, own.stderr);
            assert.ok(fs.readdirSync(path.join(dir, "compile-cache")).length > 0, "V8's compiled code was kept");
        } finally {
            if (before === undefined) delete process.env["TMPDIR"];
            else process.env["TMPDIR"] = before;
        }
    });
});
