/**
 * npm run plan: the offline plan, run as a user runs it, against committed snapshots.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { type ToolRun, runTool } from "./support/cli.mts";
import { PROJECT_DIR } from "./support/harness.mts";
import { matchSnapshot } from "./support/snapshot.mts";

const FIXTURES = path.join(PROJECT_DIR, "tests", "fixtures", "stacks");

/** Runs `npm run plan -- <args>` as a user would. */
function plan(...args: string[]): Promise<ToolRun> {
    return runTool("plan", args);
}

function fixture(stack: string): string[] {
    return ["--stack", stack, "--config-file", path.join(FIXTURES, `Pulumi.${stack}.yaml`), "--no-type-check"];
}

describe("plan of the dev stack", () => {
    it("prints the resource tree, the review details and the outputs", async () => {
        // Type-checking while loading is the loader tests' subject; here the plan itself is.
        const run = await plan("--stack", "dev", "--no-type-check");
        assert.equal(run.code, 0, run.stderr);
        matchSnapshot("plan-dev.txt", run.stdout);
        assert.match(run.stdout, /\+ azuread:index\/directoryRoleAssignment:DirectoryRoleAssignment {2}exo-role-exchange-administrator/);
        assert.match(run.stdout, /roleId: 29232cdf-9323-42fd-ade2-1d097af3e4de\n\s+# role Exchange Administrator/);
        assert.match(run.stdout, /principalObjectId: \[computed\] from exo-sp/);
    });
    it("prints the same data as JSON, byte for byte the same on every run", async () => {
        const [a, b] = await Promise.all([
            plan("--stack", "dev", "--json", "--no-type-check"),
            plan("--stack", "dev", "--json", "--no-type-check"),
        ]);
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
