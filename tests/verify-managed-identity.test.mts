/**
 * npm run verify with a managed identity (--managed-identity), at IMDS and App Service identity endpoints.
 * The stand-ins, and the checks made after every run: tests/support/verifyHarness.mts.
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { describe, it } from "node:test";
import { closedPort } from "./support/identityEndpoint.mts";
import { type VerifyRun, scratchFile, stackOutputs } from "./support/verifyStack.mts";
import {
    EXCHANGE_ADMINISTRATOR,
    GLOBAL_READER,
    EXCHANGE_ONLINE,
    TENANT,
    endpoint,
    identity,
    sharedCertificate,
    run,
    row,
    assertOneLineError,
    deployIdentities,
    assignIdentity,
    identityRequestsSince,
    describeNothingSecretPrinted,
} from "./support/verifyHarness.mts";

describe("a managed identity (--managed-identity)", () => {
    it("IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST): the system-assigned identity's token, its oid the identity's object id", async () => {
        const objectId = crypto.randomUUID();
        assignIdentity({ objectId, system: true });
        const outputs = deployIdentities([{ name: "automation", objectId }]);
        const from = identity.received.length;
        const entraBefore = endpoint.received.length;
        const r = await run(["--outputs-file", outputs, "--managed-identity", "automation"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`^Checking managed identity automation \\(object id ${objectId}\\) in tenant ${TENANT} `, "m"));
        assert.equal(
            row(r.stdout, "PASS", "identity endpoint")[1],
            `IMDS at ${identity.imdsHost}/metadata/identity/oauth2/token, system-assigned identity`,
        );
        assert.match(
            row(r.stdout, "PASS", "sign-in")[1],
            /^the identity endpoint issued an app-only token for https:\/\/outlook\.office365\.com/,
        );
        assert.match(
            row(r.stdout, "PASS", "identity")[1],
            new RegExp(`^oid ${objectId} is managed identity automation \\(system-assigned\\)`),
        );
        row(r.stdout, "PASS", "Exchange.ManageAsApp");
        row(r.stdout, "PASS", "role Exchange Administrator");
        assert.match(r.stdout, /^VERIFIED: the managed identity gets a token on this host/m);
        const requests = identityRequestsSince(from);
        assert.equal(requests.length, 1);
        assert.equal(requests[0].shape, "imds");
        assert.equal(requests[0].metadataHeader, "true");
        assert.deepEqual(requests[0].query, { "api-version": "2018-02-01", resource: EXCHANGE_ONLINE });
        assert.equal(endpoint.received.length, entraBefore, "Entra's token endpoint was contacted");
    });
    it("App Service (IDENTITY_ENDPOINT, IDENTITY_HEADER): a user-assigned identity asked for by its client id", async () => {
        const objectId = crypto.randomUUID();
        const clientId = crypto.randomUUID();
        assignIdentity({ objectId, clientId });
        const outputs = deployIdentities([
            { name: "automation", objectId: crypto.randomUUID() },
            { name: "mailflow", objectId, clientId },
        ]);
        const from = identity.received.length;
        const r = await run(["--outputs-file", outputs, "--managed-identity", "mailflow", "--json"], {
            env: { IDENTITY_ENDPOINT: identity.appService.endpoint, IDENTITY_HEADER: identity.appService.header },
        });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const requests = identityRequestsSince(from);
        assert.equal(requests.length, 1);
        assert.equal(requests[0].shape, "app-service");
        assert.equal(requests[0].identityHeaderValid, true);
        assert.deepEqual(requests[0].query, { "api-version": "2019-08-01", resource: EXCHANGE_ONLINE, client_id: clientId });
        const report = JSON.parse(r.stdout) as Record<string, unknown> & {
            claims: { oid: string };
            checks: { name: string; status: string }[];
        };
        assert.equal(report["mode"], "managed-identity");
        assert.equal(report["appId"], null);
        assert.deepEqual(report["managedIdentity"], { name: "mailflow", objectId, clientId });
        assert.equal(report.claims.oid, objectId);
        assert.deepEqual(
            report.checks.map((c) => `${c.status} ${c.name}`),
            [
                "pass identity endpoint",
                "pass sign-in",
                "pass audience",
                "pass tenant",
                "pass identity",
                "pass identity client id",
                "pass Exchange.ManageAsApp",
                "pass role Exchange Administrator",
                "pass no other privilege",
                "pass Exchange Online",
            ],
        );
    });
    it("not on an Azure host: nothing answers at the identity endpoint (exit code 4, not retried)", async () => {
        const port = await closedPort();
        const outputs = deployIdentities([{ name: "automation", objectId: crypto.randomUUID() }]);
        const r = await run(["--outputs-file", outputs, "--managed-identity", "automation"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${port}` },
            maxWait: "20s",
        });
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(
            r.stdout,
            new RegExp(
                `^COULD NOT CHECK: No managed identity endpoint answered at http://127\\.0\\.0\\.1:${port}/metadata/identity/oauth2/token: .*ECONNREFUSED`,
                "m",
            ),
        );
        assert.match(r.stdout, /Why: .*This host has none, so it is not an Azure resource with an identity\./);
        assert.equal(r.stderr, "", "retried");
        assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    });
    it("something that is not an identity endpoint answers (another cloud's metadata service): not on an Azure host either", async () => {
        const outputs = deployIdentities([{ name: "automation", objectId: crypto.randomUUID() }]);
        identity.answer = () => ({
            status: 404,
            headers: { "content-type": "text/html" },
            body: "<html><body>404 Not Found</body></html>",
        });
        let r: VerifyRun;
        try {
            r = await run(["--outputs-file", outputs, "--managed-identity", "automation"], {
                env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
            });
        } finally {
            identity.answer = undefined;
        }
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(r.stdout, /^COULD NOT CHECK: No managed identity endpoint answered at .*: unexpected answer \(HTTP 404\), not JSON/m);
    });
    it("an identity not assigned to this resource: the endpoint's 400, from IMDS and from App Service (exit code 1)", async () => {
        const clientId = crypto.randomUUID();
        const outputs = deployIdentities([{ name: "mailflow", objectId: crypto.randomUUID(), clientId }]);
        const imds = await run(["--outputs-file", outputs, "--managed-identity", "mailflow"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(imds.code, 1, imds.stdout + imds.stderr);
        assert.match(
            imds.stdout,
            new RegExp(
                `^MISCONFIGURED: The identity endpoint has no managed identity mailflow \\(user-assigned, client id ${clientId}\\) for this host \\(HTTP 400: Identity not found\\)\\.`,
                "m",
            ),
        );
        assert.match(imds.stdout, /Fix: Assign the identity to this resource/);
        const appService = await run(["--outputs-file", outputs, "--managed-identity", "mailflow"], {
            env: { IDENTITY_ENDPOINT: identity.appService.endpoint, IDENTITY_HEADER: identity.appService.header },
        });
        assert.equal(appService.code, 1, appService.stdout + appService.stderr);
        assert.match(
            appService.stdout,
            /^MISCONFIGURED: The identity endpoint has no managed identity mailflow .*\(HTTP 400: No User Assigned or Delegated Managed Identity found/m,
        );
    });
    it("a token for another identity: the oid check fails (exit code 1)", async () => {
        const theirs = crypto.randomUUID();
        const ours = crypto.randomUUID();
        const clientId = crypto.randomUUID();
        assignIdentity({ objectId: theirs, clientId });
        const outputs = deployIdentities([{ name: "mailflow", objectId: ours, clientId }]);
        const r = await run(["--outputs-file", outputs, "--managed-identity", "mailflow"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.equal(row(r.stdout, "FAIL", "identity")[1], `oid ${theirs}, expected ${ours}`);
        assert.match(
            r.stdout,
            new RegExp(
                `^MISCONFIGURED: The token is for object ${theirs}, not managed identity mailflow \\(user-assigned, client id ${clientId}\\) \\(object id ${ours}\\)\\.`,
                "m",
            ),
        );
        assert.match(r.stdout, /Fix: .*principal \(object\) id/);
    });
    it("a token of another tenant in GCC High: the fix says the identity must be that cloud's", async () => {
        const objectId = crypto.randomUUID();
        assignIdentity({ objectId, system: true, claims: () => ({ tid: crypto.randomUUID(), aud: "https://outlook.office365.us" }) });
        const outputs = deployIdentities([{ name: "automation", objectId }], { cloud: "gcc-high" });
        const r = await run(["--outputs-file", outputs, "--managed-identity", "automation"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /Fix: .*in GCC High the identity must belong to an Azure resource of that cloud, in its own Entra tenant/);
    });
    it("a token with the identity's object id but another client id: the client id check fails", async () => {
        const objectId = crypto.randomUUID();
        const clientId = crypto.randomUUID();
        const other = crypto.randomUUID();
        assignIdentity({ objectId, clientId, claims: () => ({ appid: other }) });
        const outputs = deployIdentities([{ name: "mailflow", objectId, clientId }]);
        const r = await run(["--outputs-file", outputs, "--managed-identity", "mailflow"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        row(r.stdout, "PASS", "identity");
        assert.equal(row(r.stdout, "FAIL", "identity client id")[1], `${other}, expected ${clientId}`);
        assert.match(
            r.stdout,
            new RegExp(`^MISCONFIGURED: The token was issued to client id ${other}, not managed identity mailflow`, "m"),
        );
    });
    it("privilege beyond the stack's on an identity: the fix names the identity", async () => {
        const objectId = crypto.randomUUID();
        // Global Administrator, learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
        assignIdentity({
            objectId,
            system: true,
            roles: [EXCHANGE_ADMINISTRATOR, { name: "Global Administrator", templateId: "62e90394-69f5-4237-9190-012177145e10" }],
        });
        const outputs = deployIdentities([{ name: "automation", objectId }]);
        const r = await run(["--outputs-file", outputs, "--managed-identity", "automation"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /Fix: Remove each directory role from managed identity automation \(system-assigned\): /);
    });
    it("an identity without Exchange.ManageAsApp or a role: the fixes name its own grants", async () => {
        const objectId = crypto.randomUUID();
        const clientId = crypto.randomUUID();
        assignIdentity({ objectId, clientId, claims: () => ({ roles: undefined }) });
        const outputs = deployIdentities([{ name: "reports", objectId, clientId }]);
        const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost };
        const r = await run(["--outputs-file", outputs, "--managed-identity", "reports"], { env });
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.match(r.stdout, /Fix: .*exo-mi-reports-consent resource/);
        const roleless = crypto.randomUUID();
        const roleClient = crypto.randomUUID();
        assignIdentity({ objectId: roleless, clientId: roleClient, roles: [] });
        const second = deployIdentities([{ name: "reports", objectId: roleless, clientId: roleClient }], { roles: [GLOBAL_READER] });
        const role = await run(["--outputs-file", second, "--managed-identity", "reports"], { env });
        assert.equal(role.code, 3, role.stdout + role.stderr);
        assert.match(role.stdout, /Fix: .*Assignments for the managed identity; .*exo-mi-reports-role-… resource/);
    });
    it("a redirect is not followed, and an error echoing IDENTITY_HEADER shows it redacted", async () => {
        const objectId = crypto.randomUUID();
        const outputs = deployIdentities([{ name: "automation", objectId }]);
        const env = { IDENTITY_ENDPOINT: identity.appService.endpoint, IDENTITY_HEADER: identity.appService.header };
        identity.answer = () => ({ status: 307, headers: { location: `${endpoint.elsewhere.origin}/msi/token` }, body: "" });
        let redirect: VerifyRun;
        let echo: VerifyRun;
        try {
            redirect = await run(["--outputs-file", outputs, "--managed-identity", "automation"], { env, maxWait: "20s" });
            identity.answer = () => ({
                status: 400,
                body: { statusCode: 400, message: `Header ${identity.appService.header} is not \u001b]0;owned\u0007 for this site` },
            });
            echo = await run(["--outputs-file", outputs, "--managed-identity", "automation"], { env });
        } finally {
            identity.answer = undefined;
        }
        assert.equal(redirect.code, 4, redirect.stdout + redirect.stderr);
        assert.equal(endpoint.elsewhere.received.length, 0);
        assert.match(
            redirect.stdout,
            /unexpected answer: a redirect \(HTTP 307 to https:\/\/127\.0\.0\.1:\d+\); verify follows no redirects/,
        );
        assert.equal(echo.code, 1, echo.stdout + echo.stderr);
        assert.match(echo.stdout, /HTTP 400: Header \[secret redacted\] is not \\u\{1b\}\]0;owned\\u\{7\} for this site/);
    });
    it("a name the stack does not have, or an endpoint verify does not call: one line, exit code 2", async () => {
        const outputs = deployIdentities([
            { name: "automation", objectId: crypto.randomUUID() },
            { name: "mailflow", objectId: crypto.randomUUID(), clientId: crypto.randomUUID() },
        ]);
        assertOneLineError(
            await run(["--outputs-file", outputs, "--managed-identity", "reporting"]),
            /the stack has no managed identity named "reporting"; its managed identities: "automation", "mailflow"/,
        );
        // Cloud Shell's variable: msal-node would sign in as the user there, not as a managed identity.
        assertOneLineError(
            await run(["--outputs-file", outputs, "--managed-identity", "automation"], {
                env: { MSI_ENDPOINT: `${identity.imdsHost}/cloudshell` },
            }),
            /this host's managed identity endpoint is Cloud Shell .*; verify --managed-identity checks IMDS/,
        );
    });
    it("needs no secret outputs: outputs printed without --show-secrets do", async () => {
        const objectId = crypto.randomUUID();
        assignIdentity({ objectId, system: true });
        const outputs = stackOutputs({
            appId: crypto.randomUUID(),
            tenantId: TENANT,
            certificate: sharedCertificate(),
            roles: [EXCHANGE_ADMINISTRATOR],
            managedIdentities: [{ name: "automation", objectId }],
        });
        outputs["privateKeyPem"] = "[secret]";
        const r = await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(outputs)), "--managed-identity", "automation"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(r.code, 0, r.stdout + r.stderr);
    });
});

describeNothingSecretPrinted({ runs: 14, tokens: 5, assertions: 0 });
