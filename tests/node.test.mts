/**
 * The Node versions the project claims: package.json "engines" is the range the version check enforces,
 * and an older Node gets one line naming the version needed, from npm test and every npm run tool.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, it } from "node:test";
import { NPM_NODE_OPTIONS } from "./support/cli.mts";
import { PROJECT_DIR, tempDir } from "./support/harness.mts";

const require = createRequire(import.meta.url);
const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
    engines: { node: string };
    scripts: Record<string, string>;
};

/** A stand-in `node` that reports another version, so the check can be run as an old Node would run it. */
function nodeReporting(version: string): string {
    const dir = tempDir("node-");
    const shim = path.join(dir, "pretend.cjs");
    fs.writeFileSync(shim, `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} });\n`);
    return shim;
}

function runCheck(version: string): { status: number | null; stderr: string } {
    const r = spawnSync(
        process.execPath,
        ["--require", nodeReporting(version), "--require", "./tools/shared/preload.cjs", "-e", "console.log('ran')"],
        {
            cwd: PROJECT_DIR,
            encoding: "utf8",
            env: { ...process.env, NODE_OPTIONS: "" },
        },
    );
    return { status: r.status, stderr: r.stderr };
}

describe("the Node versions the project supports", () => {
    it("are the same range in package.json and in the version check", () => {
        const { RANGE } = require(path.join(PROJECT_DIR, "tools/shared/preload.cjs")) as { RANGE: string };
        assert.equal(pkg.engines.node, RANGE);
    });
    for (const version of ["20.20.2", "22.12.0", "22.17.1", "23.5.0", "23.6.0", "24.2.0"]) {
        it(`refuse ${version} in one line naming the versions needed, before any TypeScript is loaded`, () => {
            const r = runCheck(version);
            assert.equal(r.status, 1);
            assert.equal(
                r.stderr,
                `exo-cba needs Node.js ${pkg.engines.node} (Node's type stripping); this is v${version}. Install Node 24 LTS (README: Quick start).\n`,
            );
        });
    }
    for (const version of ["22.18.0", "24.3.0", "25.0.0", "26.12.1"]) {
        it(`admit ${version}`, () => assert.deepEqual(runCheck(version), { status: 0, stderr: "" }));
    }
    it("are checked before every npm script, through the one node-options setting in .npmrc", () => {
        assert.match(NPM_NODE_OPTIONS, /--require=\.\/tools\/shared\/preload\.cjs/);
        for (const [name, line] of Object.entries(pkg.scripts)) {
            assert.ok(!line.includes("--disable-warning"), `${name} repeats a setting that .npmrc holds once`);
        }
        // Nor does any file that starts node itself: it passes NPM_NODE_OPTIONS (tests/support/cli.mts) on.
        const flag = ["--disable", "warning="].join("-");
        const code = ["index.ts", "components", "engine", "tools", "tests", "bench", "policy", ".ci"].flatMap((entry) =>
            fs.statSync(path.join(PROJECT_DIR, entry)).isDirectory()
                ? fs.readdirSync(path.join(PROJECT_DIR, entry), { recursive: true, encoding: "utf8" }).map((f) => path.join(entry, f))
                : [entry],
        );
        const holding = code.filter(
            (f) => fs.statSync(path.join(PROJECT_DIR, f)).isFile() && fs.readFileSync(path.join(PROJECT_DIR, f), "utf8").includes(flag),
        );
        assert.deepEqual(holding, [], "only .npmrc passes node this flag");
    });
    it("reach a process a script starts in another directory (the preload's path made absolute)", () => {
        const elsewhere = tempDir("elsewhere-");
        const r = spawnSync(
            process.execPath,
            [
                "-e",
                `process.exit(require("node:child_process").spawnSync(process.execPath, ["-e", "0"], { cwd: ${JSON.stringify(elsewhere)} }).status)`,
            ],
            { cwd: PROJECT_DIR, env: { ...process.env, NODE_OPTIONS: NPM_NODE_OPTIONS }, encoding: "utf8" },
        );
        assert.equal(r.status, 0, r.stderr);
    });
});
