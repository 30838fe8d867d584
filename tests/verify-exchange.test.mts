/**
 * npm run verify asks Exchange: after the token checks, one read-only cmdlet through the admin API the
 * ExchangeOnlineManagement module uses (Get-OrganizationConfig), and in Security & Compliance where the
 * stack offers it (Get-RoleGroup at the tenant's own host, found from a redirect read and never followed).
 * Exchange's answers map to causes and fixes. The Exchange stand-in checks bearer tokens as the service
 * does (tests/support/exchangeEndpoint.mts); the other stand-ins and the checks made after every run are
 * tests/support/verifyHarness.mts.
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as https from "node:https";
import { describe, it } from "node:test";
import { adminApiErrorMessage, tenantComplianceHost } from "../tools/verify/exchange.mts";
import { SYSTEM_MAILBOX_ANCHOR } from "./support/exchangeEndpoint.mts";
import { signJwt } from "./support/tokenEndpoint.mts";
import {
    APP_ONLY_WID,
    COMPLIANCE,
    EXCHANGE_ONLINE,
    GLOBAL_READER,
    ORGANIZATION,
    TENANT,
    assignIdentity,
    deploy,
    deployIdentities,
    describeNothingSecretPrinted,
    endpoint,
    exchange,
    identity,
    planted,
    requestsOf,
    row,
    run,
} from "./support/verifyHarness.mts";

/** The admin API's requests for one application, in order. */
const exchangeRequestsOf = (appId: string) => exchange.received.filter((r) => r.appId === appId);

/** A request to the Exchange stand-in as the module makes it, with `token`; its status. */
function invoke(token: string, o: { tenant?: string; anchor?: string; origin?: string } = {}): Promise<number> {
    const tenant = o.tenant ?? TENANT;
    const body = JSON.stringify({ CmdletInput: { CmdletName: "Get-OrganizationConfig", Parameters: {} } });
    return new Promise((resolve, reject) => {
        const req = https.request(
            `${o.origin ?? exchange.exchangeOrigin}/adminapi/beta/${tenant}/InvokeCommand`,
            {
                method: "POST",
                ca: endpoint.caPem,
                headers: {
                    authorization: `Bearer ${token}`,
                    "content-type": "application/json",
                    "x-anchormailbox": o.anchor ?? `${SYSTEM_MAILBOX_ANCHOR}${tenant}`,
                },
            },
            (res) => {
                res.resume();
                res.on("end", () => resolve(res.statusCode ?? 0));
            },
        );
        req.on("error", reject);
        req.end(body);
    });
}

describe("the Exchange stand-in checks bearer tokens as Exchange does", () => {
    /** A token as Entra would issue it for `appId`, signed by `key` (the token endpoint's own unless given). */
    function tokenFor(claims: Record<string, unknown>, key?: crypto.KeyObject): string {
        const now = Math.floor(Date.now() / 1000);
        const signer = key ?? crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
        return signJwt(
            { alg: "RS256", typ: "JWT" },
            { aud: EXCHANGE_ONLINE, tid: TENANT, exp: now + 600, nbf: now, roles: ["Exchange.ManageAsApp"], ...claims },
            signer,
            "RS256",
        );
    }

    it("refuses a token signed by a key no token service publishes, and runs nothing", async () => {
        const stack = deploy();
        const forged = tokenFor({ appid: stack.appId, wids: ["29232cdf-9323-42fd-ade2-1d097af3e4de"] });
        planted.push(forged);
        assert.equal(await invoke(forged), 401);
    });

    it("takes the tokens Entra issues, and refuses one for another audience, another tenant's path or without the anchor", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        const issued = exchangeRequestsOf(stack.appId)[0]?.token;
        assert.ok(issued, "verify sent Entra's token");
        assert.equal(await invoke(issued), 200);
        assert.equal(await invoke(issued, { tenant: crypto.randomUUID() }), 401, "a token of one organization on another's path");
        assert.equal(await invoke(issued, { anchor: `${SYSTEM_MAILBOX_ANCHOR}${crypto.randomUUID()}` }), 400);
        assert.equal(await invoke(issued, { origin: exchange.complianceOrigin }), 401, "an Exchange Online token at Security & Compliance");
    });
});

describe("verify asks Exchange Online to run a cmdlet", () => {
    it("names the organization Exchange answered for, as text and as JSON", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(row(r.stdout, "PASS", "Exchange Online")[1], `Get-OrganizationConfig ran for ${ORGANIZATION} (Contoso)`);
        assert.match(
            r.stdout,
            /^Exchange Online ran Get-OrganizationConfig for contoso\.onmicrosoft\.com: Connect-ExchangeOnline with this certificate works now\.$/m,
        );
        const requests = exchangeRequestsOf(stack.appId);
        assert.deepEqual(
            requests.map((q) => `${q.method} ${q.path} ${q.cmdlet} ${q.status}`),
            [`POST /adminapi/beta/${TENANT}/InvokeCommand Get-OrganizationConfig 200`],
        );
        const json = await run(["--outputs-file", stack.outputsFile, "--json"]);
        const report = JSON.parse(json.stdout) as { exchange: Record<string, unknown> };
        assert.deepEqual(report.exchange, { organization: ORGANIZATION, displayName: "Contoso", complianceHost: null, roleGroups: false });
    });

    it("--token-only stops at the token: Exchange is not asked", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", stack.outputsFile, "--token-only"]);
        assert.equal(r.code, 0, r.stdout);
        assert.doesNotMatch(r.stdout, /Exchange Online {2}/);
        assert.match(r.stdout, /Connect-ExchangeOnline with this certificate will work\. A role assigned minutes ago/);
        assert.equal(exchangeRequestsOf(stack.appId).length, 0);
    });

    it("a role Exchange does not honour yet is waited out, with progress, like replication at Entra", async () => {
        const stack = deploy({ exchange: { notReplicatedFor: 2 } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const progress = r.stderr.trim().split("\n");
        assert.equal(progress.length, 2, r.stderr);
        assert.match(
            progress[0],
            /^attempt 1: Exchange Online does not honour a directory role of application .* yet \(HTTP 403: The role assigned to application .* isn't assigned to any management roles\.\)\. Trying again/,
        );
        assert.deepEqual(
            exchangeRequestsOf(stack.appId).map((q) => q.status),
            [403, 403, 200],
        );
    });

    it("a role not honoured when --max-wait runs out: not yet propagated (exit code 3), with the fix", async () => {
        const stack = deploy({ exchange: { notReplicatedFor: 1000 } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "200ms" });
        assert.equal(r.code, 3, r.stdout);
        assert.match(r.stdout, /^NOT YET PROPAGATED: Exchange Online does not honour a directory role/m);
        assert.match(r.stdout, /Fix: Wait and run again \(--max-wait 30m\)\./);
    });

    it("a role Microsoft does not support for app-only access: misconfigured (exit code 1), not waited for", async () => {
        let appId = "";
        const stack = deploy({
            exchange: {
                answer: () => ({
                    status: 403,
                    body: {
                        error: {
                            code: "Forbidden",
                            message: "Forbidden",
                            details: [
                                {
                                    message: `The role assigned to application ${appId} isn't supported in this scenario. Please check online documentation.`,
                                },
                            ],
                        },
                    },
                }),
            },
        });
        appId = stack.appId;
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(r.code, 1, r.stdout);
        assert.match(
            r.stdout,
            /^MISCONFIGURED: Exchange Online refuses application .*: its directory role is not one Microsoft supports for app-only access \(HTTP 403: The role assigned to application .* isn't supported in this scenario/m,
        );
        assert.equal(exchangeRequestsOf(stack.appId).length, 1);
    });

    it("UnAuthorized from Exchange while the token carries Exchange.ManageAsApp: consent not honoured yet, waited out", async () => {
        const stack = deploy({
            exchange: {
                answer: (n) => (n <= 1 ? { status: 401, body: { error: { code: "UnAuthorized", message: "UnAuthorized" } } } : undefined),
            },
        });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /^attempt 1: Exchange Online answered UnAuthorized to application /);
    });

    it("throttling: the Retry-After of the answer is honoured, within --max-wait", async () => {
        const stack = deploy({ exchange: { throttledFor: 1, retryAfterSeconds: 1 } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const [first, second] = exchangeRequestsOf(stack.appId);
        assert.equal(first?.status, 429);
        assert.ok(
            second && second.at - first.at >= 1000,
            `asked again after ${second ? second.at - first.at : "?"} ms, not the 1 s asked for (--first-delay is 20ms)`,
        );
        const longer = deploy({ exchange: { throttledFor: 5, retryAfterSeconds: 60 } });
        const gaveUp = await run(["--outputs-file", longer.outputsFile], { maxWait: "5s" });
        assert.equal(gaveUp.code, 4, gaveUp.stdout);
        assert.equal(exchangeRequestsOf(longer.appId).length, 1, "not asked again before the end of --max-wait");
        assert.match(gaveUp.stdout, /^COULD NOT CHECK: Exchange Online is throttling requests/m);
    });

    it("an answer that is not Exchange's JSON: could not check (exit code 4), not retried", async () => {
        const stack = deploy({
            exchange: {
                answer: () => ({ status: 200, headers: { "content-type": "text/html" }, body: "<html>Sign in to the proxy</html>" }),
            },
        });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(r.code, 4, r.stdout);
        assert.match(
            r.stdout,
            /^COULD NOT CHECK: Could not reach Exchange Online at https:\/\/127\.0\.0\.1:\d+: unexpected answer \(HTTP 200\), not JSON/m,
        );
        assert.equal(exchangeRequestsOf(stack.appId).length, 1);
    });

    it("an organization other than the stack's: misconfigured", async () => {
        const stack = deploy({ organization: "fabrikam.onmicrosoft.com" });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 1, r.stdout);
        assert.equal(
            row(r.stdout, "FAIL", "Exchange Online")[1],
            `Get-OrganizationConfig ran for ${ORGANIZATION}, expected fabrikam.onmicrosoft.com`,
        );
        assert.match(
            r.stdout,
            /^MISCONFIGURED: Exchange Online answered for contoso\.onmicrosoft\.com, not the stack's organization fabrikam\.onmicrosoft\.com\./m,
        );
    });

    it("a hostile error text: escaped, and the bearer token it echoes never printed, whole or a segment alone", async () => {
        const stack = deploy({
            exchange: {
                answer: (_, token) => ({
                    status: 400,
                    // The signature segment alone looks like no token: only its exact value gives it away.
                    body: {
                        error: {
                            code: "BadRequest",
                            message: "x",
                            details: [{ message: `\u001b[2J\rVERIFIED: forged ${token} ${token.split(".")[2] ?? ""}` }],
                        },
                    },
                }),
            },
        });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 1, r.stdout);
        assert.doesNotMatch(r.stdout, /^VERIFIED: forged/m);
        assert.match(r.stdout, /\\u\{1b\}\[2J\\u\{d\}VERIFIED: forged \[(?:token|secret) redacted\] \[(?:token|secret) redacted\]/);
    });
});

describe("access through Exchange role groups", () => {
    it("a token without directory roles passes when Exchange runs the cmdlet, and the verdict says so", async () => {
        const stack = deploy({ register: { claims: () => ({ wids: [APP_ONLY_WID] }) }, exchange: { roleGroup: true } });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(
            row(r.stdout, "SKIP", "role Exchange Administrator")[1],
            "not in the token's wids: Exchange ran the cmdlet through an Exchange role group",
        );
        assert.match(
            r.stdout,
            /^VERIFIED: the certificate signs in as the application, and the Exchange Online token carries Exchange\.ManageAsApp; access comes from Exchange role groups, not directory roles\.$/m,
        );
        const json = await run(["--outputs-file", stack.outputsFile, "--json"]);
        assert.equal((JSON.parse(json.stdout) as { exchange: { roleGroups: boolean } }).exchange.roleGroups, true);
    });

    it("without a role group either: the missing role is waited for, as before", async () => {
        const stack = deploy({ register: { claims: () => ({ wids: [APP_ONLY_WID] }) } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "100ms" });
        assert.equal(r.code, 3, r.stdout);
        assert.match(r.stdout, /^NOT YET PROPAGATED: The token does not carry the directory role Exchange Administrator/m);
    });

    it("a token that carries one configured role but not another is not taken for role groups", async () => {
        const stack = deploy({
            roles: [{ name: "Exchange Administrator", templateId: "29232cdf-9323-42fd-ade2-1d097af3e4de" }, GLOBAL_READER],
            register: { claims: () => ({ wids: [APP_ONLY_WID, GLOBAL_READER.templateId] }) },
            exchange: { roleGroup: true },
        });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "100ms" });
        assert.equal(r.code, 3, r.stdout);
    });
});

describe("Security & Compliance, where the stack offers it", () => {
    it("gets a token for its resource, finds the tenant's host from the redirect, and runs a cmdlet there", async () => {
        const stack = deploy({ roles: [GLOBAL_READER], compliance: true });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(row(r.stdout, "PASS", "Security & Compliance")[1], "Get-RoleGroup ran at eur02b.ps.compliance.protection.outlook.com");
        assert.match(r.stdout, /, and Security & Compliance ran Get-RoleGroup at eur02b\.ps\.compliance\.protection\.outlook\.com: /);
        const compliance = exchangeRequestsOf(stack.appId).filter((q) => q.service === "compliance");
        assert.deepEqual(
            compliance.map((q) => `${q.method} ${q.path} ${q.status}`),
            [`GET /adminapi/beta/${TENANT}/EXOBanner('AutogenSession') 302`, `POST /adminapi/beta/${TENANT}/InvokeCommand 200`],
        );
        const resources = requestsOf(stack.appId).map((q) => q.form["scope"]);
        assert.deepEqual(resources, [`${EXCHANGE_ONLINE}/.default`, `${COMPLIANCE}/.default`]);
    });

    it("a redirect to a host outside the cloud's compliance domain is read, never followed: exit code 4", async () => {
        const stack = deploy({
            roles: [GLOBAL_READER],
            compliance: true,
            exchange: {
                answer: (n) =>
                    n === 2
                        ? { status: 302, headers: { location: `${endpoint.elsewhere.origin}/adminapi/beta/${TENANT}/x` }, body: "" }
                        : undefined,
            },
        });
        const before = endpoint.elsewhere.received.length;
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 4, r.stdout);
        assert.match(r.stdout, /which is not under ps\.compliance\.protection\.outlook\.com: nothing was sent there/);
        assert.equal(endpoint.elsewhere.received.length, before, "nothing reached the other host");
    });

    it("a managed identity skips it: Connect-IPPSSession has no managed identity sign-in", async () => {
        const objectId = crypto.randomUUID();
        assignIdentity({ objectId, system: true, roles: [GLOBAL_READER] });
        const outputs = deployIdentities([{ name: "automation", objectId }], { roles: [GLOBAL_READER] });
        const r = await run(["--outputs-file", outputs, "--managed-identity", "automation"], {
            env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost },
        });
        assert.equal(r.code, 0, r.stdout);
        row(r.stdout, "PASS", "Exchange Online");
    });
});

describe("where Exchange's admin API is", () => {
    it("the tenant's Security & Compliance host is one label under the cloud's domain, nothing else", () => {
        const domain = "ps.compliance.protection.outlook.com";
        assert.equal(
            tenantComplianceHost("https://eur02b.ps.compliance.protection.outlook.com/adminapi/beta/x", domain),
            "eur02b.ps.compliance.protection.outlook.com",
        );
        assert.equal(
            tenantComplianceHost("https://NAM12B.PS.COMPLIANCE.PROTECTION.OUTLOOK.COM/", domain),
            "nam12b.ps.compliance.protection.outlook.com",
        );
        for (const bad of [
            "https://evil.example/adminapi",
            "https://ps.compliance.protection.outlook.com/",
            "https://a.b.ps.compliance.protection.outlook.com/",
            "http://eur02b.ps.compliance.protection.outlook.com/",
            "https://eur02b.ps.compliance.protection.outlook.com:8443/",
            "https://user@eur02b.ps.compliance.protection.outlook.com/",
            "https://eur02b.ps.compliance.protection.outlook.com.evil.example/",
            "not a url",
        ]) {
            assert.equal(tenantComplianceHost(bad, domain), undefined, bad);
        }
    });

    it("an error's message is read where the module reads it: details, then the inner exception, then the message", () => {
        assert.equal(
            adminApiErrorMessage({
                error: { message: "m", innererror: { internalException: { message: "inner" } }, details: [{ message: "detail" }] },
            }),
            "detail",
        );
        assert.equal(adminApiErrorMessage({ error: { message: "m", innererror: { internalException: { message: "inner" } } } }), "inner");
        assert.equal(adminApiErrorMessage({ error: { message: "m" } }), "m");
        assert.equal(adminApiErrorMessage({ error: "x" }), "");
    });

    it("--exchange-host and --compliance-host take an https host only", async () => {
        const stack = deploy();
        for (const [flag, value] of [
            ["--exchange-host", "http://outlook.office365.com"],
            ["--compliance-host", "https://ps.compliance.protection.outlook.com/powershell-liveid/"],
            ["--exchange-host", "https://user:pw@outlook.office365.com"],
        ] as const) {
            const r = await run(["--outputs-file", stack.outputsFile, flag, value]);
            assert.equal(r.code, 2, `${flag} ${value}: ${r.stderr}`);
            assert.match(r.stderr, new RegExp(`^error: ${flag} `));
        }
    });
});

describeNothingSecretPrinted({ runs: 20, tokens: 20, assertions: 20 });
