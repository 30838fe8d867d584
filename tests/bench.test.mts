/**
 * npm run bench refuses what it cannot measure before it measures anything: wrong arguments, a copy of the
 * project that lacks a file, and a minimal program that no longer makes what the program makes (a ratio
 * against a baseline that does less would flatter the program). The measuring itself takes minutes and is
 * run by hand (docs/performance.md).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { runTool } from "./support/cli.mts";
import { PROJECT_DIR, tempDir } from "./support/harness.mts";

/** A copy of what the bench reads (--project), node_modules linked, with `change` applied. */
function benchCopy(change: (dir: string) => void): string {
    const dir = tempDir("bench-project-");
    for (const entry of ["index.ts", "components", "package.json", "tsconfig.json", "Pulumi.yaml", "Pulumi.dev.yaml", "bench"]) {
        fs.cpSync(path.join(PROJECT_DIR, entry), path.join(dir, entry), { recursive: true });
    }
    fs.mkdirSync(path.join(dir, "tests", "fixtures", "stacks"), { recursive: true });
    fs.copyFileSync(
        path.join(PROJECT_DIR, "tests", "fixtures", "stacks", "Pulumi.keyvault.yaml"),
        path.join(dir, "tests", "fixtures", "stacks", "Pulumi.keyvault.yaml"),
    );
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    change(dir);
    return dir;
}

describe("npm run bench, before it measures", () => {
    it("refuses a number of runs outside 1 to 999 and an unknown option, with exit code 2", async () => {
        for (const args of [
            ["--runs", "0"],
            ["--runs", "1000"],
            ["--runs", "nine"],
            ["--fast"],
            ["--fleet-tenants", "5"],
            ["--fleet-tenants", "many"],
        ]) {
            const r = await runTool("bench", args);
            assert.equal(r.code, 2, args.join(" "));
            assert.match(r.stderr, /usage: npm run bench/);
            assert.equal(r.stdout, "");
        }
    });

    it("refuses a --project that is not a whole copy of the project, naming the missing file", async () => {
        const dir = benchCopy((d) => fs.rmSync(path.join(d, "bench", "floor"), { recursive: true }));
        const r = await runTool("bench", ["--project", dir]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /has no bench\/floor\/index\.ts/);
    });

    it("stops with exit code 1, naming the difference, when the minimal program registers other inputs than the program", async () => {
        const dir = benchCopy((d) => {
            const file = path.join(d, "bench", "minimal", "index.ts");
            const text = fs.readFileSync(file, "utf8");
            assert.ok(text.includes("rsaBits: 2048"));
            fs.writeFileSync(file, text.replace("rsaBits: 2048", "rsaBits: 3072"));
        });
        const r = await runTool("bench", ["--project", dir, "--runs", "1"], { timeoutMs: 120_000 });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /bench\/minimal no longer makes what the program makes/);
        assert.match(
            r.stderr,
            /tls:index\/privateKey:PrivateKey exo-initial-key has other inputs: program .*"rsaBits":2048.*, minimal .*"rsaBits":3072/,
        );
        assert.equal(r.stdout, "", "nothing measured");
    });
});
