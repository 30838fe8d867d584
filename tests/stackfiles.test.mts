/**
 * Stack files as a careless or hostile person writes them: every one ends in one line naming the file
 * and what is wrong, exit code 2, nothing run and no stack trace, for `npm run plan` and `npm run stacks`.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { StackConfigError, loadStackConfig, readProjectFile, resolveStackConfig } from "../engine/stackConfig.mts";
import { tenantStacks } from "../tools/stacks/tenantStacks.mts";
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
    [
        "a list nested 100,000 deep",
        `config:\n  exo-cba:roles: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
        /is not valid YAML at line 2, column \d+: nested too deeply \(hundreds of levels of lists or maps\) to read; no stack file needs more than a few$/,
    ],
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

/**
 * Stack files in the encodings an editor can save: the Pulumi CLI reads them with gopkg.in/yaml.v3, which
 * takes UTF-8 (with or without a byte order mark) and UTF-16 with a byte order mark, and refuses anything
 * else (readerc.go: yaml_parser_determine_encoding, yaml_parser_update_buffer).
 */
const NON_ASCII = "Zürich 交换 \u{1f511}";
const UTF8_TEXT = `# ${NON_ASCII}\nconfig:\n  exo-cba:displayName: ${NON_ASCII}\n  azuread:tenantId: 22222222-2222-2222-2222-222222222222\n`;

/** `text` as UTF-16 with a byte order mark, little- or big-endian (what Windows "Unicode" saves is little-endian). */
function utf16(text: string, endian: "le" | "be"): Buffer {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    return endian === "le" ? le : Buffer.from(le).swap16();
}

/** Writes `bytes` as Pulumi.<stack>.yaml in a fresh project directory (this project's Pulumi.yaml beside it). */
function projectWith(stack: string, bytes: Buffer | string): string {
    const dir = tempDir("encoding-");
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), bytes);
    return dir;
}

/** [what, the file's bytes, the message after "Pulumi.broken.yaml "] */
const UNREADABLE: [string, Buffer, RegExp][] = [
    [
        "a byte that never starts a character (0xFF)",
        Buffer.from("config:\n  exo-cba:displayName: a\xffb\n", "latin1"),
        /^is not valid UTF-8 \(byte 0xFF at line 2\)/,
    ],
    [
        "a Latin-1 file (é as 0xE9)",
        Buffer.from("config:\n  exo-cba:displayName: Jos\xe9\n", "latin1"),
        /^is not valid UTF-8 \(byte 0xE9 at line 2\)/,
    ],
    [
        "a continuation byte on its own",
        Buffer.from([...Buffer.from("config: \x80\n", "latin1")]),
        /^is not valid UTF-8 \(byte 0x80 at line 1\)/,
    ],
    [
        "a character cut off at the end",
        Buffer.concat([Buffer.from("config:\n  a: "), Buffer.from("交").subarray(0, 2)]),
        /^is not valid UTF-8 \(byte 0xE4 at line 2\)/,
    ],
    ["an overlong encoding (0xC0 0x80)", Buffer.from([0x61, 0x3a, 0x20, 0xc0, 0x80, 0x0a]), /^is not valid UTF-8 \(byte 0xC0 at line 1\)/],
    [
        "a surrogate written as UTF-8",
        Buffer.from([0x61, 0x3a, 0x20, 0xed, 0xa0, 0x80, 0x0a]),
        /^is not valid UTF-8 \(byte 0xED at line 1\)/,
    ],
    [
        "a code point beyond U+10FFFF",
        Buffer.from([0x61, 0x3a, 0x20, 0xf4, 0x90, 0x80, 0x80, 0x0a]),
        /^is not valid UTF-8 \(byte 0xF4 at line 1\)/,
    ],
    [
        "UTF-16 without a byte order mark",
        Buffer.from("config:\n  exo-cba:displayName: x\n", "utf16le"),
        /^looks like UTF-16 without a byte order mark/,
    ],
    [
        "UTF-16 big-endian without a byte order mark",
        Buffer.from(Buffer.from("config: {}\n", "utf16le")).swap16(),
        /^looks like UTF-16 without a byte order mark/,
    ],
    [
        "UTF-32 with a byte order mark",
        Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0, 0x3a, 0, 0, 0]),
        /^is UTF-32, which the Pulumi CLI does not read/,
    ],
    [
        "UTF-16 that ends inside a character",
        Buffer.concat([utf16("config: {}\n", "le"), Buffer.from([0x61])]),
        /^is not valid UTF-16: it ends in the middle of a character/,
    ],
    [
        "UTF-16 with a lone surrogate",
        Buffer.concat([utf16("a: ", "le"), Buffer.from([0x00, 0xd8, 0x0a, 0x00])]),
        /^is not valid UTF-16: a lone surrogate at line 1/,
    ],
    [
        "a raw escape character",
        Buffer.from("config:\n  exo-cba:displayName: a\u001b[31mb\n"),
        /^holds U\+001B \(a control character\) at line 2, column 25/,
    ],
    ["a raw NUL", Buffer.from("config:\n  exo-cba:displayName: a\u0000b\n"), /^holds U\+0000 \(a control character\) at line 2/],
    ["a raw C1 control (CSI)", Buffer.from("config: \u009b\n"), /^holds U\+009B \(a control character\) at line 1, column 9/],
    ["a raw DEL", Buffer.from("config: \u007f\n"), /^holds U\+007F \(a control character\) at line 1/],
    ["a non-character (U+FFFF)", Buffer.from("config: \uffff\n"), /^holds U\+FFFF \(a non-character\) at line 1, column 9/],
];

describe("stack files that are not text the Pulumi CLI reads", () => {
    for (const [what, bytes, message] of UNREADABLE) {
        it(`${what}: refused in one line naming the file, never read with replacement characters`, () => {
            const dir = projectWith("broken", bytes);
            assert.throws(
                () => loadStackConfig(dir, "broken"),
                (e: Error) =>
                    e instanceof StackConfigError &&
                    e.unreadable &&
                    e.message.startsWith("Pulumi.broken.yaml ") &&
                    message.test(e.message.slice("Pulumi.broken.yaml ".length)) &&
                    !e.message.includes("\n") &&
                    !e.message.includes("\ufffd"),
            );
        });
    }
    it("a Pulumi.yaml that is not valid UTF-8 is refused the same way", () => {
        const dir = projectWith("ok", "config: {}\n");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), Buffer.from("name: exo-cba\nruntime: nodejs\ndescription: caf\xe9\n", "latin1"));
        assert.throws(() => readProjectFile(dir), /^Error: Pulumi\.yaml is not valid UTF-8 \(byte 0xE9 at line 3\)/);
    });
});

describe("stack files the Pulumi CLI reads in another encoding", () => {
    const expected = resolveStackConfig(readProjectFile(PROJECT_DIR), "enc", UTF8_TEXT).config;
    for (const [what, bytes] of [
        ["UTF-8 with a byte order mark (Windows PowerShell 5.1's Out-File -Encoding utf8)", Buffer.from(`\ufeff${UTF8_TEXT}`)],
        ['UTF-16 little-endian with a byte order mark (Windows Notepad\'s "Unicode")', utf16(UTF8_TEXT, "le")],
        ["UTF-16 big-endian with a byte order mark", utf16(UTF8_TEXT, "be")],
    ] as const) {
        it(`${what}: read as the same configuration`, () => {
            const config = loadStackConfig(projectWith("enc", bytes), "enc").config;
            assert.equal(config["exo-cba:displayName"], NON_ASCII);
            assert.deepEqual(config, expected);
        });
    }
    it("control characters written as YAML escapes are values like any other", () => {
        const config = loadStackConfig(projectWith("esc", 'config:\n  exo-cba:displayName: "a\\e[31mb\\u009b"\n'), "esc").config;
        assert.equal(config["exo-cba:displayName"], "a\u001b[31mb\u009b");
    });
});

describe("npm run plan and npm run stacks with a stack file in another encoding", () => {
    it("plan --config-file reads UTF-16 with a byte order mark, and refuses a file that is not valid UTF-8 by name, exit code 2", async () => {
        const dir = tempDir("encoding-");
        const wide = path.join(dir, "Pulumi.wide.yaml");
        fs.writeFileSync(wide, utf16(UTF8_TEXT, "le"));
        const latin1 = path.join(dir, "Pulumi.latin1.yaml");
        fs.writeFileSync(latin1, Buffer.from("config:\n  exo-cba:displayName: Jos\xe9\n", "latin1"));
        const [read, refused] = await Promise.all([
            runTool("plan", ["--stack", "wide", "--config-file", wide, "--json"], { viaNpm: false }),
            runTool("plan", ["--stack", "latin1", "--config-file", latin1], { viaNpm: false }),
        ]);
        assert.equal(read.code, 0, read.stderr);
        const config = (JSON.parse(read.stdout) as { config: { key: string; value: string }[] }).config;
        assert.equal(config.find((c) => c.key === "exo-cba:displayName")?.value, NON_ASCII);
        assert.equal(refused.code, 2);
        assert.equal(refused.stdout, "");
        assert.match(refused.stderr, /^error: Pulumi\.latin1\.yaml is not valid UTF-8 \(byte 0xE9 at line 2\)[^\n]*\n$/);
    });
    it("stacks lists a UTF-16 tenant stack, and reports a stack file that is not valid UTF-8 by name (listed, so its job fails)", async () => {
        const dir = projectWith("wide", utf16(UTF8_TEXT, "le"));
        fs.writeFileSync(path.join(dir, "Pulumi.latin1.yaml"), Buffer.from("config:\n  azuread:tenantId: Jos\xe9\n", "latin1"));
        const r = await runTool("stacks", [dir], { viaNpm: false });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '["latin1","wide"]\n');
        assert.match(r.stderr, /^warning: Pulumi\.latin1\.yaml is not valid UTF-8 \(byte 0xE9 at line 2\)[^\n]*\n$/);
    });
});

describe("stack files read as the Pulumi CLI reads them, beyond the letters", () => {
    const resolve = (text: string) => resolveStackConfig(readProjectFile(PROJECT_DIR), "s", text, "Pulumi.s.yaml");

    it("applies YAML merge keys, as the CLI's gopkg.in/yaml.v3 does: config: built from an anchor is what deploys", () => {
        const merged = resolve(
            [
                "shared: &t",
                "  config:",
                "    exo-cba:roles: [Global Administrator]",
                "    exo-cba:allowGlobalAdministrator: true",
                "<<: *t",
                "",
            ].join("\n"),
        );
        assert.equal(merged.config["exo-cba:roles"], '["Global Administrator"]');
        assert.equal(merged.config["exo-cba:allowGlobalAdministrator"], "true");
        const inside = resolve(
            ["x: &ga", "  exo-cba:roles: [Global Reader]", "config:", "  <<: *ga", "  exo-cba:displayName: Reports", ""].join("\n"),
        );
        assert.equal(inside.config["exo-cba:roles"], '["Global Reader"]');
        assert.equal(inside.config["exo-cba:displayName"], "Reports");
    });

    it("reads the old key form <namespace>:config:<name> as <namespace>:<name>, and refuses what the CLI cannot parse", () => {
        assert.equal(resolve("config:\n  exo-cba:config:roles: [Global Reader]\n").config["exo-cba:roles"], '["Global Reader"]');
        assert.throws(
            () => resolve("config:\n  exo-cba:roles:extra: [Global Reader]\n"),
            (e: Error) =>
                e instanceof StackConfigError &&
                /^Pulumi\.s\.yaml: could not parse "exo-cba:roles:extra" as a configuration key/.test(e.message),
        );
    });

    it("refuses .inf and .nan, which the CLI cannot pass on, naming the key", () => {
        for (const text of ["config:\n  exo-cba:displayName: .inf\n", "config:\n  exo-cba:roles: [.nan]\n"]) {
            assert.throws(
                () => resolve(text),
                (e: Error) =>
                    e instanceof StackConfigError &&
                    /^configuration key "exo-cba:(displayName|roles)" holds \.inf or \.nan/.test(e.message),
            );
        }
    });

    it("names as stray a key that only looks like config: (a Cyrillic letter, a trailing space) holding settings", () => {
        for (const key of ["c\u043enfig", "config ", "config\u00a0"]) {
            const resolved = resolve(`config:\n  exo-cba:displayName: Reports\n"${key}":\n  exo-cba:roles: [Global Reader]\n`);
            assert.deepEqual(resolved.strayKeys, [key]);
            assert.match(resolved.warnings?.[0] ?? "", /stray key .*: it holds settings, but it is not config: \(whatever it looks like\)/);
        }
    });

    it("prints nothing of the file while reading it: the YAML library's warnings stay quiet", async () => {
        const dir = projectWith("warn", "config:\n  exo-cba:displayName: !x y\n::error title=Policy pack::All checks passed: !x y\n");
        const r = await runTool("stacks", [dir], { env: { GITHUB_ACTIONS: "true" } });
        assert.doesNotMatch(r.stderr, /^::error title=Policy pack/m);
    });
});
