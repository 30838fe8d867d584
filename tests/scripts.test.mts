/**
 * Every npm script a user runs, run through npm once (the other tests call the node command a script
 * runs, to save npm's start-up): the script exists, starts, and its --help documents the exit codes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { runTool } from "./support/cli.mts";
import { PROJECT_DIR } from "./support/harness.mts";

describe("the npm scripts", () => {
    for (const script of ["plan", "verify", "export-cert", "check-expiry"]) {
        it(`npm run ${script} -- --help prints the usage and exits 0`, async () => {
            const r = await runTool(script, ["--help"], { viaNpm: true });
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`^usage: npm run ${script} -- `));
            assert.match(r.stdout, /exit codes?:/i);
            assert.equal(r.stderr, "");
        });
    }
    it("npm run -s stacks prints the tenant stacks as JSON", async () => {
        const r = await runTool("stacks", [], { viaNpm: true });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(Array.isArray(JSON.parse(r.stdout)));
    });
    it("a bad option ends in one line and exit code 2, in every tool", async () => {
        const runs = await Promise.all(
            ["plan", "verify", "export-cert", "check-expiry"].map((s) => runTool(s, ["--nope"], { viaNpm: true })),
        );
        for (const r of runs) {
            assert.equal(r.code, 2);
            assert.match(r.stderr, /^error: Unknown option '--nope' \(--help lists the options\)\n$/);
        }
    });
    it("installing the dependencies runs none of their scripts, so the project's node-options never meet another directory", () => {
        // What npm ci does after unpacking: run each package's install scripts in the package's own directory,
        // with .npmrc's node-options. (protobufjs has a postinstall script.)
        const r = spawnSync("npm", ["rebuild", "--foreground-scripts"], { cwd: PROJECT_DIR, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(`${r.stdout}${r.stderr}`, /Cannot find module|error/i);
    });
});
