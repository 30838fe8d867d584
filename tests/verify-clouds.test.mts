/**
 * npm run verify in each cloud, and for a stack without a certificate.
 * The stand-ins, and the checks made after every run: tests/support/verifyHarness.mts.
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { explainEntraError, unreachable, unreadableToken } from "../tools/verify/entraErrors.mts";
import { NPM_NODE_OPTIONS } from "./support/cli.mts";
import { PROJECT_DIR } from "./support/harness.mts";
import { closedPort } from "./support/identityEndpoint.mts";
import { scratchFile } from "./support/verifyStack.mts";
import {
    EXCHANGE_ONLINE,
    EXCHANGE_ONLINE_GCC_HIGH,
    EXCHANGE_ONLINE_DOD,
    TOKEN_EXCHANGE_AUDIENCE,
    GITHUB_SUBJECT,
    UNKNOWN_TENANT,
    withToken,
    sharedCertificate,
    run,
    row,
    requestsOf,
    assertOneLineError,
    deploy,
    deployFederated,
    deployIdentities,
    describeNothingSecretPrinted,
} from "./support/verifyHarness.mts";

describe("the stack's cloud", () => {
    it("a GCC High stack asks for GCC High's Exchange Online; a stack without the cloud output is worldwide", async () => {
        const gccHigh = deploy({ cloud: "gcc-high" });
        const gcc = await run(["--outputs-file", gccHigh.outputsFile]);
        assert.equal(gcc.code, 0, gcc.stdout + gcc.stderr);
        assert.match(gcc.stdout, /^Checking app-only access .*\(contoso\.onmicrosoft\.com\), GCC High cloud$/m);
        assert.equal(row(gcc.stdout, "PASS", "audience")[1], EXCHANGE_ONLINE_GCC_HIGH);
        const noCloud = deploy();
        const worldwide = await run(["--outputs-file", noCloud.outputsFile]);
        assert.equal(worldwide.code, 0, worldwide.stdout);
        assert.deepEqual(
            requestsOf(gccHigh.appId).map((q) => q.form["scope"]),
            [`${EXCHANGE_ONLINE_GCC_HIGH}/.default`],
        );
        assert.deepEqual(
            requestsOf(noCloud.appId).map((q) => q.form["scope"]),
            [`${EXCHANGE_ONLINE}/.default`],
        );
    });
    it("DoD's disputed resource: the cloud's by default, --resource overrides it", async () => {
        const { appId, outputsFile } = deploy({ cloud: "dod" });
        assert.equal((await run(["--outputs-file", outputsFile])).code, 0);
        assert.equal((await run(["--outputs-file", outputsFile, "--resource", EXCHANGE_ONLINE_GCC_HIGH])).code, 0);
        assert.deepEqual(
            requestsOf(appId).map((q) => q.form["scope"]),
            [`${EXCHANGE_ONLINE_DOD}/.default`, `${EXCHANGE_ONLINE_GCC_HIGH}/.default`],
        );
    });
    it("the sign-in host and resource follow the cloud unless a flag says otherwise", async () => {
        const { signInEndpoints } = await import("../tools/verify/command.mts");
        const none = { authorityHost: undefined, resource: undefined };
        // learn.microsoft.com/entra/identity-platform/authentication-national-cloud; resources as above; China: CSS-Exchange.
        assert.deepEqual(signInEndpoints({ cloud: "global" }, none), {
            authorityHost: "https://login.microsoftonline.com",
            resource: EXCHANGE_ONLINE,
            authorityFromFlag: false,
        });
        assert.deepEqual(signInEndpoints({ cloud: "gcc-high" }, none), {
            authorityHost: "https://login.microsoftonline.us",
            resource: EXCHANGE_ONLINE_GCC_HIGH,
            authorityFromFlag: false,
        });
        assert.deepEqual(signInEndpoints({ cloud: "dod" }, none), {
            authorityHost: "https://login.microsoftonline.us",
            resource: EXCHANGE_ONLINE_DOD,
            authorityFromFlag: false,
        });
        assert.deepEqual(signInEndpoints({ cloud: "china" }, none), {
            authorityHost: "https://login.chinacloudapi.cn",
            resource: "https://partner.outlook.cn",
            authorityFromFlag: false,
        });
        assert.deepEqual(
            signInEndpoints({ cloud: "gcc-high" }, { authorityHost: "https://login.example.test", resource: EXCHANGE_ONLINE }),
            {
                authorityHost: "https://login.example.test",
                resource: EXCHANGE_ONLINE,
                authorityFromFlag: true,
            },
        );
    });
    it("a sign-in host that does not answer: the fix names the host used, and --authority-host only when it was given", async () => {
        // Registered at the stand-in, which no request reaches.
        const { appId, outputsFile: outputs } = deploy({ cloud: "gcc-high" });
        // No flag: GCC High's sign-in host, whose name no lookup resolves in this run (nothing leaves the machine).
        const env = { NODE_OPTIONS: `${NPM_NODE_OPTIONS} --require=${path.join(PROJECT_DIR, "tests", "support", "noDns.cjs")}` };
        const cloud = await run(["--outputs-file", outputs], { cloudAuthority: true, env });
        assert.equal(cloud.code, 4, cloud.stdout + cloud.stderr);
        assert.match(
            cloud.stdout,
            /^COULD NOT CHECK: Could not reach Entra at https:\/\/login\.microsoftonline\.us: getaddrinfo ENOTFOUND/m,
        );
        assert.match(
            cloud.stdout,
            /^ {2}Fix: Check the connection to https:\/\/login\.microsoftonline\.us \(the sign-in host of the stack's cloud, GCC High\) and run again\./m,
        );
        assert.doesNotMatch(cloud.stdout, /--authority-host/);
        // With the flag: that address, named as the flag's.
        const closed = `https://127.0.0.1:${await closedPort()}`;
        const flag = await run(["--outputs-file", outputs, "--authority-host", closed]);
        assert.equal(flag.code, 4, flag.stdout + flag.stderr);
        assert.match(
            flag.stdout,
            new RegExp(`^ {2}Fix: Check the connection to --authority-host ${closed.replace(/[.]/g, "\\.")} and run again\\.`, "m"),
        );
        assert.equal(requestsOf(appId).length, 0);
    });
    it("every fix that names the sign-in host says where it came from", () => {
        const context = (authorityHost: string, authorityFromFlag: boolean) => ({
            appId: crypto.randomUUID(),
            tenantId: UNKNOWN_TENANT,
            thumbprint: undefined,
            authorityHost,
            authorityFromFlag,
            cloud: "gcc-high" as const,
            resource: EXCHANGE_ONLINE_GCC_HIGH,
            tokenService: "Entra",
            tokenAddress: authorityHost,
        });
        const fromCloud = context("https://login.microsoftonline.us", false);
        const fromFlag = context("https://login.example.test", true);
        const silence = { kind: "network" as const, message: "connect ECONNREFUSED" };
        const noTenant = { error: "invalid_request", aadsts: 90002, description: "AADSTS90002: Tenant not found." };
        const cloudFixes = [
            unreachable(silence, fromCloud, true).fix,
            unreadableToken("the access token is not a JWT", fromCloud).fix,
            explainEntraError(noTenant, fromCloud).fix,
        ];
        for (const fix of cloudFixes) assert.match(fix, /https:\/\/login\.microsoftonline\.us/);
        assert.match(
            cloudFixes[0],
            /^Check the connection to https:\/\/login\.microsoftonline\.us \(the sign-in host of the stack's cloud, GCC High\)/,
        );
        assert.match(
            cloudFixes[1],
            /^Check that https:\/\/login\.microsoftonline\.us \(the sign-in host of the stack's cloud, GCC High\) is Entra's/,
        );
        // Only the tenant's fix names the flag, as a way to choose another host.
        assert.doesNotMatch(cloudFixes[0] + cloudFixes[1], /--authority-host/);
        const flagFixes = [
            unreachable(silence, fromFlag, true).fix,
            unreadableToken("the access token is not a JWT", fromFlag).fix,
            explainEntraError(noTenant, fromFlag).fix,
        ];
        for (const fix of flagFixes) assert.match(fix, /--authority-host https:\/\/login\.example\.test/);
    });
    it("a cloud output verify does not know: one line, exit code 2", async () => {
        assertOneLineError(
            await run(["--outputs-file", deploy({ cloud: "usgov" }).outputsFile]),
            /output cloud should be one of global, gcc-high, dod, china \(got "usgov"\)/,
        );
    });
    it("a cloud whose Exchange environment is another cloud's (outputs of two deployments): refused, nothing sent", async () => {
        const { appId, outputsFile } = deploy({ cloud: "gcc-high" });
        const stitched = { ...(JSON.parse(fs.readFileSync(outputsFile, "utf8")) as object), exchangeEnvironmentName: "O365Default" };
        assertOneLineError(
            await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(stitched))]),
            /output exchangeEnvironmentName is "O365Default", but cloud gcc-high connects with O365USGovGCCHigh; read the outputs again from one deployment/,
        );
        assert.equal(requestsOf(appId).length, 0);
    });
});

describe("a stack without a certificate says which sign-ins it has", () => {
    it("federated credentials (and managed identities): what to pass, exit code 2, nothing sent", async () => {
        const stack = deployFederated({ managedIdentities: [{ name: "automation", objectId: crypto.randomUUID() }] });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assertOneLineError(
            r,
            /the stack has no certificate, so verify cannot sign in as it by default; its application signs in with federated credentials \("github-reports"\): pass --federated-token-file <file> with the workload's token, or --federated in a GitHub Actions job with `permissions: id-token: write`; managed identities \("automation"\) sign in on the Azure resources they are assigned to: pass --managed-identity <name> there$/,
        );
        assertOneLineError(
            await run(["--outputs-file", stack.outputsFile, "--key-file", scratchFile("k.pem", sharedCertificate().keyPem)]),
            /the stack has no certificate/,
        );
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("managed identities only: no application, so only --managed-identity applies", async () => {
        const outputs = deployIdentities([{ name: "automation", objectId: crypto.randomUUID() }]);
        assertOneLineError(
            await run(["--outputs-file", outputs]),
            /the stack has no application, so verify cannot sign in as it by default; managed identities \("automation"\) sign in .*: pass --managed-identity <name> there$/,
        );
        assertOneLineError(
            await withToken(outputs, { sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE }),
            /the stack has no application, so no federated credential; managed identities \("automation"\)/,
        );
    });
    it("two sign-ins at once: one line", async () => {
        const stack = deployFederated();
        assertOneLineError(
            await run(["--outputs-file", stack.outputsFile, "--key-file", "k.pem", "--managed-identity", "automation"]),
            /--key-file and --managed-identity choose different sign-ins .*: pass one/,
        );
        assertOneLineError(
            await run(["--outputs-file", "-", "--federated-token-file", "-"]),
            /--outputs-file and --federated-token-file cannot both read standard input/,
        );
    });
});

describeNothingSecretPrinted({ runs: 13, tokens: 4, assertions: 2 });
