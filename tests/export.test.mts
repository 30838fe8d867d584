/**
 * npm run export-cert, end to end on real files, read back by openssl.
 */
import { parseOutputs } from "../components/outputsReader.ts";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Evaluation, PROJECT_DIR } from "../engine/engine.mts";
import type { TenantData } from "../engine/tenant.mts";
import { UserError } from "../tools/shared/cli.mts";
import { ROTATION_ADVICE } from "../components/rotation.ts";
import { exportCertificate, exportPlan } from "../tools/export-cert/export.mts";
import { EXIT_INCOMPLETE, FILE_SYSTEM, replaceFiles } from "../tools/shared/replaceFiles.mts";
import { promptTerminal } from "../tools/shared/prompt.mts";
import { DAY_MS, makeCertificate } from "./support/certificates.mts";
import { NPM_NODE_OPTIONS, type ToolRun, runTool } from "./support/cli.mts";
import {
    AUTOMATION_IDENTITY_ID,
    FUNCTION_IDENTITY_CLIENT_ID,
    FUNCTION_IDENTITY_ID,
    WINDOWS_ONLY_CAVEAT,
    contosoChina,
    contosoGov,
} from "./support/contoso.mts";
import { openssl, opensslCertificate, opensslReport, opensslThumbprint, reveal, run, stackConfig, tempDir } from "./support/harness.mts";

/** openssl's NotBefore or NotAfter of `pem` as RFC 3339, whole seconds. */
function opensslRfc3339(pem: string, which: "startdate" | "enddate"): string {
    const text = openssl(["x509", "-noout", `-${which}`], pem)
        .trim()
        .split("=")[1];
    return new Date(text).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The outputs as if the stack had deployed `made` as its one certificate: every output that describes the
 * active certificate agrees with the others, as in one deployment (thumbprint and dates from openssl).
 */
function deployedWith(outputs: Record<string, unknown>, made: { certPem: string; keyPem: string }): Record<string, unknown> {
    const thumbprint = opensslThumbprint(made.certPem);
    const notAfter = opensslRfc3339(made.certPem, "enddate");
    return {
        ...outputs,
        certificatePem: made.certPem,
        privateKeyPem: made.keyPem,
        thumbprint,
        certificateNotAfter: notAfter,
        certificates: [
            { name: "initial", thumbprint, notBefore: opensslRfc3339(made.certPem, "startdate"), notAfter, active: true, selfSigned: true },
        ],
    };
}

const PASSWORD = "correct horse battery staple";

function exportCert(args: string[], env: Record<string, string | undefined> = { EXO_CBA_PFX_PASSWORD: PASSWORD }): Promise<ToolRun> {
    return runTool("export-cert", args, { env });
}

/**
 * export-cert in a session of its own (setsid), so it has no controlling terminal: what a scheduled
 * job or CI runner sees. Without this, a test run from a terminal would let the tool prompt on /dev/tty.
 */
function exportCertWithoutTerminal(args: string[], env: Record<string, string | undefined>): Promise<ToolRun> {
    return runTool("export-cert", args, { env, withoutTerminal: true });
}

/** Whether util-linux script(1), which runs a command on a pseudo-terminal, is here. */
const hasScript = spawnSync("script", ["--version"]).status === 0;

/** The text lines a terminal shows, without readline's cursor movements, the password prompts and blank lines. */
function shownLines(screen: string): string[] {
    // eslint-disable-next-line no-control-regex -- CSI sequences (ESC [ ... letter) move the cursor; they are not text.
    const text = screen.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
    return text
        .split(/\r?\n/)
        .map((l) => l.replace(/PFX password(?: again)?: /g, "").trim())
        .filter((l) => l !== "");
}

/**
 * Runs export-cert on a pseudo-terminal (script(1)) with EXO_CBA_PFX_PASSWORD unset, typing keys[i]
 * when the i-th password prompt shows. With `pipedOutputs`, the outputs come through a pipe on
 * standard input (`cat <file> | export-cert --outputs-file -`): the pseudo-terminal is then only the
 * controlling terminal, /dev/tty. `screen` is everything the terminal showed.
 */
async function onTerminal(
    args: string[],
    keys: readonly string[],
    pipedOutputs?: string,
): Promise<{ code: number | null; screen: string; prompts: number }> {
    const quoted = (a: string) => {
        assert.ok(!a.includes("'"), a);
        return `'${a}'`;
    };
    const tool = [process.execPath, "tools/export-cert/export-cert.mts", ...args].map(quoted).join(" ");
    const command = pipedOutputs === undefined ? tool : `cat ${quoted(pipedOutputs)} | ${tool}`;
    // The node options npm gives the script (.npmrc), as runTool passes them.
    const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: NPM_NODE_OPTIONS };
    delete env["EXO_CBA_PFX_PASSWORD"];
    const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: PROJECT_DIR, env });
    let screen = "";
    let prompts = 0;
    child.stdout.on("data", (d: Buffer) => {
        screen += d.toString("utf8");
        // Keys are typed once each prompt shows, when the terminal is in raw mode (no echo).
        for (const shown = (screen.match(/PFX password(?: again)?: /g) ?? []).length; prompts < shown; prompts++) {
            if (prompts < keys.length) child.stdin.write(keys[prompts]);
        }
    });
    const timer = setTimeout(() => child.kill(), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    child.stdin.end();
    return { code, screen, prompts };
}

/** openssl reading a file with the password in an environment variable (never on its command line). */
function opensslPfx(args: string[], file: string): string {
    return openssl(["pkcs12", "-in", file, "-passin", "env:PFX_TEST_PASSWORD", ...args]);
}

/** openssl's description of a PFX's key bag: encryption and bag attributes (printed on stderr). */
function pfxReport(file: string): string {
    return opensslReport(["pkcs12", "-in", file, "-passin", "env:PFX_TEST_PASSWORD", "-info", "-nocerts", "-nodes"]);
}

function mode(file: string): number {
    return fs.statSync(file).mode & 0o777;
}

/**
 * The directory's entries and a digest of each file's content, to show that a failed export changed
 * nothing. A digest, so that a failing assertion prints no key material.
 */
function snapshot(dir: string): Record<string, string> {
    const entries: Record<string, string> = {};
    for (const name of fs.readdirSync(dir).sort()) {
        const file = path.join(dir, name);
        const stat = fs.lstatSync(file);
        entries[name] = stat.isSymbolicLink()
            ? `link to ${fs.readlinkSync(file)}`
            : stat.isDirectory()
              ? "directory"
              : `sha256 ${createHash("sha256").update(fs.readFileSync(file)).digest("hex")}`;
    }
    return entries;
}

/**
 * The values of the single-quoted literals in a PowerShell line, read by PowerShell's rule (the
 * tokenizer's ScanStringLiteral, about_Quoting_Rules): any of ' ‘ ’ ‚ ‛ opens and closes a literal, and
 * inside one, a quote character followed by another stands for the second. `outside` is the rest of the line.
 */
function powershellLiterals(line: string): { literals: string[]; outside: string } {
    const isQuote = (c: string | undefined) => c !== undefined && "'\u2018\u2019\u201a\u201b".includes(c);
    const literals: string[] = [];
    let outside = "";
    for (let i = 0; i < line.length; i++) {
        if (!isQuote(line[i])) {
            outside += line[i];
            continue;
        }
        let value = "";
        for (i++; ; i++) {
            assert.ok(i < line.length, `unterminated literal in ${line}`);
            if (isQuote(line[i])) {
                if (!isQuote(line[i + 1])) break;
                i++;
            }
            value += line[i];
        }
        literals.push(value);
    }
    return { literals, outside };
}

/** Python's cryptography, an oracle besides openssl, when this machine has it. */
const pythonCryptography = spawnSync("python3", ["-c", "import cryptography"]).status === 0;

/** Opens a PFX with Python's cryptography: the certificate's SHA-1 thumbprint, and whether the key is the certificate's. */
function pythonPfx(file: string, password: string): { status: number | null; stdout: string; stderr: string } {
    const script = [
        "import os, sys",
        "from cryptography.hazmat.primitives import hashes",
        "from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, pkcs12",
        "key, cert, _ = pkcs12.load_key_and_certificates(open(sys.argv[1], 'rb').read(), os.environb[b'PFX_TEST_PASSWORD'])",
        "spki = lambda k: k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)",
        "print(cert.fingerprint(hashes.SHA1()).hex().upper(), spki(key.public_key()) == spki(cert.public_key()))",
    ].join("\n");
    const r = spawnSync("python3", ["-c", script, file], { env: { ...process.env, PFX_TEST_PASSWORD: password }, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** openssl pkcs12 with the password in its environment: exit status, stdout (certificate and key), stderr. */
function opensslPfxWith(file: string, password: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("openssl", ["pkcs12", "-in", file, "-passin", "env:PFX_TEST_PASSWORD", "-nodes"], {
        env: { ...process.env, PFX_TEST_PASSWORD: password },
        encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether this process may set the immutable attribute here (root on ext4 and the like). */
function canMakeImmutable(file: string): boolean {
    return spawnSync("chattr", ["+i", file]).status === 0;
}

describe("exporting a self-signed stack's certificate", () => {
    let outputs: Record<string, unknown>;
    let outputsFile: string;
    before(async () => {
        const ev = await run(stackConfig({}));
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        // What `pulumi stack output --json --show-secrets` prints: secrets in clear.
        outputs = reveal(ev.outputs as never) as Record<string, unknown>;
        outputsFile = path.join(tempDir("outputs-"), "outputs.json");
        fs.writeFileSync(outputsFile, JSON.stringify(outputs, null, 2));
        process.env["PFX_TEST_PASSWORD"] = PASSWORD;
    });

    it("writes .cer, .pem and .pfx readable by the owner only", async () => {
        const dir = tempDir("export-");
        const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(fs.readdirSync(dir).sort(), ["contoso.cer", "contoso.pem", "contoso.pfx"]);
        for (const f of fs.readdirSync(dir)) assert.equal(mode(path.join(dir, f)), 0o600, f);
    });
    it("produces files openssl reads, whose thumbprint is the stack's", async () => {
        const dir = tempDir("export-");
        assert.equal((await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "c"])).code, 0);
        const thumb = (args: string[], input?: string) =>
            openssl(["x509", "-noout", "-fingerprint", "-sha1", ...args], input)
                .replace(/^.*=/, "")
                .trim()
                .replaceAll(":", "");
        assert.equal(thumb(["-inform", "der", "-in", path.join(dir, "c.cer")]), outputs["thumbprint"]);
        assert.equal(thumb(["-in", path.join(dir, "c.pem")]), outputs["thumbprint"]);
        const fromPfx = opensslPfx(["-nokeys"], path.join(dir, "c.pfx"));
        assert.equal(thumb([], fromPfx), outputs["thumbprint"]);
        const keyFromPfx = opensslPfx(["-nocerts", "-nodes"], path.join(dir, "c.pfx"));
        assert.equal(
            openssl(["pkey", "-pubout"], keyFromPfx),
            openssl(["x509", "-noout", "-pubkey"], fromPfx),
            "the PFX's key belongs to its certificate",
        );
        assert.equal(
            openssl(["pkey", "-pubout", "-in", path.join(dir, "c.pem")]),
            openssl(["x509", "-noout", "-pubkey", "-in", path.join(dir, "c.pem")]),
        );
    });
    it("marks the PFX key for a CSP provider, which Windows needs for Exchange Online", async () => {
        const dir = tempDir("export-");
        assert.equal((await exportCert(["--outputs-file", outputsFile, "--out", dir, "--format", "pfx"])).code, 0);
        const info = pfxReport(path.join(dir, "exo-cba.pfx"));
        assert.match(info, /Microsoft CSP Name: Microsoft Enhanced RSA and AES Cryptographic Provider/);
        assert.match(info, /AES-256-CBC/);
    });
    it("with --legacy encrypts the PFX with 3DES for Windows Server 2016", async () => {
        const dir = tempDir("export-");
        assert.equal((await exportCert(["--outputs-file", outputsFile, "--out", dir, "--format", "pfx", "--legacy"])).code, 0);
        const info = pfxReport(path.join(dir, "exo-cba.pfx"));
        assert.match(info, /pbeWithSHA1And3-KeyTripleDES-CBC/);
    });
    it("prints the next steps for Windows and Linux with the real paths, and never the password or key", async () => {
        const dir = tempDir("export-");
        const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso"]);
        assert.match(
            r.stdout,
            new RegExp(`Import-PfxCertificate -FilePath '${path.join(dir, "contoso.pfx")}' -CertStoreLocation Cert:\\\\CurrentUser\\\\My`),
        );
        assert.ok(r.stdout.includes(`-CertificateThumbprint '${String(outputs["thumbprint"])}' -AppId '${String(outputs["appId"])}'`));
        assert.ok(r.stdout.includes(`-CertificateFilePath '${path.join(dir, "contoso.pfx")}'`));
        assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
        assert.ok(!(r.stdout + r.stderr).includes("PRIVATE KEY"));
    });
    it("reads the outputs from standard input", async () => {
        const dir = tempDir("export-");
        const r = await runTool("export-cert", ["--outputs-file", "-", "--out", dir, "--format", "cer"], {
            input: fs.readFileSync(outputsFile, "utf8"),
        });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /Wrote .*exo-cba\.cer/);
        assert.deepEqual(fs.readdirSync(dir), ["exo-cba.cer"]);
    });

    describe("refuses, and writes nothing", () => {
        it("when a file exists, unless --force", async () => {
            const dir = tempDir("export-");
            fs.writeFileSync(path.join(dir, "contoso.pem"), "keep me");
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /contoso\.pem already exists; nothing was written\. Use --force/);
            assert.deepEqual(fs.readdirSync(dir), ["contoso.pem"]);
            assert.equal(fs.readFileSync(path.join(dir, "contoso.pem"), "utf8"), "keep me");
            const forced = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso", "--force"]);
            assert.equal(forced.code, 0, forced.stderr);
            assert.match(fs.readFileSync(path.join(dir, "contoso.pem"), "utf8"), /BEGIN CERTIFICATE/);
        });
        it("when the password variable is not set, naming it", async () => {
            const dir = tempDir("export-");
            const r = await exportCertWithoutTerminal(
                ["--outputs-file", outputsFile, "--out", dir, "--password-env", "RUNNER_PFX_PASSWORD"],
                {
                    EXO_CBA_PFX_PASSWORD: PASSWORD,
                    RUNNER_PFX_PASSWORD: undefined,
                },
            );
            assert.equal(r.code, 2);
            assert.match(r.stderr, /set the PFX password in the environment variable RUNNER_PFX_PASSWORD/);
            assert.deepEqual(fs.readdirSync(dir), []);
        });
        it("when the password variable is empty", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir], { EXO_CBA_PFX_PASSWORD: "" });
            assert.equal(r.code, 2);
            assert.match(r.stderr, /EXO_CBA_PFX_PASSWORD is empty/);
            assert.deepEqual(fs.readdirSync(dir), []);
        });
        it("when the outputs are not JSON, or not a stack's", async () => {
            const dir = tempDir("export-");
            const bad = path.join(dir, "bad.json");
            fs.writeFileSync(bad, "Current stack outputs (3):");
            const notJson = await exportCert(["--outputs-file", bad, "--out", dir]);
            assert.equal(notJson.code, 2);
            assert.match(notJson.stderr, /is not JSON; expected the output of `pulumi stack output --json --show-secrets`/);
            fs.writeFileSync(bad, JSON.stringify({ appId: "x" }));
            const missing = await exportCert(["--outputs-file", bad, "--out", dir]);
            assert.equal(missing.code, 2);
            assert.match(
                missing.stderr,
                /^error: 3 problems in the outputs: output appId should be a GUID \(got "x"\); the stack has no output thumbprint; .*certificateNotAfter/,
            );
            assert.deepEqual(fs.readdirSync(dir), ["bad.json"]);
        });
        it("when the key does not belong to the certificate", async () => {
            const dir = tempDir("export-");
            const other = opensslCertificate({ days: 2 });
            const file = path.join(dir, "mixed.json");
            fs.writeFileSync(file, JSON.stringify({ ...outputs, privateKeyPem: other.keyPem }));
            const r = await exportCert(["--outputs-file", file, "--out", dir]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /privateKeyPem does not belong to the certificate/);
            assert.deepEqual(fs.readdirSync(dir), ["mixed.json"]);
        });
    });

    describe("a stack that brings its own certificate", () => {
        it("exports only the public certificate and says where the key is", async () => {
            const dir = tempDir("export-");
            const file = path.join(dir, "byo.json");
            const { privateKeyPem: _key, ...publicOnly } = outputs;
            fs.writeFileSync(file, JSON.stringify(publicOnly));
            const r = await exportCert(["--outputs-file", file, "--out", dir, "--name", "byo"], {});
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(fs.readdirSync(dir).sort(), ["byo.cer", "byo.json"]);
            assert.match(r.stdout, /brings its own certificate: its private key stays where the certificate was made/);
            const pfx = await exportCert(["--outputs-file", file, "--out", dir, "--format", "pfx"], {});
            assert.equal(pfx.code, 2);
            assert.match(pfx.stderr, /private key was never in the stack.*Export-PfxCertificate/);
        });
    });

    describe("with --force, writes every file or none", () => {
        it("leaves the previous files untouched when a directory is in the way of one", async () => {
            const dir = tempDir("export-");
            fs.writeFileSync(path.join(dir, "contoso.cer"), "old cer");
            fs.writeFileSync(path.join(dir, "contoso.pem"), "old pem");
            fs.mkdirSync(path.join(dir, "contoso.pfx"));
            const before = snapshot(dir);
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso", "--force"]);
            assert.deepEqual(snapshot(dir), before, "no file replaced, no temporary file left");
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /contoso\.pfx is a directory, which --force does not replace; nothing was written/);
        });
        it("leaves the previous files untouched when one is immutable", async (t) => {
            const dir = tempDir("export-");
            for (const f of ["cer", "pem", "pfx"]) fs.writeFileSync(path.join(dir, `contoso.${f}`), `old ${f}`);
            const locked = path.join(dir, "contoso.pfx");
            if (!canMakeImmutable(locked)) return t.skip("chattr +i is not possible here (needs root and a file system with attributes)");
            t.after(() => void spawnSync("chattr", ["-i", locked]));
            const before = snapshot(dir);
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso", "--force"]);
            spawnSync("chattr", ["-i", locked]);
            assert.deepEqual(snapshot(dir), before, "no file replaced, no temporary file left");
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /cannot replace .*contoso\.pfx: operation not permitted; nothing was changed/);
        });
        it("replaces a symbolic link itself, never the file it points to", async () => {
            const dir = tempDir("export-");
            const elsewhere = tempDir("elsewhere-");
            const victim = path.join(elsewhere, "authorized_keys");
            fs.writeFileSync(victim, "not yours");
            fs.symlinkSync(victim, path.join(dir, "contoso.pem"));
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso", "--force"]);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(fs.readFileSync(victim, "utf8"), "not yours");
            const pem = path.join(dir, "contoso.pem");
            assert.ok(fs.lstatSync(pem).isFile(), "the link was replaced by a file");
            assert.equal(mode(pem), 0o600);
            assert.equal(opensslThumbprint(fs.readFileSync(pem, "utf8")), outputs["thumbprint"]);
        });
    });

    describe("a symbolic link at a target counts as an existing file", () => {
        it("even when what it points to is gone", async () => {
            const dir = tempDir("export-");
            fs.symlinkSync(path.join(dir, "gone.pem"), path.join(dir, "contoso.pem"));
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso"]);
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /contoso\.pem \(a symbolic link\) already exists; nothing was written\. Use --force/);
            assert.deepEqual(snapshot(dir), { "contoso.pem": `link to ${path.join(dir, "gone.pem")}` });
        });
    });

    describe("a PFX with a password beyond ASCII opens in OpenSSL and Python", () => {
        // Latin-1 (ä, ö), beyond Latin-1 (€) and beyond the BMP (a surrogate pair in UTF-16).
        const unicode = "pässwörd-€-\u{1F511}";
        for (const legacy of [false, true]) {
            it(legacy ? "with --legacy (3DES, the PKCS#12 key derivation)" : "with AES-256 (PBES2)", async (t) => {
                const dir = tempDir("export-");
                const args = ["--outputs-file", outputsFile, "--out", dir, "--format", "pfx", ...(legacy ? ["--legacy"] : [])];
                const r = await exportCert(args, { EXO_CBA_PFX_PASSWORD: unicode });
                assert.equal(r.code, 0, r.stderr);
                assert.ok(!(r.stdout + r.stderr).includes(unicode), "the password is never printed");
                const file = path.join(dir, "exo-cba.pfx");

                const read = opensslPfxWith(file, unicode);
                assert.equal(read.status, 0, read.stderr);
                // OpenSSL falls back to the pre-1.1 encoding when the MAC fails with the right one, and says so.
                assert.doesNotMatch(read.stderr, /broken algorithm/);
                assert.equal(opensslThumbprint(read.stdout), outputs["thumbprint"]);
                assert.equal(openssl(["pkey", "-pubout"], read.stdout), openssl(["x509", "-noout", "-pubkey"], read.stdout));
                assert.notEqual(opensslPfxWith(file, "passwörd-€-\u{1F511}").status, 0, "a wrong password is refused");

                if (!pythonCryptography) return t.skip("Python's cryptography is not installed here");
                const python = pythonPfx(file, unicode);
                assert.equal(python.status, 0, python.stderr);
                assert.equal(python.stdout.trim(), `${String(outputs["thumbprint"])} True`);
            });
        }
    });

    describe("asks for the PFX password on a terminal when the variable is unset", () => {
        it("twice, without echoing it, and the PFX opens with what was typed", async (t) => {
            if (!hasScript) return t.skip("util-linux script (a pseudo-terminal) is not installed");
            const dir = tempDir("export-");
            const typed = "pässwörd typed";
            const r = await onTerminal(["--outputs-file", outputsFile, "--out", dir, "--format", "pfx"], [`${typed}\r`, `${typed}\r`]);
            assert.equal(r.code, 0, r.screen);
            assert.equal(r.prompts, 2, r.screen);
            assert.ok(!r.screen.includes(typed), "the typed password is not echoed or printed");
            const read = opensslPfxWith(path.join(dir, "exo-cba.pfx"), typed);
            assert.equal(read.status, 0, read.stderr);
            assert.equal(opensslThumbprint(read.stdout), outputs["thumbprint"]);
            assert.match(r.screen, /The PFX password is the one from the prompt/);
        });

        // Ctrl-D (end of input) and Ctrl-C at a prompt: readline closes without an answer.
        for (const [what, keys] of [
            ["Ctrl-D at the first prompt", ["\u0004"]],
            ["Ctrl-C at the first prompt", ["\u0003"]],
            ["Ctrl-D at the second prompt", ["typed once\r", "\u0004"]],
            ["Ctrl-C after typing part of it", ["typed\u0003"]],
        ] as const) {
            it(`${what}: one line, exit 2, nothing written`, async (t) => {
                if (!hasScript) return t.skip("util-linux script (a pseudo-terminal) is not installed");
                const dir = tempDir("export-");
                const r = await onTerminal(["--outputs-file", outputsFile, "--out", dir], keys);
                assert.equal(r.code, 2, r.screen);
                assert.equal(r.prompts, keys.length, r.screen);
                assert.deepEqual(shownLines(r.screen), ["error: no PFX password entered; nothing was written"], r.screen);
                assert.deepEqual(fs.readdirSync(dir), []);
            });
        }

        it("on the controlling terminal (/dev/tty) when standard input is the outputs' pipe", async (t) => {
            if (!hasScript) return t.skip("util-linux script (a pseudo-terminal) is not installed");
            const dir = tempDir("export-");
            const typed = "typed on /dev/tty";
            // The README's `pulumi stack output --json --show-secrets | npm run export-cert -- --outputs-file - ...`.
            const r = await onTerminal(
                ["--outputs-file", "-", "--out", dir, "--name", "contoso"],
                [`${typed}\r`, `${typed}\r`],
                outputsFile,
            );
            assert.equal(r.code, 0, r.screen);
            assert.equal(r.prompts, 2, r.screen);
            assert.ok(!r.screen.includes(typed), "the typed password is not echoed or printed");
            assert.deepEqual(fs.readdirSync(dir).sort(), ["contoso.cer", "contoso.pem", "contoso.pfx"]);
            const read = opensslPfxWith(path.join(dir, "contoso.pfx"), typed);
            assert.equal(read.status, 0, read.stderr);
            assert.equal(opensslThumbprint(read.stdout), outputs["thumbprint"]);
        });

        it("without a controlling terminal and standard input not a terminal: one line naming the variable", async () => {
            const dir = tempDir("export-");
            const r = await exportCertWithoutTerminal(["--outputs-file", outputsFile, "--out", dir], { EXO_CBA_PFX_PASSWORD: undefined });
            assert.equal(r.code, 2, r.stderr);
            assert.equal(r.stderr, "error: set the PFX password in the environment variable EXO_CBA_PFX_PASSWORD (nothing was written)\n");
            assert.deepEqual(fs.readdirSync(dir), []);
        });
    });

    describe("prints PowerShell lines whose every value is one quoted literal", () => {
        it("including file paths with the five quote characters PowerShell knows", async () => {
            // ' ‘ ’ ‚ ‛ each end a single-quoted PowerShell string unless doubled.
            const dir = path.join(tempDir("export-"), "o'brien \u2018a\u2019 \u201ab\u201b $(whoami)");
            fs.mkdirSync(dir);
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso"]);
            assert.equal(r.code, 0, r.stderr);
            const commands = r.stdout.split("\n").filter((l) => /^ {2}(Import-PfxCertificate|Connect-ExchangeOnline) /.test(l));
            assert.equal(commands.length, 4, r.stdout);
            const expected: Record<string, string> = {
                "Import-PfxCertificate": path.join(dir, "contoso.pfx"),
                "-CertificateFilePath": path.join(dir, "contoso.pfx"),
                CreateFromPemFile: path.join(dir, "contoso.pem"),
            };
            const seen = new Set<string>();
            for (const line of commands) {
                const { literals, outside } = powershellLiterals(line);
                assert.doesNotMatch(outside, /whoami|brien/, `a path escaped its literal: ${line}`);
                for (const [marker, file] of Object.entries(expected)) {
                    if (!line.includes(marker)) continue;
                    assert.ok(literals.includes(file), `${marker}: ${JSON.stringify(literals)}`);
                    seen.add(marker);
                }
                assert.ok(literals.includes(String(outputs["appId"])) || line.startsWith("  Import-PfxCertificate"), line);
            }
            assert.deepEqual([...seen].sort(), Object.keys(expected).sort());
        });
    });

    describe("refuses values that would break the printed lines", () => {
        for (const [what, character] of [
            ["a newline", "\n"],
            ["an escape sequence", "\u001b[2J"],
            ["a carriage return", "\r"],
        ] as const) {
            it(`an --out path with ${what}`, async () => {
                const parent = tempDir("export-");
                const dir = path.join(parent, `runner${character}certs`);
                fs.mkdirSync(dir);
                const r = await exportCert(["--outputs-file", outputsFile, "--out", dir]);
                assert.equal(r.code, 2, r.stderr);
                assert.match(r.stderr, /^error: --out ".*" holds control characters; choose a directory whose path has none\n$/);
                assert.deepEqual(fs.readdirSync(dir), []);
            });
        }
        it("a --name with control characters", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "contoso\u001b[31m"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /--name must be a plain file name/);
            assert.ok(!r.stderr.includes("\u001b"), "the escape is shown, not sent to the terminal");
            assert.deepEqual(fs.readdirSync(dir), []);
        });
    });

    describe("refuses a certificate whose key is not RSA", () => {
        it("an EC certificate, with a message instead of a stack trace", async () => {
            const dir = tempDir("export-");
            const ec = makeCertificate({ now: new Date(), key: "ec" });
            const file = path.join(dir, "ec.json");
            fs.writeFileSync(file, JSON.stringify(deployedWith(outputs, ec)));
            for (const format of ["all", "pfx", "cer"]) {
                const r = await exportCert(["--outputs-file", file, "--out", dir, "--format", format]);
                assert.equal(r.code, 2, `${format}: ${r.stderr}`);
                assert.match(
                    r.stderr,
                    /^error: the certificate [0-9A-F]{40} has an EC key \(prime256v1\), not RSA: Entra .*RS256\/PS256.* need an RSA key/,
                );
                assert.doesNotMatch(r.stderr, /unexpected failure|\n {4}at /);
                assert.deepEqual(fs.readdirSync(dir), ["ec.json"]);
            }
        });
    });

    describe("--format cer needs no secret", () => {
        it("so outputs read without --show-secrets do", async () => {
            const dir = tempDir("export-");
            const file = path.join(dir, "public.json");
            // What `pulumi stack output --json` prints without --show-secrets.
            fs.writeFileSync(file, JSON.stringify({ ...outputs, privateKeyPem: "[secret]" }));
            const r = await exportCert(["--outputs-file", file, "--out", dir, "--format", "cer", "--name", "c"], {});
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(fs.readdirSync(dir).sort(), ["c.cer", "public.json"]);
            assert.equal(opensslThumbprint(openssl(["x509", "-inform", "der", "-in", path.join(dir, "c.cer")])), outputs["thumbprint"]);
        });
    });

    describe("never prints the PFX password, nor a --password-env value that may be one", () => {
        const secret = "Sup3rSecretPassw0rd";
        const MARKER = "[PFX password redacted]";

        it("a --password-env value that is no variable name is not echoed", async () => {
            const dir = tempDir("export-");
            for (const value of ["S3cret pass!", "pa$$w0rd", "9lives", "ünïcode"]) {
                const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--password-env", value], {});
                assert.equal(r.code, 2, r.stderr);
                assert.match(
                    r.stderr,
                    /^error: --password-env must name an environment variable such as EXO_CBA_PFX_PASSWORD \(letters, digits and [^\n]*\n$/,
                );
                for (const shown of [value, JSON.stringify(value).slice(1, -1), value.slice(0, 5)]) {
                    assert.ok(!r.stderr.includes(shown), `${value}: ${r.stderr}`);
                }
            }
            assert.deepEqual(fs.readdirSync(dir), []);
        });
        it("a valid name that is not upper case is not echoed when it is unset or empty", async () => {
            const dir = tempDir("export-");
            const unset = await exportCertWithoutTerminal(["--outputs-file", outputsFile, "--out", dir, "--password-env", secret], {
                [secret]: undefined,
            });
            assert.equal(unset.code, 2, unset.stderr);
            assert.match(unset.stderr, /^error: set the PFX password in the environment variable that --password-env names [^\n]*\n$/);
            assert.ok(!unset.stderr.includes(secret), unset.stderr);
            const empty = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--password-env", secret], { [secret]: "" });
            assert.equal(empty.code, 2, empty.stderr);
            assert.match(empty.stderr, /^error: the environment variable that --password-env names is empty/);
            assert.ok(!empty.stderr.includes(secret), empty.stderr);
            assert.deepEqual(fs.readdirSync(dir), []);
        });
        it("nor when it is set: the closing line does not name it", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--format", "pfx", "--password-env", "runner_pfx"], {
                runner_pfx: PASSWORD,
            });
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /The PFX password is the one from the environment variable that --password-env names;/);
            assert.ok(!(r.stdout + r.stderr).includes("runner_pfx"));
        });

        // Each argument below holds the password from the environment, where a message would quote it.
        for (const [what, args] of [
            ["a --format value", ["--format", secret]],
            ["an unknown option", [`--${secret}`]],
            ["a --stack value", ["--stack", `${secret}!`]],
            ["a --name value", ["--name", `${secret}/x`]],
            ["an --out directory that does not exist", ["--out", `/nonexistent/${secret}`]],
        ] as const) {
            it(`${what}: replaced by a marker in the error`, async () => {
                const dir = tempDir("export-");
                const out = (args as readonly string[]).includes("--out") ? [] : ["--out", dir];
                const r = await exportCert(["--outputs-file", outputsFile, ...out, ...args], { EXO_CBA_PFX_PASSWORD: secret });
                assert.equal(r.code, 2, r.stderr);
                assert.ok(r.stderr.includes(MARKER), r.stderr);
                assert.ok(!r.stderr.includes(secret), r.stderr);
                assert.equal(r.stdout, "");
                assert.deepEqual(fs.readdirSync(dir), []);
            });
        }
        it("from the variable --password-env names, too", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--password-env", "RUNNER_PFX", "--format", secret], {
                RUNNER_PFX: secret,
                EXO_CBA_PFX_PASSWORD: undefined,
            });
            assert.equal(r.code, 2, r.stderr);
            assert.equal(r.stderr, `error: --format must be pfx, pem, cer or all (got "${MARKER}")\n`);
        });
        it("a long password that a message would shorten is not shown in part either", async () => {
            const dir = tempDir("export-");
            const long = "Tr0ub4dor&3 is a worse passphrase than correct horse battery staple, and longer than 80";
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--format", long], { EXO_CBA_PFX_PASSWORD: long });
            assert.equal(r.code, 2, r.stderr);
            assert.ok(r.stderr.includes(MARKER), r.stderr);
            for (let i = 0; i + 8 <= long.length; i++) assert.ok(!r.stderr.includes(long.slice(i, i + 8)), r.stderr);
        });
        it("in what a successful export prints", async () => {
            const dir = path.join(tempDir("export-"), secret);
            fs.mkdirSync(dir);
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", secret], { EXO_CBA_PFX_PASSWORD: secret });
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(
                fs.readdirSync(dir).sort(),
                ["cer", "pem", "pfx"].map((f) => `${secret}.${f}`),
            );
            assert.ok(r.stdout.includes(MARKER), r.stdout);
            assert.ok(!(r.stdout + r.stderr).includes(secret));
        });
    });

    describe("warns about a certificate outside its validity, and still exports it", () => {
        /** The outputs with another certificate and key of the same stack. */
        function withCertificate(made: { certPem: string; keyPem: string }): string {
            const file = path.join(tempDir("outputs-"), "outputs.json");
            fs.writeFileSync(file, JSON.stringify(deployedWith(outputs, made)));
            return file;
        }
        /** openssl's NotBefore or NotAfter as RFC 3339, whole seconds. */
        const opensslDate = (pem: string, which: "startdate" | "enddate") =>
            new Date(
                openssl(["x509", "-noout", `-${which}`], pem)
                    .trim()
                    .replace(/^not(Before|After)=/, ""),
            )
                .toISOString()
                .replace(/\.\d{3}Z$/, "Z");

        it("expired: when, that it can no longer sign in, and the project's rotation advice, on one line", async () => {
            const made = makeCertificate({ now: new Date(), fromDays: -60, toDays: -2 });
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", withCertificate(made), "--out", dir, "--name", "c"]);
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(fs.readdirSync(dir).sort(), ["c.cer", "c.pem", "c.pfx"]);
            const lines = r.stderr.split("\n");
            assert.equal(lines.length, 2, r.stderr);
            assert.equal(lines[1], "");
            const notAfter = opensslDate(made.certPem, "enddate");
            assert.ok(
                lines[0].startsWith(`warning: The certificate ${opensslThumbprint(made.certPem)} expired on ${notAfter}: `),
                lines[0],
            );
            assert.match(lines[0], /can no longer sign in/);
            assert.ok(lines[0].includes(ROTATION_ADVICE), lines[0]);
        });
        it("not yet valid: the date it becomes valid", async () => {
            const made = makeCertificate({ now: new Date(), fromDays: 3, toDays: 90 });
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", withCertificate(made), "--out", dir, "--name", "c", "--format", "cer"]);
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(fs.readdirSync(dir), ["c.cer"]);
            const notBefore = opensslDate(made.certPem, "startdate");
            assert.match(
                r.stderr,
                new RegExp(`^warning: The certificate ${opensslThumbprint(made.certPem)} becomes valid on ${notBefore}: [^\\n]*\\n$`),
            );
            assert.ok(r.stderr.includes(ROTATION_ADVICE), r.stderr);
        });
        it("valid: no warning", async () => {
            const made = makeCertificate({ now: new Date(), fromDays: -1, toDays: 2 });
            const r = await exportCert(["--outputs-file", withCertificate(made), "--out", tempDir("export-")]);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stderr, "");
        });
        it("judges by the now it is given, not the clock", async () => {
            const now = new Date();
            const made = makeCertificate({ now, fromDays: -1, toDays: 30 });
            const values = deployedWith(outputs, made);
            const warnings = async (at: Date) => {
                const plan = exportPlan({ format: "cer", out: tempDir("export-") });
                const noPassword = () => assert.fail("a .cer needs no password");
                const read = parseOutputs(values);
                assert.deepEqual(read.problems, []);
                return (await exportCertificate(read.outputs, plan, noPassword, at)).warnings;
            };
            assert.deepEqual(await warnings(now), []);
            const later = await warnings(new Date(now.getTime() + 31 * DAY_MS));
            assert.equal(later.length, 1);
            assert.match(later[0], new RegExp(`expired on ${opensslDate(made.certPem, "enddate")}: `));
            const earlier = await warnings(new Date(now.getTime() - 2 * DAY_MS));
            assert.equal(earlier.length, 1);
            assert.match(earlier[0], new RegExp(`becomes valid on ${opensslDate(made.certPem, "startdate")}: `));
        });
    });

    describe("refuses Windows device names as --name, where the files are often copied", () => {
        it("CON, PRN, AUX, NUL, COM0-9 and LPT0-9, in any case, with or without an extension", () => {
            const devices = [
                "NUL",
                "nul",
                "Con",
                "PRN",
                "aux",
                "COM1",
                "com9",
                "COM0",
                "LPT1",
                "lpt9",
                "Lpt0",
                "nul.backup",
                "COM3.pfx",
                "Aux.old.1",
            ];
            for (const name of devices) {
                assert.throws(
                    () => exportPlan({ name }, "/"),
                    (e: unknown) =>
                        e instanceof UserError &&
                        e.exitCode === 2 &&
                        e.message.startsWith(`--name ${JSON.stringify(name)} is a name Windows reserves for a device`) &&
                        e.message.includes("letters, digits, '.', '_' or '-'"),
                    name,
                );
            }
            for (const name of ["nullable", "console", "COM10", "LPT", "auxiliary", "com", "contoso", "prn-2", "nul_", "con-tenant.a"]) {
                assert.equal(exportPlan({ name }, "/").name, name);
            }
        });
        it("--name NUL: one line, exit 2, nothing written", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--name", "NUL"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /^error: --name "NUL" is a name Windows reserves for a device [^\n]*\n$/);
            assert.deepEqual(fs.readdirSync(dir), []);
        });
        it("a stack called aux: the default file name is refused, with --name as the way out", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--stack", "contoso/exo/aux", "--outputs-file", outputsFile, "--out", dir]);
            assert.equal(r.code, 2);
            assert.match(
                r.stderr,
                /^error: the file name defaults to the stack name, and "aux" is a name Windows reserves for a device.*pass --name <file name>\n$/,
            );
            assert.deepEqual(fs.readdirSync(dir), []);
        });
    });

    describe("--format cer alone", () => {
        it("says in one line what the .cer is for, and prints no line that would connect", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--format", "cer", "--name", "c"], {});
            assert.equal(r.code, 0, r.stderr);
            const lines = r.stdout.split("\n");
            assert.equal(lines.length, 3, r.stdout);
            assert.equal(lines[0], `Wrote ${path.join(dir, "c.cer")} (readable by you only).`);
            assert.match(lines[1], /^c\.cer is the public certificate without its private key: .*upload.*trust/);
            assert.equal(lines[2], "");
            assert.doesNotMatch(r.stdout, /Connect-|Import-PfxCertificate/);
        });
    });

    describe("where the PFX password is asked for", () => {
        it("standard input when it is a terminal, else /dev/tty when the process has one, else nowhere", () => {
            const notOpened = () => assert.fail("/dev/tty is not opened when standard input is the terminal");
            assert.equal(promptTerminal(true, false, notOpened), "stdin");
            assert.equal(
                promptTerminal(false, false, () => true),
                "/dev/tty",
            );
            assert.equal(
                promptTerminal(false, false, () => false),
                undefined,
            );
            // A terminal already read to its end by --outputs-file - has no more lines to give.
            assert.equal(
                promptTerminal(true, true, () => true),
                "/dev/tty",
            );
            assert.equal(
                promptTerminal(true, true, () => false),
                undefined,
            );
        });
    });

    describe("--stack with --outputs-file only names the stack", () => {
        it("and the files after its last part", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--stack", "contoso/exo-cba/prod", "--outputs-file", outputsFile, "--out", dir, "--format", "cer"]);
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(fs.readdirSync(dir), ["prod.cer"]);
        });
        it("and is still checked as a stack name", async () => {
            const dir = tempDir("export-");
            const r = await exportCert(["--stack", "prod stack", "--outputs-file", outputsFile, "--out", dir, "--format", "cer"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /--stack must be a stack name/);
            assert.deepEqual(fs.readdirSync(dir), []);
        });
    });
});

const deployments = new Map<string, Promise<Evaluation>>();

/**
 * Outputs of a stack the engine deployed, as `pulumi stack output --json --show-secrets` prints them,
 * written to a file of their own (in a directory the export does not write to).
 */
async function deployedOutputs(
    config: Record<string, unknown>,
    tenant?: TenantData,
): Promise<{ outputs: Record<string, unknown>; file: string }> {
    // One deployment per configuration and tenant: the tests only read its outputs.
    const key = JSON.stringify([config, tenant ?? null]);
    let deployment = deployments.get(key);
    if (!deployment) {
        deployment = run(stackConfig(config), tenant ? { tenant } : {});
        deployments.set(key, deployment);
    }
    const ev = await deployment;
    assert.equal(ev.failed, false, ev.errors.join("\n"));
    const outputs = reveal(ev.outputs as never) as Record<string, unknown>;
    const file = path.join(tempDir("outputs-"), "outputs.json");
    fs.writeFileSync(file, JSON.stringify(outputs, null, 2));
    return { outputs, file };
}

/** The Connect-* lines export-cert printed, without their indent. */
function connectLines(stdout: string): string[] {
    return stdout
        .split("\n")
        .filter((l) => l.startsWith("  Connect-"))
        .map((l) => l.slice(2));
}

/** The thumbprint of the exported .cer, by openssl. */
function exportedThumbprint(cer: string): string {
    return opensslThumbprint(openssl(["x509", "-inform", "der", "-in", cer]));
}

/** What -Certificate takes for a PEM file (PowerShell 7's X509Certificate2.CreateFromPemFile). */
const fromPem = (file: string) => `([System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile('${file}'))`;
const PFX_PASSWORD_PROMPT = `-CertificatePassword (Read-Host -AsSecureString -Prompt "PFX password")`;

describe("the stack's cloud and Security & Compliance PowerShell", () => {
    /**
     * Typed from Microsoft's references: -ExchangeEnvironmentName from Connect-ExchangeOnline's, -ConnectionUri and
     * -AzureADAuthorizationEndpointUri from Connect-IPPSSession's (learn.microsoft.com/powershell/module/exchangepowershell/).
     * Each stack has a role that reaches Security & Compliance PowerShell (the app-only page's role table).
     */
    const CLOUD_CASES = [
        {
            cloud: "gcc-high",
            config: { "azuread:environment": "usgovernment", "exo-cba:cloud": "gcc-high", "exo-cba:roles": ["Compliance Administrator"] },
            tenant: contosoGov(),
            organization: "contoso.onmicrosoft.us",
            exchange: " -ExchangeEnvironmentName O365USGovGCCHigh",
            compliance:
                " -ConnectionUri 'https://ps.compliance.protection.office365.us/powershell-liveid/' -AzureADAuthorizationEndpointUri 'https://login.microsoftonline.us/organizations'",
        },
        {
            cloud: "dod",
            config: { "azuread:environment": "dod", "exo-cba:cloud": "dod", "exo-cba:roles": ["Global Reader"] },
            tenant: contosoGov(),
            organization: "contoso.onmicrosoft.us",
            exchange: " -ExchangeEnvironmentName O365USGovDoD",
            compliance:
                " -ConnectionUri 'https://l5.ps.compliance.protection.office365.us/powershell-liveid/' -AzureADAuthorizationEndpointUri 'https://login.microsoftonline.us/organizations'",
        },
        {
            cloud: "china",
            config: { "azuread:environment": "china", "exo-cba:cloud": "china", "exo-cba:roles": ["Security Reader"] },
            tenant: contosoChina(),
            organization: "contoso.partner.onmschina.cn",
            exchange: " -ExchangeEnvironmentName O365China",
            compliance:
                " -ConnectionUri 'https://ps.compliance.protection.partner.outlook.cn/powershell-liveid' -AzureADAuthorizationEndpointUri 'https://login.chinacloudapi.cn/organizations'",
        },
    ] as const;

    for (const c of CLOUD_CASES) {
        it(`${c.cloud}: every Connect-ExchangeOnline line names the cloud, and Connect-IPPSSession has its endpoints where Windows runs it`, async () => {
            const { outputs, file } = await deployedOutputs(c.config, c.tenant);
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", file, "--out", dir, "--name", "c"]);
            assert.equal(r.code, 0, r.stderr);
            const [pfx, pem] = [path.join(dir, "c.pfx"), path.join(dir, "c.pem")];
            const who = `-AppId '${String(outputs["appId"])}' -Organization '${c.organization}'`;
            const thumbprint = exportedThumbprint(path.join(dir, "c.cer"));
            // Connect-IPPSSession beside the Windows lines only, and where a line may run elsewhere, with the caveat.
            assert.deepEqual(connectLines(r.stdout), [
                `Connect-ExchangeOnline -CertificateThumbprint '${thumbprint}' ${who}${c.exchange}`,
                `Connect-IPPSSession -CertificateThumbprint '${thumbprint}' ${who}${c.compliance}${WINDOWS_ONLY_CAVEAT}`,
                `Connect-ExchangeOnline -CertificateFilePath '${pfx}' ${PFX_PASSWORD_PROMPT} ${who}${c.exchange}`,
                `Connect-ExchangeOnline -Certificate ${fromPem(pem)} ${who}${c.exchange}`,
                `Connect-IPPSSession -Certificate ${fromPem(pem)} ${who}${c.compliance}${WINDOWS_ONLY_CAVEAT}`,
            ]);
        });
    }

    it("worldwide: no -ExchangeEnvironmentName, and Connect-IPPSSession only with a role that reaches it", async () => {
        const [sc, exchangeOnly] = await Promise.all([
            deployedOutputs({ "exo-cba:roles": ["Security Reader"] }),
            deployedOutputs({ "exo-cba:roles": ["Exchange Recipient Administrator"] }),
        ]);
        const exported = async (file: string) => {
            const dir = tempDir("export-");
            const r = await exportCert(["--outputs-file", file, "--out", dir, "--name", "c", "--format", "pfx"]);
            assert.equal(r.code, 0, r.stderr);
            return { lines: connectLines(r.stdout), pfx: path.join(dir, "c.pfx"), dir, stdout: r.stdout };
        };
        const withSc = await exported(sc.file);
        const scThumbprint = String(sc.outputs["thumbprint"]);
        const scWho = `-AppId '${String(sc.outputs["appId"])}' -Organization 'contoso.onmicrosoft.com'`;
        assert.deepEqual(withSc.lines, [
            `Connect-ExchangeOnline -CertificateThumbprint '${scThumbprint}' ${scWho}`,
            `Connect-IPPSSession -CertificateThumbprint '${scThumbprint}' ${scWho}${WINDOWS_ONLY_CAVEAT}`,
            `Connect-ExchangeOnline -CertificateFilePath '${withSc.pfx}' ${PFX_PASSWORD_PROMPT} ${scWho}`,
        ]);
        // The Linux and macOS lines offer no Connect-IPPSSession, and say why.
        const linux = withSc.stdout.split("\n\n").find((section) => section.startsWith("Linux or macOS"));
        assert.ok(linux !== undefined, withSc.stdout);
        assert.doesNotMatch(linux, /^ {2}Connect-IPPSSession/m);
        assert.ok(linux.includes(WINDOWS_ONLY_CAVEAT.replace("  # ", "")), linux);
        const without = await exported(exchangeOnly.file);
        assert.equal(exchangeOnly.outputs["connectIppsCommand"], undefined);
        assert.deepEqual(
            without.lines.map((l) => l.split(" ")[0]),
            ["Connect-ExchangeOnline", "Connect-ExchangeOnline"],
        );
    });

    it("quotes the file paths in Connect-IPPSSession lines as in the others", async () => {
        const { outputs, file } = await deployedOutputs({ "exo-cba:roles": ["Global Reader"] });
        // ' ‘ ’ ‚ ‛ each end a single-quoted PowerShell string unless doubled.
        const dir = path.join(tempDir("export-"), "o'brien \u2018a\u2019 \u201ab\u201b $(whoami)");
        fs.mkdirSync(dir);
        const r = await exportCert(["--outputs-file", file, "--out", dir, "--name", "c"]);
        assert.equal(r.code, 0, r.stderr);
        const ipps = connectLines(r.stdout).filter((l) => l.startsWith("Connect-IPPSSession "));
        assert.equal(ipps.length, 2, r.stdout);
        const [byThumbprint, byPem] = ipps.map(powershellLiterals);
        assert.deepEqual(byThumbprint.literals, [String(outputs["thumbprint"]), String(outputs["appId"]), "contoso.onmicrosoft.com"]);
        assert.deepEqual(byPem.literals, [path.join(dir, "c.pem"), String(outputs["appId"]), "contoso.onmicrosoft.com"]);
        for (const { outside } of [byThumbprint, byPem]) assert.doesNotMatch(outside, /whoami|brien/);
    });

    it("a brought certificate in GCC High: both thumbprint lines name the cloud", async () => {
        const { outputs } = await deployedOutputs(CLOUD_CASES[0].config, CLOUD_CASES[0].tenant);
        const dir = tempDir("export-");
        const file = path.join(tempDir("outputs-"), "byo.json");
        const { privateKeyPem: _key, ...publicOnly } = outputs;
        fs.writeFileSync(file, JSON.stringify(publicOnly));
        const r = await exportCert(["--outputs-file", file, "--out", dir, "--name", "byo"], {});
        assert.equal(r.code, 0, r.stderr);
        const who = `-AppId '${String(outputs["appId"])}' -Organization 'contoso.onmicrosoft.us'`;
        const thumbprint = exportedThumbprint(path.join(dir, "byo.cer"));
        assert.deepEqual(connectLines(r.stdout), [
            `Connect-ExchangeOnline -CertificateThumbprint '${thumbprint}' ${who}${CLOUD_CASES[0].exchange}`,
            `Connect-IPPSSession -CertificateThumbprint '${thumbprint}' ${who}${CLOUD_CASES[0].compliance}${WINDOWS_ONLY_CAVEAT}`,
        ]);
    });

    it("refuses a thumbprint that is not the certificate's, even for a .cer, without asking for secret outputs", async () => {
        const { outputs } = await deployedOutputs({ "exo-cba:roles": ["Global Reader"] });
        const { privateKeyPem: _key, ...publicOutputs } = outputs;
        const file = path.join(tempDir("outputs-"), "outputs.json");
        const other = "AB".repeat(20);
        // The list names the same other certificate, so that only the PEM disagrees (as if it came from another deployment).
        const certificates = (outputs["certificates"] as Record<string, unknown>[]).map((c) => ({ ...c, thumbprint: other }));
        fs.writeFileSync(file, JSON.stringify({ ...publicOutputs, thumbprint: other, certificates }));
        const dir = tempDir("export-");
        const r = await exportCert(["--outputs-file", file, "--out", dir, "--format", "cer"], {});
        assert.equal(r.code, 2);
        assert.equal(
            r.stderr,
            `error: output thumbprint "${other}" is not the thumbprint of output certificatePem (${opensslThumbprint(String(outputs["certificatePem"]))}); the outputs do not come from one deployment: read them again\n`,
        );
        assert.deepEqual(fs.readdirSync(dir), []);
    });
    it("refuses a cloud output that names no cloud, or disagrees with exchangeEnvironmentName; an absent one is worldwide", async () => {
        const { outputs } = await deployedOutputs({ "exo-cba:roles": ["Global Reader"] });
        const dir = tempDir("export-");
        const file = path.join(tempDir("outputs-"), "outputs.json");
        const attempt = async (changed: Record<string, unknown>) => {
            fs.writeFileSync(file, JSON.stringify({ ...outputs, ...changed }));
            return exportCert(["--outputs-file", file, "--out", dir, "--name", "c"]);
        };
        for (const [cloud, shown] of [
            ["usgov", '"usgov"'],
            ["GCC-High", '"GCC-High"'],
            ["", '""'],
            [42, "42"],
            [null, "null"],
        ] as const) {
            const r = await attempt({ cloud });
            assert.equal(r.code, 2, `${String(cloud)}: ${r.stderr}`);
            assert.equal(r.stderr, `error: output cloud should be one of global, gcc-high, dod, china (got ${shown})\n`);
            assert.equal(r.stdout, "");
        }
        const mixed = await attempt({ cloud: "gcc-high", exchangeEnvironmentName: "O365Default" });
        assert.equal(mixed.code, 2);
        assert.equal(
            mixed.stderr,
            'error: output exchangeEnvironmentName is "O365Default", but cloud gcc-high connects with O365USGovGCCHigh; read the outputs again from one deployment\n',
        );
        assert.deepEqual(fs.readdirSync(dir), [], "nothing was written");

        // Without the cloud output the stack is worldwide: another cloud's Exchange environment means stitched outputs.
        const { cloud: _c, ...noCloud } = outputs;
        fs.writeFileSync(file, JSON.stringify({ ...noCloud, exchangeEnvironmentName: "O365USGovGCCHigh" }));
        const stitched = await exportCert(["--outputs-file", file, "--out", dir, "--name", "c"]);
        assert.equal(stitched.code, 2);
        assert.equal(
            stitched.stderr,
            'error: output exchangeEnvironmentName is "O365USGovGCCHigh", but without a cloud output the stack is worldwide, which connects with O365Default; read the outputs again from one deployment\n',
        );
        assert.deepEqual(fs.readdirSync(dir), [], "nothing was written");

        // A stack deployed before the cloud setting existed has neither output: the worldwide cloud.
        const { cloud: _cloud, exchangeEnvironmentName: _name, ...older } = outputs;
        fs.writeFileSync(file, JSON.stringify(older));
        const r = await exportCert(["--outputs-file", file, "--out", dir, "--name", "c", "--format", "pfx"]);
        assert.equal(r.code, 0, r.stderr);
        const who = `-AppId '${String(outputs["appId"])}' -Organization 'contoso.onmicrosoft.com'`;
        assert.deepEqual(connectLines(r.stdout).slice(0, 2), [
            `Connect-ExchangeOnline -CertificateThumbprint '${String(outputs["thumbprint"])}' ${who}`,
            `Connect-IPPSSession -CertificateThumbprint '${String(outputs["thumbprint"])}' ${who}${WINDOWS_ONLY_CAVEAT}`,
        ]);
    });
});

describe("a stack without a certificate", () => {
    /** export-cert's refusal: exit 2, one line, nothing written, no password asked for. */
    async function refusal(file: string, format = "all"): Promise<string> {
        const dir = tempDir("export-");
        const r = await exportCert(["--outputs-file", file, "--out", dir, "--format", format], {});
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.deepEqual(fs.readdirSync(dir), []);
        return r.stderr;
    }

    it("federated credentials only (certificates []): says so and gives connectCommandAccessToken's lines for its cloud", async () => {
        const { outputs, file } = await deployedOutputs(
            {
                "azuread:environment": "usgovernment",
                "exo-cba:cloud": "gcc-high",
                "exo-cba:roles": ["Compliance Administrator"],
                "exo-cba:certificates": [],
                "exo-cba:federatedCredentials": [{ name: "github-reports", github: "contoso/exchange-reports", environment: "production" }],
            },
            contosoGov(),
        );
        assert.deepEqual(outputs["certificates"], []);
        // Connect-ExchangeOnline -AccessToken (module 3.1.0) and Connect-IPPSSession -AccessToken (3.8.0), from their
        // references; GCC High's -ExchangeEnvironmentName, -ConnectionUri and -AzureADAuthorizationEndpointUri likewise.
        const expected =
            "error: this stack has no certificate to export: it registers none (exo-cba:certificates is []). Its runners connect " +
            "with a federated credential's token (output connectCommandAccessToken): " +
            "Connect-ExchangeOnline -AccessToken $accessToken -Organization 'contoso.onmicrosoft.us' -ExchangeEnvironmentName O365USGovGCCHigh; " +
            "Security & Compliance PowerShell with a token for its own resource (output connectIppsCommand): " +
            "Connect-IPPSSession -AccessToken $accessToken -Organization 'contoso.onmicrosoft.us' " +
            "-ConnectionUri 'https://ps.compliance.protection.office365.us/powershell-liveid/' " +
            "-AzureADAuthorizationEndpointUri 'https://login.microsoftonline.us/organizations' " +
            `(${WINDOWS_ONLY_CAVEAT.replace("  # ", "")}). Nothing was written.\n`;
        assert.equal(await refusal(file), expected);
        assert.equal(await refusal(file, "cer"), expected);
    });

    it("managed identities only (application false): says so and gives each identity's connect line", async () => {
        const { file } = await deployedOutputs({
            "exo-cba:application": false,
            "exo-cba:managedIdentities": [
                { name: "automation", objectId: AUTOMATION_IDENTITY_ID },
                { name: "mailflow", objectId: FUNCTION_IDENTITY_ID, clientId: FUNCTION_IDENTITY_CLIENT_ID },
            ],
        });
        // learn.microsoft.com/powershell/exchange/connect-exo-powershell-managed-identity: system-assigned, then user-assigned.
        assert.equal(
            await refusal(file),
            "error: this stack has no certificate to export: it has no application (exo-cba:application is false). Its runners connect " +
                `as managed identity "automation" (output managedIdentities): Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com'; ` +
                `as managed identity "mailflow" (output managedIdentities): Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' ` +
                `-ManagedIdentityAccountId '${FUNCTION_IDENTITY_CLIENT_ID}'. Nothing was written.\n`,
        );
    });
    it("builds those lines itself: an identity whose client id is no GUID is refused, a hostile name is shown escaped", async () => {
        const { outputs } = await deployedOutputs({
            "exo-cba:application": false,
            "exo-cba:managedIdentities": [{ name: "automation", objectId: AUTOMATION_IDENTITY_ID }],
        });
        const file = path.join(tempDir("outputs-"), "outputs.json");
        const identity = { name: "automation", objectId: AUTOMATION_IDENTITY_ID };
        fs.writeFileSync(
            file,
            JSON.stringify({ ...outputs, managedIdentities: [{ ...identity, clientId: "x'; Remove-Item C:\\ -Recurse #" }] }),
        );
        assert.equal(
            await refusal(file),
            'error: output managedIdentities should be a list of {"name", "objectId": <GUID>, "clientId": <GUID, user-assigned only>}\n',
        );
        fs.writeFileSync(file, JSON.stringify({ ...outputs, managedIdentities: [{ ...identity, name: "a\u001b[2Jb" }] }));
        const message = await refusal(file);
        assert.ok(
            message.includes('as managed identity "a\\u001b[2Jb" (output managedIdentities): Connect-ExchangeOnline -ManagedIdentity'),
            message,
        );
        assert.ok(!message.includes("\u001b"), "the escape is shown, not sent to the terminal");
    });
});

describe("replacing files when a rename fails after others succeeded", () => {
    const injected = () => Object.assign(new Error("injected failure"), { code: "EIO" });

    /** The real file system, but a rename for which `fails` is true throws; the mode of what is renamed into a target is noted. */
    function renamesFailingWhen(fails: (from: string, to: string) => boolean, modes: Map<string, number> = new Map()) {
        return {
            link: FILE_SYSTEM.link,
            rename: (from: string, to: string) => {
                if (/[abc]\.(cer|pem|pfx)$/.test(to)) modes.set(from, fs.lstatSync(from).mode & 0o777);
                if (fails(from, to)) throw injected();
                FILE_SYSTEM.rename(from, to);
            },
        };
    }

    /** a.cer and c.pfx exist, b.pem does not; new content for all three. */
    function setUp(): { dir: string; files: Map<string, Buffer>; target: (n: string) => string } {
        const dir = tempDir("replace-");
        const target = (n: string) => path.join(dir, n);
        fs.writeFileSync(target("a.cer"), "old a", { mode: 0o600 });
        fs.writeFileSync(target("c.pfx"), "old c", { mode: 0o600 });
        const files = new Map([
            [target("a.cer"), Buffer.from("new a")],
            [target("b.pem"), Buffer.from("new b")],
            [target("c.pfx"), Buffer.from("new c")],
        ]);
        return { dir, files, target };
    }

    function thrown(f: () => unknown): UserError {
        try {
            f();
        } catch (e) {
            assert.ok(e instanceof UserError, String(e));
            return e;
        }
        assert.fail("expected a failure");
    }

    let umask: number;
    before(() => {
        // The most permissive umask: a temporary file is private because it is created so, not because of the umask.
        umask = process.umask(0);
    });
    after(() => void process.umask(umask));

    it("puts the replaced files back, removes the new ones, and says that nothing changed", () => {
        const { dir, files, target } = setUp();
        const before = snapshot(dir);
        const modes = new Map<string, number>();
        const failure = thrown(() =>
            replaceFiles(
                files,
                true,
                renamesFailingWhen((_from, to) => to === target("c.pfx"), modes),
            ),
        );
        assert.deepEqual(snapshot(dir), before, "a.cer has its old content again, b.pem is gone, no temporary or backup file is left");
        assert.match(failure.message, /^cannot replace .*c\.pfx: EIO; nothing was changed/);
        assert.equal(failure.exitCode, 2);
        assert.ok(modes.size >= 3, "a.cer and b.pem were renamed into place before c.pfx failed");
        for (const [from, m] of modes) assert.equal(m, 0o600, `${from} was readable by others`);
    });

    it("says which file it could not put back and where its previous content is", () => {
        const { dir, files, target } = setUp();
        const failure = thrown(() =>
            replaceFiles(
                files,
                true,
                // c.pfx cannot be replaced, and a.cer's previous content cannot be put back.
                renamesFailingWhen(
                    (from, to) => to === target("c.pfx") || (to === target("a.cer") && fs.readFileSync(from, "utf8") === "old a"),
                ),
            ),
        );
        assert.equal(failure.exitCode, EXIT_INCOMPLETE);
        const kept = /a\.cer is the new file \(EIO putting the previous one back, which is in (\S+\.old)\)/.exec(failure.message);
        assert.ok(kept?.[1], failure.message);
        assert.doesNotMatch(failure.message, /nothing was changed/);
        assert.equal(fs.readFileSync(kept[1], "utf8"), "old a");
        assert.equal(fs.readFileSync(target("a.cer"), "utf8"), "new a");
        assert.equal(fs.readFileSync(target("c.pfx"), "utf8"), "old c");
        assert.deepEqual(
            fs.readdirSync(dir).sort(),
            [path.basename(kept[1]), "a.cer", "c.pfx"].sort(),
            "b.pem and the temporary files are gone",
        );
    });
});
