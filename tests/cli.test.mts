/**
 * The contract every tool keeps (tools/shared/cli.mts), shown with export-cert and plan: paths relative to
 * where the person typed the command, an option given twice refused, a reader that goes away, outputs
 * files as Windows writes them.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { makeCertificate } from "./support/certificates.mts";
import { NPM_NODE_OPTIONS, runTool } from "./support/cli.mts";
import { PROJECT_DIR, tempDir } from "./support/harness.mts";
import { stackOutputs } from "./support/verifyStack.mts";

const certificate = makeCertificate({ now: new Date(), fromDays: -1, toDays: 200 });
const outputs = stackOutputs({
    appId: "5b1f0f4e-8c7a-4f39-9a63-2f1d7c0e9a41",
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    certificate,
    roles: [{ name: "Exchange Administrator", templateId: "29232cdf-9323-42fd-ade2-1d097af3e4de" }],
});

describe("paths given to a tool through npm", () => {
    it("are relative to the directory the command was typed in, not the project's", () => {
        const here = tempDir("typed-in-");
        fs.writeFileSync(path.join(here, "outputs.json"), JSON.stringify(outputs));
        fs.mkdirSync(path.join(here, "certs"));
        const r = spawnSync(
            "npm",
            [
                "--prefix",
                PROJECT_DIR,
                "run",
                "-s",
                "export-cert",
                "--",
                "--outputs-file",
                "outputs.json",
                "--out",
                "certs",
                "--format",
                "cer",
            ],
            { cwd: here, encoding: "utf8", env: { ...process.env, INIT_CWD: undefined } },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.ok(fs.existsSync(path.join(here, "certs", "exo-cba.cer")), r.stdout);
        assert.ok(!fs.existsSync(path.join(PROJECT_DIR, "certs")), "nothing written into the project");
    });
});

describe("an option given twice", () => {
    it("is refused in one line rather than the last one silently winning", async () => {
        const r = await runTool("export-cert", ["--format", "pfx", "--format", "pem", "--out", tempDir("twice-")]);
        assert.equal(r.code, 2);
        assert.equal(r.stderr, "error: --format is given more than once; give it once (--help lists the options)\n");
        assert.equal(r.stdout, "");
    });
});

describe("an argument a tool does not take", () => {
    it("is refused with node's reason, whole: an argument that is no option, an unknown option with a period in it", async () => {
        const cases: [string, string[], string][] = [
            [
                "verify",
                ["contoso"],
                "error: Unexpected argument 'contoso'. This command does not take positional arguments (--help lists the options)\n",
            ],
            ["docs", ["--bogus"], "error: Unknown option '--bogus' (--help lists the options)\n"],
            ["stacks", ["--a. b"], "error: Unknown option '--a. b' (--help lists the options)\n"],
            ["check-expiry", ["--x.y. z"], "error: Unknown option '--x.y. z' (--help lists the options)\n"],
        ];
        for (const [tool, args, stderr] of cases) {
            const r = await runTool(tool, args);
            assert.deepEqual([r.code, r.stderr, r.stdout], [2, stderr, ""], `${tool} ${args.join(" ")}`);
        }
    });
});

describe("the run's secrets, hidden by every tool", () => {
    /** Every tool, with the arguments that make it quote a --stack value (plan and check-expiry refuse it as a name). */
    const TOOLS: [string, (stack: string) => string[]][] = [
        ["verify", (stack) => ["--stack", stack, "--outputs-file", "/dev/null"]],
        ["export-cert", (stack) => ["--stack", stack, "--outputs-file", "/dev/null"]],
        ["check-expiry", (stack) => ["--stack", stack]],
        ["plan", (stack) => ["--stack", stack]],
        ["stacks", (stack) => [`--${stack}`]],
        ["docs", (stack) => [`--${stack}`]],
    ];

    it("a PFX password in the environment, in any tool's message that quotes it, in every form a message quotes a value", async () => {
        const password = "p\u0001wxyz-Sekret";
        for (const [tool, args] of TOOLS) {
            const r = await runTool(tool, args(`${password}!`), { env: { EXO_CBA_PFX_PASSWORD: password } });
            assert.equal(r.code, 2, `${tool}: ${r.stderr}`);
            assert.match(r.stderr, /\[PFX password redacted\]/, tool);
            assert.ok(!r.stderr.includes("wxyz-Sekret") && !r.stdout.includes("wxyz-Sekret"), `${tool}: ${r.stderr}`);
        }
    });

    it("the environment's credentials, and a password in a proxy's address, wherever a tool would print them", async () => {
        // Values of the variables the Pulumi CLI, the providers and CI systems keep credentials in.
        const secrets: Record<string, string> = {
            PULUMI_CONFIG_PASSPHRASE: "correct-horse-battery",
            PULUMI_ACCESS_TOKEN: "pul-0123456789abcdef0123456789abcdef01234567",
            ARM_CLIENT_SECRET: "Q~8Q.abcdEFGHijklMNOPqrstUVWXyz0123456789",
            GITHUB_TOKEN: "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        };
        // Every tool prints through one runner, so each tool meets one variable and each variable one tool.
        for (const [n, [variable, value]] of Object.entries(secrets).entries()) {
            for (const [tool, args] of TOOLS.filter((_, t) => t % Object.keys(secrets).length === n)) {
                const r = await runTool(tool, args(`${value}!`), { env: { [variable]: value } });
                assert.equal(r.code, 2, `${tool}: ${r.stderr}`);
                assert.ok(!(r.stdout + r.stderr).includes(value), `${tool} printed ${variable}: ${r.stderr}`);
                assert.match(r.stderr, /\[secret redacted\]/, `${tool}, ${variable}`);
            }
        }
        const proxy = await runTool("check-expiry", ["--stack", "Pr0xy-Pa55!"], {
            env: { HTTPS_PROXY: "http://svc:Pr0xy-Pa55@proxy.contoso.com:3128" },
        });
        assert.ok(!proxy.stderr.includes("Pr0xy-Pa55"), proxy.stderr);
    });

    it("a short one where it stands alone, not inside every word that contains it", async () => {
        const r = await runTool("check-expiry", ["--stack", "x!", "--renew-before-days", "xx"], { env: { EXO_CBA_PFX_PASSWORD: "x" } });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--renew-before-days/, "the option's name is not garbled");
        const name = await runTool("check-expiry", ["--stack", "x!"], { env: { EXO_CBA_PFX_PASSWORD: "x" } });
        assert.match(name.stderr, /\(got "\[PFX password redacted\]!"\)/);
        assert.match(name.stderr, /optionally as org\/project\/stack/, "text around it is left as it is");
    });

    it('a secret quoted cut short without "...", with the white space it was read with, or with a tab inside', async () => {
        const token = "pul-0123456789abcdef0123456789abcdef01234567";
        // verify quotes at most 40 characters of a duration it cannot read, and says nothing of the cut.
        const cut = await runTool("verify", ["--outputs-file", "x.json", "--max-wait", token], { env: { PULUMI_ACCESS_TOKEN: token } });
        assert.equal(cut.code, 2);
        assert.ok(!cut.stderr.includes(token.slice(0, 12)), cut.stderr);
        const passphrase = "correct-horse-battery";
        const read = await runTool("check-expiry", ["--outputs-file", passphrase], {
            env: { PULUMI_CONFIG_PASSPHRASE: `${passphrase}\n` },
        });
        assert.equal(read.code, 2);
        assert.ok(!read.stderr.includes(passphrase), read.stderr);
        const tabbed = "abc\tdefghijkl";
        const tab = await runTool("check-expiry", ["--outputs-file", tabbed], { env: { ARM_CLIENT_SECRET: tabbed } });
        assert.equal(tab.code, 2);
        assert.ok(!tab.stderr.includes("defghijkl"), tab.stderr);
    });

    it("--password-env naming what every object has (constructor, __proto__) is a variable like any other", async () => {
        for (const name of ["constructor", "__proto__", "toString"]) {
            const r = await runTool("export-cert", ["--outputs-file", "/dev/null", "--password-env", name], {
                env: {},
                withoutTerminal: true,
            });
            assert.equal(r.code, 2, `${name}: ${r.stderr}`);
            assert.equal(r.stderr.split("\n").filter((l) => l !== "").length, 1, r.stderr);
            assert.doesNotMatch(r.stderr, /unexpected failure|TypeError| {4}at /);
        }
    });

    it("in check-expiry's job summary too", async () => {
        const dir = tempDir("summary-");
        const summary = path.join(dir, "summary.md");
        fs.writeFileSync(summary, "");
        const outputs = path.join(dir, "outputs.json");
        fs.writeFileSync(outputs, JSON.stringify({ certificates: [] }));
        // Markdown escapes _ (and * [ ] < > | # ! ~ &): the summary must not show the password in its escaped form either.
        const password = "Se_kr_et-wxyz";
        const named = stackOutputs({
            appId: "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
            tenantId: "8a1c2b3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d",
            certificate: makeCertificate({ now: new Date(), cn: "EXO Reporting Script", toDays: 200 }),
            roles: [],
        });
        (named["certificates"] as { name: string }[])[0].name = password;
        const withName = path.join(dir, "named.json");
        fs.writeFileSync(withName, JSON.stringify(named));
        const r = await runTool("check-expiry", ["--stack", "contoso", "--outputs-file", withName], {
            env: { GITHUB_STEP_SUMMARY: summary, EXO_CBA_PFX_PASSWORD: password },
        });
        assert.equal(r.code, 0, r.stderr);
        const written = fs.readFileSync(summary, "utf8");
        assert.ok(written.includes("PFX password redacted"), written);
        assert.ok(!written.includes("Se\\_kr") && !written.includes(password), written);
        const plain = await runTool("check-expiry", ["--stack", "Sekret-0wxyz", "--outputs-file", outputs], {
            env: { GITHUB_STEP_SUMMARY: summary, EXO_CBA_PFX_PASSWORD: "Sekret-0wxyz" },
        });
        assert.ok(!plain.stdout.includes("Sekret-0wxyz"), plain.stdout);
    });
});

describe("output that cannot be written", () => {
    it("is one line on standard error and exit code 74, never a stack trace or a result's code", () => {
        const dir = tempDir("full-");
        const outputs = path.join(dir, "outputs.json");
        fs.writeFileSync(outputs, JSON.stringify({ certificates: [] }));
        const r = spawnSync(
            "sh",
            ["-c", `"$0" tools/check-expiry/check-expiry.mts --outputs-file "$1" > /dev/full`, process.execPath, outputs],
            {
                cwd: PROJECT_DIR,
                env: { ...process.env, NODE_OPTIONS: NPM_NODE_OPTIONS },
                encoding: "utf8",
            },
        );
        assert.equal(r.status, 74, r.stderr);
        assert.equal(r.stderr, "error: cannot write standard output (no space left on the device)\n");
    });
});

describe("stack outputs nested 200,000 deep", () => {
    it("are refused by every tool that reads outputs: one line naming the file, exit code 2, no crash", async () => {
        const dir = tempDir("deep-");
        const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
        // Each output a tool quotes when it is wrong.
        for (const output of ["cloud", "exchangeEnvironmentName", "renewBeforeDays"]) {
            const file = path.join(dir, `${output}.json`);
            fs.writeFileSync(file, `{"tenantId":"8a1c2b3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d","${output}":${deep}}`);
            for (const tool of ["check-expiry", "verify", "export-cert"]) {
                const r = await runTool(tool, ["--outputs-file", file]);
                assert.equal(r.code, 2, `${tool}, ${output}: ${r.stderr}`);
                assert.equal(
                    r.stderr,
                    `error: ${file} is JSON nested deeper than 64 levels, which no stack's outputs are; expected the output of \`pulumi stack output --json${tool === "check-expiry" ? "" : " --show-secrets"}\`\n`,
                );
            }
        }
    });
});

describe("an error that quotes what a person typed", () => {
    it("stays on one line when that holds a line break or a tab", async () => {
        const r = await runTool("export-cert", ["--outputs-file", "/nonexistent/a\nerror: forged\tline.json", "--format", "cer"]);
        assert.equal(r.code, 2);
        assert.equal(r.stderr.split("\n").length, 2, r.stderr);
        assert.match(r.stderr, /^error: cannot read --outputs-file \/nonexistent\/a\\u\{a\}error: forged\\u\{9\}line\.json/);
    });
});

describe("a reader that goes away", () => {
    it("ends the tool quietly with its own exit code (`npm run plan -- --mermaid | head -1`)", async () => {
        const line = (JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> })
            .scripts["plan"];
        const child = spawn(process.execPath, [...line.split(" ").slice(1), "--stack", "dev", "--mermaid"], {
            cwd: PROJECT_DIR,
            env: { ...process.env, NODE_OPTIONS: NPM_NODE_OPTIONS },
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.destroy(); // the reader is gone before the tool writes anything
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        assert.equal(stderr, "");
        assert.equal(code, 0);
    });
});

describe("an outputs file as Windows PowerShell writes it", () => {
    const json = JSON.stringify(outputs, null, 2);
    for (const [name, bytes] of [
        [
            "UTF-8 with a byte order mark (Out-File -Encoding utf8 in PowerShell 5.1)",
            Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]),
        ],
        [
            "UTF-16 LE with a byte order mark (`>` in PowerShell 5.1)",
            Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, "utf16le")]),
        ],
        ["UTF-16 BE with a byte order mark", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(json, "utf16le").swap16()])],
    ] as const) {
        it(`is read in ${name}`, async () => {
            const dir = tempDir("encoding-");
            const file = path.join(dir, "outputs.json");
            fs.writeFileSync(file, bytes);
            const r = await runTool("export-cert", ["--outputs-file", file, "--out", dir, "--format", "cer"]);
            assert.equal(r.code, 0, r.stderr);
            assert.ok(fs.existsSync(path.join(dir, "exo-cba.cer")));
        });
    }
    it("is named as UTF-16 without a byte order mark rather than called not JSON", async () => {
        const dir = tempDir("encoding-");
        const file = path.join(dir, "outputs.json");
        fs.writeFileSync(file, Buffer.from(json, "utf16le"));
        const r = await runTool("export-cert", ["--outputs-file", file, "--out", dir, "--format", "cer"]);
        assert.equal(r.code, 2);
        assert.equal(
            r.stderr,
            `error: --outputs-file ${file} looks like UTF-16 without a byte order mark; save it as UTF-8 (Out-File -Encoding utf8)\n`,
        );
    });
    it("is refused, naming the encoding, when its bytes are not valid UTF-8 or UTF-16: never read with replacement characters", async () => {
        const dir = tempDir("encoding-");
        // A Latin-1 "é" (0xE9) where UTF-8 needs two bytes; a lone UTF-16 surrogate (0xD800) after a byte order mark.
        const latin1 = Buffer.from(json.replace('"contoso.onmicrosoft.com"', '"contoso\u00e9.onmicrosoft.com"'), "latin1");
        const surrogate = Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            Buffer.from("{", "utf16le"),
            Buffer.from([0x00, 0xd8]),
            Buffer.from("}", "utf16le"),
        ]);
        for (const [bytes, encoding] of [
            [latin1, "UTF-8"],
            [surrogate, "UTF-16"],
        ] as const) {
            const file = path.join(dir, `${encoding}.json`);
            fs.writeFileSync(file, bytes);
            const r = await runTool("check-expiry", ["--outputs-file", file]);
            assert.equal(r.code, 2, r.stderr);
            assert.equal(r.stderr, `error: --outputs-file ${file} is not valid ${encoding}; save it as UTF-8 (Out-File -Encoding utf8)\n`);
        }
    });
    it("with a blank-looking output (a Hangul filler) refuses it as blank", async () => {
        const dir = tempDir("blank-");
        const file = path.join(dir, "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ ...outputs, tenantId: "\u3164" }));
        const r = await runTool("verify", ["--outputs-file", file]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /output tenantId should be a string that is not blank/);
    });
});
