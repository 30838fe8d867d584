/**
 * npm run plan: the offline plan, run as a user runs it, against committed snapshots.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { type Plan, renderText } from "../tools/plan/offlinePlan.mts";
import { readProjectFile, resolveStackConfig } from "../engine/stackConfig.mts";
import { type ToolRun, runTool } from "./support/cli.mts";
import { makeCertificate } from "./support/certificates.mts";
import { PROJECT_DIR, opensslThumbprint, tempDir } from "./support/harness.mts";
import { matchSnapshot } from "./support/snapshot.mts";

const FIXTURES = path.join(PROJECT_DIR, "tests", "fixtures", "stacks");

/** Runs `npm run plan -- <args>` as a user would. */
function plan(...args: string[]): Promise<ToolRun> {
    return runTool("plan", args);
}

function fixture(stack: string): string[] {
    return ["--stack", stack, "--config-file", path.join(FIXTURES, `Pulumi.${stack}.yaml`)];
}

describe("plan of the dev stack", () => {
    it("prints the resource tree, the review details and the outputs", async () => {
        // Type-checking while loading is the loader tests' subject; here the plan itself is.
        const run = await plan("--stack", "dev");
        assert.equal(run.code, 0, run.stderr);
        matchSnapshot("plan-dev.txt", run.stdout);
        assert.match(run.stdout, /\+ azuread:index\/directoryRoleAssignment:DirectoryRoleAssignment {2}exo-role-exchange-administrator/);
        assert.match(run.stdout, /roleId: 29232cdf-9323-42fd-ade2-1d097af3e4de\n\s+# role Exchange Administrator/);
        assert.match(run.stdout, /principalObjectId: \[computed\] from exo-sp/);
    });
    it("prints the same data as JSON, byte for byte the same on every run", async () => {
        const [a, b] = await Promise.all([plan("--stack", "dev", "--json"), plan("--stack", "dev", "--json")]);
        assert.equal(a.code, 0, a.stderr);
        assert.equal(a.stdout, b.stdout);
        matchSnapshot("plan-dev.json", a.stdout);
        const data = JSON.parse(a.stdout) as { resources: { type: string; name: string }[]; outputs: Record<string, unknown> };
        assert.equal(data.resources.length, 11);
        assert.equal(data.outputs["tenantId"], "[from tenant]");
        assert.equal(data.outputs["privateKeyPem"], "[secret]");
    });
});

describe("plans of the other modes", () => {
    it("bring your own certificate: no key or certificate resources, the supplied certificate summarised", async () => {
        const run = await plan(...fixture("byo"));
        assert.equal(run.code, 0, run.stderr);
        matchSnapshot("plan-byo.txt", run.stdout);
        assert.ok(!run.stdout.includes("tls:index"));
        assert.ok(!run.stdout.includes("-----BEGIN"), "certificates are summarised, not dumped");
        assert.match(run.stdout, /thumbprint: 12ED5D36F3BAF9C5999F8B38A5B7D8295CDAB561/);
    });
    it("several roles and explicit owners", async () => {
        const run = await plan(...fixture("roles"));
        assert.equal(run.code, 0, run.stderr);
        matchSnapshot("plan-roles.txt", run.stdout);
        for (const role of ["exchange-recipient-administrator", "global-reader", "security-reader"]) {
            assert.match(run.stdout, new RegExp(`exo-role-${role}\\n`));
        }
        assert.match(run.stdout, /rsaBits: 3072/);
    });
    it("Key Vault delivery after a rotation: both generations, the secret and its reader", async () => {
        const run = await plan(...fixture("keyvault"));
        assert.equal(run.code, 0, run.stderr);
        matchSnapshot("plan-keyvault.txt", run.stdout);
        assert.match(run.stdout, /\+ azure-native:keyvault:Secret {2}exo-keyvault-secret/);
        assert.match(run.stdout, /\+ tls:index\/privateKey:PrivateKey {2}exo-2027-key\n/);
        assert.match(run.stdout, /\+ tls:index\/privateKey:PrivateKey {2}exo-initial-key\n\s+\(was exo-key\)/);
        assert.match(
            run.stdout,
            /roleDefinitionId: \/subscriptions\/3f2e1d0c-9b8a-4765-8432-10fedcba9876\/providers\/Microsoft\.Authorization\/roleDefinitions\/4633458b-17de-408a-b874-0445c86b69e6/,
        );
    });
    it("secretless: a federated credential and a managed identity, no key or certificate anywhere", async () => {
        const run = await plan(...fixture("secretless"));
        assert.equal(run.code, 0, run.stderr);
        matchSnapshot("plan-secretless.txt", run.stdout);
        assert.ok(!/tls:index|applicationCertificate:/.test(run.stdout));
        assert.match(run.stdout, /subject: repo:contoso\/exchange-reports:environment:production/);
        assert.match(run.stdout, /\+ azuread:index\/appRoleAssignment:AppRoleAssignment {2}exo-mi-automation-consent/);
    });
    it("GCC High: the Exchange Online Protection grant and the cloud in every connect line", async () => {
        const run = await plan(...fixture("gcchigh"));
        assert.equal(run.code, 0, run.stderr);
        matchSnapshot("plan-gcchigh.txt", run.stdout);
        assert.match(run.stdout, /exo-api-access-eop\n(.*\n)*? +apiClientId: 00000007-0000-0ff1-ce00-000000000000/);
        assert.match(
            run.stdout,
            /exo-consent-eop\n(.*\n)*? +# admin consent: Exchange\.ManageAsApp on Microsoft Exchange Online Protection/,
        );
        assert.match(run.stdout, /exchangeEnvironmentName: O365USGovGCCHigh/);
    });
    it("shows encrypted values as [secret] and never reads or prints them", async () => {
        const run = await plan(...fixture("secure"));
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /azuread:clientSecret\s+\[secret\]\s+\(encrypted, not read\)/);
        assert.match(run.stdout, /exo-cba:displayName\s+\[secret\]/);
        assert.ok(!/CIPHERTEXT/.test(run.stdout + run.stderr));
    });
});

describe("plans that pulumi preview would refuse", () => {
    it("a program rule: the program's own error text, exit code 1", async () => {
        const run = await plan(...fixture("invalid"));
        assert.equal(run.code, 1);
        assert.match(run.stdout, /error: Invalid configuration for stack "invalid" \(3 problems; nothing was created or changed\):/);
        assert.match(run.stdout, /exo-cba:certValidityDays must be a whole number of days from 1 to 3650 \(got 0\)/);
        assert.match(run.stdout, /exo-cba:roles contains Global Administrator/);
        assert.ok(!run.stdout.includes("Resources:"));
        // After JSON the errors go to standard error: one line, as every refusal.
        const json = await plan(...fixture("invalid"), "--json");
        assert.equal(json.code, 1);
        assert.ok(JSON.parse(json.stdout));
        assert.match(json.stderr, /^error: Invalid configuration for stack "invalid" \(3 problems; [^\n]*\n$/);
        assert.doesNotMatch(json.stderr, /\\u\{a\}/, "the program's lines are joined, not escaped");
        assert.match(json.stderr, /exo-cba:certValidityDays must be a whole number/);
        assert.match(json.stderr, /exo-cba:roles contains Global Administrator/);
    });
    it("a type the CLI refuses: the CLI's own words, before the program runs", async () => {
        const run = await plan(...fixture("typo"));
        assert.equal(run.code, 1);
        assert.equal(
            run.stderr,
            "error: validating stack config: Stack 'typo' with configuration key 'certValidityDays' must be of type 'integer'\n",
        );
    });
    it("an unknown stack: invalid input, exit code 2", async () => {
        const run = await plan("--stack", "nope");
        assert.equal(run.code, 2);
        assert.match(run.stderr, /no stack configuration file Pulumi\.nope\.yaml .*\(stacks: dev\)/);
    });
    it("no stack at all: usage, exit code 2", async () => {
        const run = await plan();
        assert.equal(run.code, 2);
        assert.match(run.stderr, /--stack is required/);
    });
});

/** Pulumi.<stack>.yaml in a scratch directory, holding `config` (JSON is YAML). */
function stackFile(stack: string, config: Record<string, unknown>): string {
    const file = path.join(tempDir("plan-"), `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, JSON.stringify({ config }));
    return file;
}

/**
 * Linux refuses to start a program with one argument or environment string longer than MAX_ARG_STRLEN,
 * 32 pages, its terminating NUL included (include/uapi/linux/binfmts.h; fs/exec.c copy_strings): 128 KiB
 * with 4 KiB pages.
 */
const MAX_ARG_STRLEN = 32 * 4096;
const pageSize = process.platform === "linux" ? Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" })) : 0;

describe("a configuration too large to hand to the program", () => {
    it(
        "Linux's limit, seen by starting a process: one environment string of 128 KiB starts, one byte more does not",
        {
            skip: pageSize !== 4096 && "Linux with 4 KiB pages only",
        },
        () => {
            // NAME=value and the NUL: a string of `bytes` in all.
            const start = (bytes: number) => spawnSync(process.execPath, ["-e", ""], { env: { X: "a".repeat(bytes - "X=".length - 1) } });
            assert.equal(start(MAX_ARG_STRLEN).status, 0);
            const refused: NodeJS.ErrnoException | undefined = start(MAX_ARG_STRLEN + 1).error;
            assert.equal(refused?.code, "E2BIG");
        },
    );
    it("is refused before the program starts: one line naming the file, the size and the limit, exit code 1", async () => {
        // 130 KiB of values: the file is far under its 1 MiB cap, PULUMI_CONFIG (the program's whole configuration) over the limit.
        const values = { "exo-cba:displayName": "a".repeat(65 * 1024), "exo-cba:organization": "b".repeat(65 * 1024) };
        const file = stackFile("big", values);
        const refused = await plan("--stack", "big", "--config-file", file);
        assert.equal(refused.code, 1, refused.stderr);
        assert.equal(refused.stdout, "");
        const line = /^error: (.*)\n$/.exec(refused.stderr)?.[1];
        assert.ok(line, `not one error line: ${refused.stderr.slice(0, 500)}`);
        const m =
            /^(\S+): the configuration makes PULUMI_CONFIG (\d+) bytes \(\d+ KiB\), over the 131072 bytes \(128 KiB\) Linux allows one environment variable/.exec(
                line,
            );
        assert.ok(m, line);
        assert.equal(m[1], file);
        const bytes = Number(m[2]);
        assert.ok(bytes > 130 * 1024 && bytes < 130 * 1024 + 4096, `${bytes} bytes`);
        assert.match(
            line,
            /`pulumi up` could not start the program either: shorten the values \(the longest is exo-cba:(displayName|organization), 65 KiB\)$/,
        );

        // At the limit exactly the program starts (and refuses the values itself); one byte over, it does not.
        const fits = { ...values, "exo-cba:displayName": values["exo-cba:displayName"].slice(bytes - MAX_ARG_STRLEN) };
        const started = await plan("--stack", "big", "--config-file", stackFile("big", fits));
        assert.equal(started.code, 1, started.stderr);
        assert.match(started.stdout, /^Errors \(pulumi preview would stop here\):$/m);
        assert.match(started.stdout, /exo-cba:organization is 65 KiB; a setting holds at most 64 KiB/);
        const over = { ...fits, "exo-cba:displayName": `${fits["exo-cba:displayName"]}a` };
        const again = await plan("--stack", "big", "--config-file", stackFile("big", over));
        assert.equal(again.code, 1);
        assert.match(again.stderr, /PULUMI_CONFIG 131073 bytes/);
    });
});

describe("long configuration values", () => {
    it("are shortened in the Configuration table, as text and as JSON: the first 80 characters and the size", async () => {
        const displayName = `Contoso ${"a".repeat(100_000)}`;
        const jwt = [{ alg: "RS256", typ: "JWT" }, { sub: "a token pasted by mistake" }]
            .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url"))
            .concat(crypto.randomBytes(64).toString("base64url"))
            .join(".");
        // A token straddling the 80th character: redacted whole before the value is cut, so no part of it is shown.
        const organization = `${"o".repeat(70)}${jwt} ${"o".repeat(2000)}`;
        const key = `exo-cba:${"k".repeat(1000)}`;
        const file = stackFile("long", { "exo-cba:displayName": displayName, "exo-cba:organization": organization, [key]: "x" });
        const [text, json] = await Promise.all([
            plan("--stack", "long", "--config-file", file),
            plan("--stack", "long", "--config-file", file, "--json"),
        ]);
        assert.equal(text.code, 1, text.stderr);
        assert.ok(text.stdout.length < 8 * 1024, `printed ${text.stdout.length} characters`);
        assert.match(text.stdout, new RegExp(`^ {4}exo-cba:displayName +Contoso a{72}… \\(98 KiB\\)$`, "m"));
        assert.match(text.stdout, /^ {4}exo-cba:organization +o{70}\[token redacted\]… \(3 KiB\)$/m);
        assert.match(text.stdout, /^ {4}exo-cba:k{72}… \(1008 bytes\) +x$/m, "a key is shortened as a value is");
        assert.equal(json.code, 1);
        assert.ok(json.stdout.length < 16 * 1024, `printed ${json.stdout.length} characters`);
        const config = (JSON.parse(json.stdout) as { config: { key: string; value: string }[] }).config;
        const value = (key: string) => config.find((c) => c.key === key)?.value;
        assert.equal(value("exo-cba:displayName"), `Contoso ${"a".repeat(72)}… (98 KiB)`);
        assert.equal(value("exo-cba:organization"), `${"o".repeat(70)}[token redacted]… (3 KiB)`);
        assert.equal(value(`exo-cba:${"k".repeat(72)}… (1008 bytes)`), "x");
        for (const run of [text, json]) {
            for (const segment of jwt.split("."))
                assert.ok(!(run.stdout + run.stderr).includes(segment.slice(0, 12)), "part of the token was printed");
        }
    });
    it("a certificate inside a list is summarised in place, as a certificatePem value is", async () => {
        const certificate = makeCertificate({ now: new Date(), cn: "Contoso EXO runner" });
        const file = stackFile("gen", { "exo-cba:certificates": [{ name: "byo", certificatePem: certificate.certPem }] });
        const expected = new RegExp(
            `^\\[\\{"certificatePem":"\\[certificate CN=Contoso EXO runner, thumbprint ${opensslThumbprint(certificate.certPem)}, valid until \\d{4}-[^\\]]+\\]","name":"byo"\\}\\]$`,
        );
        const [text, json] = await Promise.all([
            plan("--stack", "gen", "--config-file", file),
            plan("--stack", "gen", "--config-file", file, "--json"),
        ]);
        assert.match(/^ {4}exo-cba:certificates +(.*)$/m.exec(text.stdout)?.[1] ?? text.stdout, expected);
        const config = (JSON.parse(json.stdout) as { config: { key: string; value: string }[] }).config;
        assert.match(config.find((c) => c.key === "exo-cba:certificates")?.value ?? "", expected);
    });
    it("values of a few hundred characters are shown whole, and invisible characters escaped in JSON too", async () => {
        const keyVaultId =
            "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-exo-automation-with-a-long-descriptive-name-for-this-team/providers/Microsoft.KeyVault/vaults/kv-exo-contoso-prod";
        const displayName = "Contoso \u202eEXO runner";
        const file = stackFile("kv", { "exo-cba:keyVaultId": keyVaultId, "exo-cba:displayName": displayName });
        const run = await plan("--stack", "kv", "--config-file", file, "--json");
        const config = (JSON.parse(run.stdout) as { config: { key: string; value: string }[] }).config;
        assert.equal(config.find((c) => c.key === "exo-cba:keyVaultId")?.value, keyVaultId);
        // JSON as well as text shows what would reorder the line, escaped: the same JSON value.
        assert.ok(!run.stdout.includes("\u202e") && run.stdout.includes("Contoso \\u202eEXO runner"), run.stdout.slice(0, 2000));
        assert.equal(config.find((c) => c.key === "exo-cba:displayName")?.value, displayName);
    });
});

/** A stack file whose settings slipped out of config: (mis-indented), with the top-level keys the CLI does read. */
const STRAY = [
    "secretsprovider: passphrase",
    "encryptionsalt: v1:c2FsdA==:v1:aXY=:dGFn",
    "config:",
    "  exo-cba:displayName: Contoso EXO runner",
    "exo-cba:roles:",
    "  - Global Reader",
    "certValidityDays: 30",
    "Config:",
    "  exo-cba:organization: contoso.onmicrosoft.com",
    "x-anchors: &common 1",
    "",
].join("\n");

describe("a setting outside config: (a stray key)", () => {
    it("is ignored, as the Pulumi CLI ignores it, and named: namespace:key, a key Pulumi.yaml declares, config in another case", () => {
        const resolved = resolveStackConfig(readProjectFile(PROJECT_DIR), "stray", STRAY, "Pulumi.stray.yaml");
        // What the CLI hands the program: the defaults, as if the stray keys were not there.
        assert.equal(resolved.config["exo-cba:roles"], '["Exchange Administrator"]');
        assert.equal(resolved.config["exo-cba:certValidityDays"], "365");
        assert.equal(resolved.config["exo-cba:organization"], "");
        assert.deepEqual(resolved.strayKeys, ["Config", "certValidityDays", "exo-cba:roles"]);
    });
    it("the plan warns about each one by name, as text and as JSON, and still plans with the defaults", async () => {
        const file = path.join(tempDir("plan-"), "Pulumi.stray.yaml");
        fs.writeFileSync(file, STRAY);
        const [text, json, mermaid] = await Promise.all([
            plan("--stack", "stray", "--config-file", file),
            plan("--stack", "stray", "--config-file", file, "--json"),
            plan("--stack", "stray", "--config-file", file, "--mermaid"),
        ]);
        // The graph has no place for warnings: they go to standard error, one line each.
        assert.equal(mermaid.code, 0, mermaid.stderr);
        assert.equal(
            mermaid.stderr.split("\n").filter((l) => /^warning: Pulumi\.stray\.yaml: stray key /.test(l)).length,
            3,
            mermaid.stderr,
        );
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /^ {4}exo-cba:roles +\["Exchange Administrator"\] {3}\(default\)$/m);
        const warnings = text.stdout.slice(text.stdout.indexOf("\nWarnings:\n"));
        for (const key of ["exo-cba:roles", "certValidityDays"]) {
            assert.match(
                warnings,
                new RegExp(
                    `^ {4}warning: Pulumi\\.stray\\.yaml: stray key "${key}": it is not under config:, so the Pulumi CLI ignores it: the setting is what config: gives it, else its default; indent it under config:$`,
                    "m",
                ),
            );
        }
        assert.match(warnings, /^ {4}warning: Pulumi\.stray\.yaml: stray key "Config": the Pulumi CLI reads config: in lower case only/m);
        assert.doesNotMatch(warnings, /secretsprovider|encryptionsalt|x-anchors/);
        assert.equal(json.code, 0, json.stderr);
        const data = JSON.parse(json.stdout) as { warnings: string[] };
        assert.equal(data.warnings.filter((w) => w.includes("stray key")).length, 3);
    });
    it("is named even when the program refuses the configuration", () => {
        const refused: Plan = {
            project: "exo-cba",
            stack: "stray",
            config: [],
            resources: [],
            outputs: {},
            warnings: ['Pulumi.stray.yaml: stray key "exo-cba:roles": it is not under config:'],
            errors: ["Invalid configuration"],
        };
        assert.match(
            renderText(refused),
            /Errors \(pulumi preview would stop here\):\n {4}error: Invalid configuration\n\nWarnings:\n {4}warning: Pulumi\.stray\.yaml: stray key/,
        );
    });
});
