/**
 * Stack files as a careless or hostile person writes them: every one ends in one line naming the file
 * and what is wrong, exit code 2, nothing run and no stack trace, for `npm run plan` and `npm run stacks`.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { StackConfigError, readProjectFile, resolveStackConfig } from "../engine/stackConfig.mts";
import { tenantStacks } from "../tools/lib/stacks.mts";
import { runTool } from "./support/cli.mts";
import { PROJECT_DIR, tempDir } from "./support/harness.mts";

const ALIAS_BOMB = [
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    ...Array.from({ length: 8 }, (_, i) => {
        const prev = String.fromCharCode(97 + i);
        const next = String.fromCharCode(98 + i);
        return `${next}: &${next} [${Array(10).fill(`*${prev}`).join(", ")}]`;
    }),
    "config:",
    "  exo-cba:displayName: x",
].join("\n");

/** [what, file text, the message's key part] */
const BROKEN: [string, string, RegExp][] = [
    ["a YAML syntax error", "config:\n  exo-cba:roles: [Global Reader,\n", /is not valid YAML at line \d+, column \d+/],
    [
        "a duplicate key",
        "config:\n  exo-cba:displayName: a\n  exo-cba:displayName: b\n",
        /is not valid YAML at line 3, column 3: Map keys must be unique/,
    ],
    ["an alias bomb", ALIAS_BOMB, /too many YAML aliases \(refused as a resource exhaustion attack\)/],
    ["a top level that is a string", "just some text\n", /must hold a YAML mapping \(keys such as config:\), not a string/],
    ["a top level that is a list", "- config\n- x\n", /must hold a YAML mapping \(keys such as config:\), not a list/],
    ["a config that is a list", "config:\n  - exo-cba:displayName\n", /config must be a mapping of keys to values/],
    [
        "tabs as indentation",
        "config:\n\texo-cba:displayName: x\n",
        /is not valid YAML at line 2, column 1: Tabs are not allowed as indentation/,
    ],
];

function stackFile(text: string): string {
    const file = path.join(tempDir("stackfile-"), "Pulumi.broken.yaml");
    fs.writeFileSync(file, text);
    return file;
}

describe("stack files the offline engine refuses", () => {
    for (const [what, text, message] of BROKEN) {
        it(`${what}: one line naming the file`, () => {
            assert.throws(
                () => resolveStackConfig(readProjectFile(PROJECT_DIR), "broken", text, "Pulumi.broken.yaml"),
                (e: Error) =>
                    e instanceof StackConfigError &&
                    e.unreadable &&
                    /^Pulumi\.broken\.yaml[: ]/.test(e.message) &&
                    message.test(e.message) &&
                    !e.message.includes("\n"),
            );
        });
    }
});

describe("npm run plan with a broken stack file", () => {
    it("prints one line naming the file, exit code 2, nothing run", async () => {
        const results = await Promise.all(
            BROKEN.slice(0, 3).map(([, text]) =>
                runTool("plan", ["--stack", "broken", "--config-file", stackFile(text)], { viaNpm: false }),
            ),
        );
        results.forEach((r, i) => {
            assert.equal(r.code, 2, BROKEN[i][0]);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, /^error: Pulumi\.broken\.yaml is not valid YAML.*\n$/);
            assert.ok(!/\n\s+at /.test(r.stderr), "a stack trace was printed");
        });
    });
    it("refuses a directory, a missing file and a file over 1 MiB (a 30 MB value) by name", async () => {
        const dir = tempDir("stackdir-");
        const big = stackFile(`config:\n  exo-cba:displayName: ${"x".repeat(30 * 1024 * 1024)}\n`);
        const [directory, missing, huge] = await Promise.all([
            runTool("plan", ["--stack", "broken", "--config-file", dir], { viaNpm: false }),
            runTool("plan", ["--stack", "broken", "--config-file", path.join(dir, "nope.yaml")], { viaNpm: false }),
            runTool("plan", ["--stack", "broken", "--config-file", big], { viaNpm: false }),
        ]);
        assert.deepEqual([directory.code, missing.code, huge.code], [2, 2, 2]);
        assert.equal(directory.stderr, `error: ${dir} is a directory, not a stack configuration file\n`);
        assert.equal(missing.stderr, `error: cannot read ${path.join(dir, "nope.yaml")}: no such file\n`);
        assert.match(huge.stderr, /^error: .*Pulumi\.broken\.yaml is 30\d{3} KiB; a stack configuration file is at most 1024 KiB\n$/);
    });
    it("refuses --stack values that would reach outside the project, before reading anything", async () => {
        for (const stack of ["../etc/passwd", "a/b", "..", "/etc/x", "dev\nx"]) {
            const r = await runTool("plan", ["--stack", stack], { viaNpm: false });
            assert.equal(r.code, 2, stack);
            assert.match(
                r.stderr,
                /^error: --stack must be a stack name: 1 to 100 letters, digits, hyphens, underscores or periods, not periods alone \(got .*\)\n$/,
            );
        }
    });
});

describe("npm run stacks with a stack name CI's environments reserve", () => {
    it("leaves out expiry and <name>-preview, saying why: their jobs would run in another environment", () => {
        const dir = tempDir("stacks-");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
        for (const stack of ["contoso", "contoso-preview", "expiry"]) {
            fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "config:\n  azuread:tenantId: 22222222-2222-2222-2222-222222222222\n");
        }
        const { stacks, problems } = tenantStacks(dir);
        assert.deepEqual(stacks, ["contoso"]);
        assert.equal(problems.length, 2);
        assert.match(problems[0], /^Pulumi\.contoso-preview\.yaml: the stack name ends in -preview.*CI leaves it out\.$/);
        assert.match(problems[1], /^Pulumi\.expiry\.yaml: the stack name is the name of the expiry workflow's environment/);
    });
});

describe("npm run stacks with a broken stack file", () => {
    it("reports it by name and goes on: the other tenants are still listed, the broken one too, so its own job fails", async () => {
        const dir = tempDir("stacks-");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "Pulumi.alpha.yaml"), "config:\n  azuread:tenantId: 22222222-2222-2222-2222-222222222222\n");
        fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), BROKEN[1][1]);
        fs.writeFileSync(path.join(dir, "Pulumi.list.yaml"), "- a\n");
        assert.deepEqual(tenantStacks(dir).stacks, ["alpha", "broken", "list"]);
        const r = await runTool("stacks", [dir], { viaNpm: false, env: { GITHUB_ACTIONS: "true" } });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '["alpha","broken","list"]\n');
        assert.deepEqual(r.stderr.trimEnd().split("\n"), [
            "::error title=Unreadable stack file::Pulumi.broken.yaml is not valid YAML at line 3, column 3: Map keys must be unique",
            "::error title=Unreadable stack file::Pulumi.list.yaml must hold a YAML mapping (keys such as config:), not a list",
        ]);
    });
});
