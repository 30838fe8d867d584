/**
 * The program is loaded exactly as `pulumi up` loads it: @pulumi/pulumi's language-host entry point
 * registers ts-node with the project's tsconfig (type checking included) and runs index.ts inside
 * the stack resource. So mistakes that would break `pulumi up` break here, shown on a copy of the
 * project with one thing changed at a time.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
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

describe("the engine's transpile cache (engine/transpileCache.cjs)", () => {
    /** A module whose throw is on line 7 of its TypeScript, and on another line of what ts-node makes of it. */
    const SOURCE = [
        "interface Unused {",
        "    a: string;",
        "    b: number;",
        "}",
        "const x: Unused | undefined = undefined;",
        "export function boom(): never {",
        "    throw new Error(`boom ${String(x)}`);",
        "}",
        "boom();",
        "",
    ].join("\n");

    /**
     * Loads the module as the Pulumi loader has ts-node load a program, with the cache and `tsnode` as
     * ts-node's own options; the frame of the throw, its message, or ts-node's refusal.
     */
    function load(file: string, cache: string, transpileOnly: boolean, what: "frame" | "message" = "frame", tsnode: object = {}): string {
        const options = { transpileOnly, project: path.join(PROJECT_DIR, "tsconfig.json"), ...tsnode };
        const script = `
            require("ts-node").register({ ...${JSON.stringify(options)},
                compilerOptions: { module: "nodenext", moduleResolution: "nodenext", sourceMap: true } });
            try { require(${JSON.stringify(file)}); } catch (e) {
                process.stdout.write(e.diagnosticCodes ? "TSError " + e.diagnosticCodes.join(",") : ${what === "frame" ? 'e.stack.split("\\n")[1]' : "e.message"});
            }`;
        const r = spawnSync(process.execPath, ["--require", path.join(PROJECT_DIR, "engine", "transpileCache.cjs"), "-e", script], {
            cwd: PROJECT_DIR,
            // ts-node's own cache of the compiler (v8-compile-cache-lib) would go to the shared <tmpdir>/v8-compile-cache-<uid>.
            env: { ...process.env, NODE_OPTIONS: "", EXO_CBA_TRANSPILE_CACHE: cache, DISABLE_V8_COMPILE_CACHE: "1" },
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
    }

    it("hands back ts-node's output for the same file, and stack traces still point into the TypeScript", () => {
        const dir = tempDir("transpile-");
        const file = path.join(dir, "thrower.ts");
        fs.writeFileSync(file, SOURCE);
        const cache = path.join(dir, "cache");
        const first = load(file, cache, true);
        assert.match(first, /thrower\.ts:7:\d+\)?$/, "ts-node itself maps the frame");
        const stored = fs.readdirSync(cache);
        assert.equal(stored.length, 1, "one file, one entry");
        // The second load is answered from the cache (made visibly different, to be sure it was read).
        const entry = path.join(cache, stored[0]);
        fs.writeFileSync(entry, fs.readFileSync(entry, "utf8").replace("`boom ", "`cached boom "));
        const second = load(file, cache, true);
        assert.match(second, /thrower\.ts:7:\d+\)?$/, "a cached file is mapped too");
        assert.match(load(file, cache, true, "message"), /^cached boom undefined$/, "the second load was the cache's");
        // Another text is another entry.
        fs.writeFileSync(file, SOURCE.replace("boom();", "boom(); // changed"));
        load(file, cache, true);
        assert.equal(fs.readdirSync(cache).length, 2);
    });
    it("keys on ts-node's own settings: an error they let through comes back once they no longer do", () => {
        const dir = tempDir("transpile-");
        const file = path.join(dir, "octal.ts");
        // TS1489, a syntax error transpile-only reports too; ts-node can be told to ignore it.
        fs.writeFileSync(file, "export const s = 08;\nthrow new Error(`loaded ${s}`);\n");
        const cache = path.join(dir, "cache");
        assert.equal(load(file, cache, true, "message", { ignoreDiagnostics: [1489] }), "loaded 8");
        assert.equal(fs.readdirSync(cache).length, 1);
        assert.equal(load(file, cache, true, "message"), "TSError 1489", "not the output cached under other settings");
        // With logError ts-node prints such errors instead of throwing: every load must print them, so none is cached.
        const logged = path.join(dir, "logged");
        load(file, logged, true, "message", { logError: true });
        assert.ok(!fs.existsSync(logged));
    });
    it("is read and written only when ts-node does not type-check", () => {
        const dir = tempDir("transpile-");
        const file = path.join(dir, "thrower.ts");
        fs.writeFileSync(file, SOURCE);
        const cache = path.join(dir, "cache");
        load(file, cache, false);
        assert.ok(!fs.existsSync(cache), "nothing stored for a type-checked load");
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
            assert.ok(fs.readdirSync(path.join(dir, "transpile-cache")).length > 0, "the program's files were kept");
        } finally {
            if (before === undefined) delete process.env["TMPDIR"];
            else process.env["TMPDIR"] = before;
        }
    });
});
