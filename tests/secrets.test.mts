/**
 * Private keys pasted where they do not belong never come out again: not in a plan (text or JSON,
 * which a fork's pull request copies into a public job summary), not in the program's errors, and no
 * private key is committed anywhere in the repository.
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { makeCertificate } from "./support/certificates.mts";
import { type ToolRun, runTool } from "./support/cli.mts";
import { PROJECT_DIR, allText, rawConfig, run, tempDir } from "./support/harness.mts";

const now = new Date();

/** Every flavour of private key a person might paste, with a line of its body to look for in output. */
function keys(): { flavour: string; pem: string }[] {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const pkcs8 = rsa.export({ type: "pkcs8", format: "pem" }).toString();
    return [
        { flavour: "PKCS#8", pem: pkcs8 },
        { flavour: "PKCS#1", pem: rsa.export({ type: "pkcs1", format: "pem" }).toString() },
        { flavour: "SEC1 (EC)", pem: ec.export({ type: "sec1", format: "pem" }).toString() },
        {
            flavour: "encrypted PKCS#8",
            pem: rsa.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pass phrase" }).toString(),
        },
        { flavour: "lower-case header", pem: pkcs8.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, (m) => m.toLowerCase()) },
    ];
}

/** Lines of a PEM body: any one of them in the output is key material printed. */
function bodyLines(pem: string): string[] {
    return pem.split("\n").filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l));
}

function assertNoKey(text: string, pem: string, where: string): void {
    assert.ok(!/PRIVATE KEY-----/i.test(text), `${where}: a private key block was printed`);
    for (const line of bodyLines(pem)) assert.ok(!text.includes(line), `${where}: key material was printed`);
}

function plan(config: Record<string, unknown>, ...args: string[]): Promise<ToolRun> {
    const file = path.join(tempDir("plan-"), "Pulumi.leak.yaml");
    fs.writeFileSync(file, stringify({ config }));
    return runTool("plan", ["--stack", "leak", "--config-file", file, ...args], { viaNpm: false });
}

describe("a private key pasted into the configuration", () => {
    const certificate = makeCertificate({ now }).certPem;
    const [pkcs8, pkcs1, sec1, encrypted, lowerCase] = keys().map((k) => k.pem) as [string, string, string, string, string];
    const everyKey = [pkcs8, pkcs1, sec1, encrypted, lowerCase];
    // Every flavour, in every kind of place: a certificate setting (with and without the certificate),
    // settings that expect a name, a certificates item and an unknown field of one.
    const configs: Record<string, Record<string, unknown>> = {
        "with the certificate, and in settings that expect names": {
            "exo-cba:certificatePem": pkcs8 + certificate,
            "exo-cba:organization": pkcs1,
            "exo-cba:displayName": sec1,
            "exo-cba:keyVaultSecretName": encrypted,
            "exo-cba:roles": [lowerCase],
        },
        "alone, and in certificates items": {
            "exo-cba:certificatePem": lowerCase,
            "exo-cba:certificates": [{ name: "next", certificatePem: pkcs1 }, { name: "other", privateKey: sec1, notes: encrypted }, pkcs8],
        },
    };
    for (const [name, config] of Object.entries(configs)) {
        it(`is refused, and never printed by npm run plan, as text or JSON: ${name}`, async () => {
            const [text, json] = await Promise.all([plan(config), plan(config, "--json")]);
            assert.equal(text.code, 1, text.stderr);
            assert.equal(json.code, 1, json.stderr);
            assert.match(text.stdout, /Invalid configuration for stack "leak"/);
            for (const pem of everyKey) {
                assertNoKey(text.stdout + text.stderr, pem, "text plan");
                assertNoKey(json.stdout + json.stderr, pem, "JSON plan");
            }
            assert.match(JSON.stringify(JSON.parse(json.stdout)), /\[private key redacted\]/, "the configuration value is shown redacted");
        });
    }
    it("is refused by the program run as pulumi up runs it, without echoing the key anywhere", async () => {
        const ev = await run(rawConfig({ "exo-cba:certificatePem": lowerCase, "exo-cba:displayName": `x${pkcs1}` }));
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), /exo-cba:certificatePem contains a private key/);
        for (const pem of [lowerCase, pkcs1]) assertNoKey(allText(ev), pem, "program output");
    });
});

describe("a key or PFX pasted as bare base64 (what a key vault returns for a certificate)", () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const der = rsa.export({ type: "pkcs8", format: "der" });
    const oneLine = der.toString("base64");
    const wrapped = oneLine.replace(/(.{64})/g, "$1\n").trim();
    it("is never printed by npm run plan, as text or JSON, in any setting", async () => {
        const config = {
            "exo-cba:certificatePem": wrapped,
            "exo-cba:keyVaultSecretName": oneLine,
            "exo-cba:organization": `${oneLine}.onmicrosoft.com`,
        };
        const [text, json] = await Promise.all([plan(config), plan(config, "--json")]);
        assert.equal(text.code, 1, text.stderr);
        for (const run of [text, json]) {
            const printed = run.stdout + run.stderr;
            for (const chunk of oneLine.match(/.{40}/g) ?? []) assert.ok(!printed.includes(chunk), "key material was printed");
        }
    });
});

describe("a token pasted into the configuration", () => {
    const segment = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const jwt = `${segment({ alg: "RS256", kid: "k1" })}.${segment({ iss: "https://token.actions.githubusercontent.com", sub: "repo:contoso/reports:environment:production" })}.${"s".repeat(43)}`;
    it("is refused in any setting, naming it, and never echoed", async () => {
        const ev = await run(
            rawConfig({
                "exo-cba:federatedCredentials": JSON.stringify([
                    { name: "gh", issuer: "https://token.actions.githubusercontent.com", subject: jwt },
                ]),
                "exo-cba:displayName": `EXO ${jwt.split(".")[1]}`,
            }),
        );
        assert.equal(ev.failed, true);
        const message = ev.errors.join("\n");
        assert.match(message, /exo-cba:federatedCredentials holds what looks like a token \(a JWT\)/);
        assert.match(message, /exo-cba:displayName holds what looks like a token/);
        for (const part of jwt.split(".").slice(0, 2)) assert.ok(!allText(ev).includes(part), "a token part was printed");
        assert.deepEqual(
            ev.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
    });
});

describe("the repository", () => {
    it("commits no private key, in any file", () => {
        const files = execFileSync("git", ["ls-files", "-z"], { cwd: PROJECT_DIR, encoding: "utf8" }).split("\0").filter(Boolean);
        const found: string[] = [];
        for (const file of files) {
            const full = path.join(PROJECT_DIR, file);
            if (!fs.existsSync(full) || fs.statSync(full).size > 5_000_000) continue;
            const text = fs.readFileSync(full, "latin1");
            // A block with a real body (JSON-escaped or not): a short placeholder such as "AA==" is fine.
            if (/-----BEGIN[ A-Z]*PRIVATE KEY-----(\\r|\\n|\r|\n)+[A-Za-z0-9+/]{64}/i.test(text)) found.push(file);
        }
        assert.deepEqual(found, []);
    });
});
