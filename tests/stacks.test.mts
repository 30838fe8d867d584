/**
 * Which stacks CI treats as tenants: those whose stack file pins azuread:tenantId.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { tenantStacks } from "../tools/stacks/tenantStacks.mts";
import { runTool } from "./support/cli.mts";
import { PROJECT_DIR, tempDir } from "./support/harness.mts";

const TENANT = "config:\n  azuread:tenantId: 22222222-2222-2222-2222-222222222222\n";

/** A project directory holding Pulumi.yaml and these stack files (name → text, TENANT by default). */
function project(files: Record<string, string>): string {
    const dir = tempDir("stacks-");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
}

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
        assert.deepEqual(tenantStacks(dir), { stacks: ["alpha", "zeta"], problems: [], leftOut: [], homes: {} });
    });
    it("leaves the commented example stack of this repository out", () => {
        assert.ok(!tenantStacks(PROJECT_DIR).stacks.includes("dev"));
    });
});

describe("stack names GitHub environments would confuse", () => {
    // "Environment names are not case sensitive" (GitHub docs, Managing environments for deployment).
    it("reserves expiry and <name>-preview in any letter case", () => {
        const dir = project({ "Pulumi.contoso.yaml": TENANT, "Pulumi.Contoso-PREVIEW.yaml": TENANT, "Pulumi.EXPIRY.yaml": TENANT });
        const { stacks, problems } = tenantStacks(dir);
        assert.deepEqual(stacks, ["contoso"]);
        assert.equal(problems.length, 2, problems.join("\n"));
        assert.match(problems[0], /^Pulumi\.Contoso-PREVIEW\.yaml: the stack name ends in -preview.*CI leaves it out\.$/);
        assert.match(problems[1], /^Pulumi\.EXPIRY\.yaml: the stack name is the name of the expiry workflow's environment/);
    });
    it("leaves out stacks whose names differ only in letter case, naming both files: they would share one environment", () => {
        const dir = project({ "Pulumi.Contoso.yaml": TENANT, "Pulumi.contoso.yaml": TENANT, "Pulumi.fabrikam.yaml": TENANT });
        const { stacks, problems } = tenantStacks(dir);
        assert.deepEqual(stacks, ["fabrikam"]);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            /^Pulumi\.Contoso\.yaml and Pulumi\.contoso\.yaml: .*letter case.* one GitHub environment.*CI leaves them out\.$/,
        );
    });
    it("does not count a stack without a tenant as a collision: CI gives it no environment", () => {
        const dir = project({ "Pulumi.Dev.yaml": TENANT, "Pulumi.dev.yaml": "config:\n  exo-cba:displayName: x\n" });
        assert.deepEqual(tenantStacks(dir), { stacks: ["Dev"], problems: [], leftOut: [], homes: {} });
    });
});

describe("stack files the Pulumi CLI would not read as a stack", () => {
    it("reads only Pulumi.<stack>.yaml, the project file's extension: a .yml twin is no second stack, a lone .yml no stack", () => {
        const dir = project({ "Pulumi.dup.yaml": TENANT, "Pulumi.dup.yml": TENANT, "Pulumi.only.yml": TENANT });
        const { stacks, problems } = tenantStacks(dir);
        assert.deepEqual(stacks, ["dup"]);
        assert.ok(!problems.some((p) => /cannot read/.test(p)), problems.join("\n"));
        assert.deepEqual(
            problems.map((p) => p.split(":")[0]),
            ["Pulumi.dup.yml", "Pulumi.only.yml"],
        );
        assert.match(problems[1], /Pulumi reads Pulumi\.<stack>\.yaml .*; CI leaves it out\.$/);
    });
    it("reports a file whose stack name Pulumi refuses, quoted and escaped, and never lists it", () => {
        const bad = ["a b", "x$(id)", "esc\u001b[2J\u202e", "nl\nname", "", "..", "y".repeat(101), "ü"];
        const files: Record<string, string> = { "Pulumi.ok.yaml": TENANT };
        for (const s of bad) files[`Pulumi.${s}.yaml`] = TENANT;
        const dir = project(files);
        const { stacks, problems } = tenantStacks(dir);
        assert.deepEqual(stacks, ["ok"]);
        assert.equal(problems.length, bad.length, problems.join("\n"));
        for (const p of problems) {
            assert.match(
                p,
                /^"Pulumi\..*(?:\.yaml"|\.\.\.): not a usable stack name \(1 to 100 letters, digits, hyphens, underscores or periods, not periods alone\); CI leaves it out\.$/,
            );
            // eslint-disable-next-line no-control-regex
            assert.doesNotMatch(p, /[\u0000-\u001f\u202e]/, "a raw control character in a problem");
            assert.ok(p.length < 250, p);
        }
    });
});

describe("npm run stacks, its arguments", () => {
    it("--help prints the usage with the exit codes", async () => {
        const r = await runTool("stacks", ["--help"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^usage: npm run stacks -- \[--rotating\] \[--shard <k\/n> \| --shards <size>\] \[<project directory>\]\n/);
        assert.match(r.stdout, /exit codes: 0 .*, 2 /);
        assert.equal(r.stderr, "");
    });
    it("refuses, in one line with exit code 2, a directory that is missing, a file, a directory without Pulumi.yaml, extra arguments and unknown options", async () => {
        const dir = project({ "Pulumi.alpha.yaml": TENANT });
        const empty = tempDir("stacks-");
        const cases: [string[], RegExp][] = [
            [[path.join(dir, "nope")], /^error: cannot read the project directory .*nope: no such file\n$/],
            [[path.join(dir, "Pulumi.yaml")], /^error: the project directory .*Pulumi\.yaml is not a directory\n$/],
            [[empty], /^error: .* has no Pulumi\.yaml: not a Pulumi project directory\n$/],
            [[dir, dir], /^error: expected at most one argument, the project directory \(got 2; --help lists the options\)\n$/],
            [["--nope"], /^error: Unknown option '--nope' \(--help lists the options\)\n$/],
        ];
        for (const [args, message] of cases) {
            const r = await runTool("stacks", args);
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, message);
            assert.equal(r.stdout, "", "nothing printed for the matrix");
        }
    });
    it("prints the list as before, and reports each problem as one annotation under GitHub Actions, exit code 0", async () => {
        const dir = project({
            "Pulumi.alpha.yaml": TENANT,
            "Pulumi.beta.yaml": TENANT,
            "Pulumi.a b.yaml": TENANT,
            "Pulumi.Expiry.yaml": TENANT,
        });
        const r = await runTool("stacks", [dir], { env: { GITHUB_ACTIONS: "true" } });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '["alpha","beta"]\n');
        assert.deepEqual(
            r.stderr
                .trimEnd()
                .split("\n")
                .map((l) => l.replace(/^(::error title=[^:]*)::.*$/, "$1")),
            ["::error title=Stack file left out", "::error title=Stack file left out"],
        );
        const plain = await runTool("stacks", [dir], { env: { GITHUB_ACTIONS: "" } });
        assert.match(plain.stderr, /^warning: "Pulumi\.a b\.yaml": not a usable stack name/m);
    });

    it("--rotating leaves out customer stacks, whose home rotates their certificates (the expiry workflow's list)", async () => {
        const dir = project({
            "Pulumi.home.yaml": TENANT,
            "Pulumi.fabrikam.yaml": `${TENANT}  exo-cba:home: contoso-msp/exo-cba/home\n`,
            "Pulumi.tailspin.yaml": TENANT,
        });
        assert.equal((await runTool("stacks", [dir])).stdout, '["fabrikam","home","tailspin"]\n');
        const rotating = await runTool("stacks", ["--rotating", dir]);
        assert.equal(rotating.code, 0, rotating.stderr);
        assert.equal(rotating.stdout, '["home","tailspin"]\n');
    });

    it("--shard k/n lists the k-th of n contiguous parts; --shards <size> the parts a size needs", async () => {
        const files: Record<string, string> = {};
        for (const n of ["a", "b", "c", "d", "e"]) files[`Pulumi.${n}.yaml`] = TENANT;
        const dir = project(files);
        const parts = await Promise.all(["1/2", "2/2"].map((s) => runTool("stacks", ["--shard", s, dir])));
        assert.deepEqual(
            parts.map((r) => JSON.parse(r.stdout) as string[]),
            [
                ["a", "b", "c"],
                ["d", "e"],
            ],
        );
        assert.equal((await runTool("stacks", ["--shards", "2", dir])).stdout, '["1/3","2/3","3/3"]\n');
        assert.equal((await runTool("stacks", ["--shards", "5", dir])).stdout, '["1/1"]\n');
        for (const [args, pattern] of [
            [["--shard", "3/2"], /--shard must be k\/n/],
            [["--shard", "0/2"], /--shard must be k\/n/],
            [["--shard", "1/2", "--shards", "2"], /choose one of --shard and --shards/],
            [["--shards", "0"], /--shards must be the most stacks in one part, 1 to 256/],
        ] as const) {
            const r = await runTool("stacks", [...args, dir]);
            assert.equal(r.code, 2, args.join(" "));
            assert.match(r.stderr, pattern);
        }
    });
});
