/**
 * npm run export-cert, end to end on real files, read back by openssl.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { type ToolRun, runTool } from "./support/cli.mts";
import { openssl, opensslCertificate, opensslReport, reveal, run, stackConfig, tempDir } from "./support/harness.mts";

const PASSWORD = "correct horse battery staple";

function exportCert(args: string[], env: Record<string, string | undefined> = { EXO_CBA_PFX_PASSWORD: PASSWORD }): Promise<ToolRun> {
    return runTool("export-cert", args, { env });
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
            const r = await exportCert(["--outputs-file", outputsFile, "--out", dir, "--password-env", "RUNNER_PFX_PASSWORD"], {
                EXO_CBA_PFX_PASSWORD: PASSWORD,
            });
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
            assert.match(missing.stderr, /no output certificatePem/);
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
});
