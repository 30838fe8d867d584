/**
 * npm run verify: what Entra answers. Refusals that waiting will not fix, a token that lacks what
 * Exchange Online needs, replication delay, hostile or broken answers.
 * The stand-ins, and the checks made after every run: tests/support/verifyHarness.mts.
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { describe, it } from "node:test";
import { opensslThumbprint } from "./support/harness.mts";
import { type RawAnswer, signJwt } from "./support/tokenEndpoint.mts";
import {
    EXCHANGE_ADMINISTRATOR,
    GLOBAL_READER,
    TENANT,
    UNKNOWN_TENANT,
    endpoint,
    planted,
    certificate,
    sharedCertificate,
    deploy,
    run,
    row,
    requestsOf,
    passedOnThirdAttempt,
    describeNothingSecretPrinted,
} from "./support/verifyHarness.mts";

describe("Entra refuses: causes waiting will not fix", () => {
    it("the certificate is not registered on the application (AADSTS700027)", async () => {
        const stack = deploy({ registered: [certificate()] });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "5s" });
        assert.equal(r.code, 1);
        assert.match(row(r.stdout, "FAIL", "sign-in")[1], /^AADSTS700027: /);
        row(r.stdout, "SKIP", "Exchange.ManageAsApp");
        assert.match(
            r.stdout,
            new RegExp(
                `^MISCONFIGURED: Entra does not accept certificate ${opensslThumbprint(stack.certificate.certPem)} for application ${stack.appId} \\(AADSTS700027\\)`,
                "m",
            ),
        );
        assert.match(r.stdout, /Fix: .*`pulumi refresh`/);
        assert.equal(requestsOf(stack.appId).length, 1, "no retry for a cause waiting cannot fix");
        assert.equal(r.stderr, "");
    });
    it("the tenant does not exist (AADSTS90002)", async () => {
        const stack = deploy({ tenantId: UNKNOWN_TENANT });
        const r = await run(["--outputs-file", stack.outputsFile, "--json"], { maxWait: "5s" });
        assert.equal(r.code, 1);
        const report = JSON.parse(r.stdout) as { result: string; cause: { id: string; aadsts: number; fix: string } };
        assert.equal(report.result, "misconfigured");
        assert.equal(report.cause.id, "tenant-not-found");
        assert.equal(report.cause.aadsts, 90002);
        assert.match(report.cause.fix, /--authority-host/);
        assert.equal(endpoint.received.filter((q) => q.path === `/${UNKNOWN_TENANT}/oauth2/v2.0/token`).length, 1);
    });
    it("a token for another audience or another tenant", async () => {
        const audience = deploy({ register: { claims: () => ({ aud: "https://graph.microsoft.com" }) } });
        const a = await run(["--outputs-file", audience.outputsFile]);
        assert.equal(a.code, 1);
        assert.match(row(a.stdout, "FAIL", "audience")[1], /https:\/\/graph\.microsoft\.com, expected https:\/\/outlook\.office365\.com/);
        const tenant = deploy({ register: { claims: () => ({ tid: UNKNOWN_TENANT }) } });
        const t = await run(["--outputs-file", tenant.outputsFile]);
        assert.equal(t.code, 1);
        assert.match(row(t.stdout, "FAIL", "tenant")[1], new RegExp(`${UNKNOWN_TENANT}, expected ${TENANT}`));
        assert.ok(
            t.stdout.includes(
                `Fix: Check that the outputs are this tenant's stack, and that the sign-in host, --authority-host ${endpoint.authorityHost}, `,
            ),
            t.stdout,
        );
    });
});

describe("the token is this application's, with no more privilege than the stack grants", () => {
    // https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
    const GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10";
    const PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    // EWS with full access to every mailbox: learn.microsoft.com/exchange/client-developer/exchange-web-services/how-to-authenticate-an-ews-application-by-using-oauth
    const FULL_ACCESS_AS_APP = "full_access_as_app";
    const withWids = (...extra: string[]) => ({
        register: { claims: () => ({ wids: ["0997a1d0-0d1d-4acb-b408-d5ca73121e90", EXCHANGE_ADMINISTRATOR.templateId, ...extra] }) },
    });

    it("a token issued to another application (appid), or in a v2.0 token (azp), fails", async () => {
        const other = crypto.randomUUID();
        const v1 = deploy({ register: { claims: () => ({ appid: other }) } });
        const a = await run(["--outputs-file", v1.outputsFile]);
        assert.equal(a.code, 1, a.stdout);
        assert.equal(row(a.stdout, "FAIL", "application")[1], `${other}, expected ${v1.appId}`);
        assert.match(
            a.stdout,
            new RegExp(`^MISCONFIGURED: The token was issued to application ${other}, not the stack's application ${v1.appId}\\.`, "m"),
        );
        const v2 = deploy({ register: { claims: () => ({ appid: undefined, azp: other, ver: "2.0" }) } });
        const b = await run(["--outputs-file", v2.outputsFile]);
        assert.equal(b.code, 1, b.stdout);
        assert.equal(row(b.stdout, "FAIL", "application")[1], `${other}, expected ${v2.appId}`);
        const none = deploy({ register: { claims: () => ({ appid: undefined }) } });
        assert.equal((await run(["--outputs-file", none.outputsFile])).code, 1, "a token naming no application proves nothing");
    });

    it("a v2.0 token naming the application in azp passes, in any letter case", async () => {
        let appId = "";
        const stack = deploy({ register: { claims: () => ({ appid: undefined, azp: appId.toUpperCase(), ver: "2.0" }) } });
        appId = stack.appId;
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(row(r.stdout, "PASS", "application")[1], `${stack.appId.toUpperCase()}, the stack's appId`);
    });

    it("a directory role added outside the stack is a failing verdict of its own, with how to remove it", async () => {
        const stack = deploy(withWids(GLOBAL_ADMINISTRATOR));
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 1, r.stdout);
        row(r.stdout, "PASS", "role Exchange Administrator");
        assert.equal(row(r.stdout, "FAIL", "no other privilege")[1], `also directory role Global Administrator (${GLOBAL_ADMINISTRATOR})`);
        assert.match(r.stdout, /^MISCONFIGURED: The token carries privilege the stack did not grant: directory role Global Administrator/m);
        assert.match(
            r.stdout,
            /Fix: Remove each directory role from the application's service principal: Entra admin centre → Roles and administrators/,
        );
        assert.match(r.stdout, /pass --accept-extra-privilege 'Global Administrator'\.$/m);
        assert.equal(requestsOf(stack.appId).length, 1, "not waited out: it will not go away by itself");
    });

    it("an application permission beyond Exchange.ManageAsApp, and a role by template id only", async () => {
        const stack = deploy({
            register: {
                claims: () => ({
                    roles: ["Exchange.ManageAsApp", FULL_ACCESS_AS_APP],
                    wids: [EXCHANGE_ADMINISTRATOR.templateId, PRIVILEGED_ROLE_ADMINISTRATOR],
                }),
            },
        });
        const r = await run(["--outputs-file", stack.outputsFile, "--json"]);
        assert.equal(r.code, 1, r.stdout);
        const report = JSON.parse(r.stdout) as { cause: { id: string; summary: string; fix: string } };
        assert.equal(report.cause.id, "extra-privilege");
        assert.equal(
            report.cause.summary,
            `The token carries privilege the stack did not grant: directory role ${PRIVILEGED_ROLE_ADMINISTRATOR}, permission ${FULL_ACCESS_AS_APP}.`,
        );
        assert.match(report.cause.fix, /revoke each permission: .*Enterprise applications → the application → Permissions/);
        assert.match(
            report.cause.fix,
            new RegExp(`--accept-extra-privilege ${PRIVILEGED_ROLE_ADMINISTRATOR} --accept-extra-privilege ${FULL_ACCESS_AS_APP}\\.$`),
        );
    });

    it("--accept-extra-privilege accepts known extras by name, template id (any case) or value, and only those", async () => {
        const stack = deploy({
            register: {
                claims: () => ({
                    roles: ["Exchange.ManageAsApp", FULL_ACCESS_AS_APP],
                    wids: [EXCHANGE_ADMINISTRATOR.templateId, GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR],
                }),
            },
        });
        const all = [
            "--accept-extra-privilege",
            "Global Administrator",
            "--accept-extra-privilege",
            PRIVILEGED_ROLE_ADMINISTRATOR.toUpperCase(),
        ];
        const partly = await run(["--outputs-file", stack.outputsFile, ...all]);
        assert.equal(partly.code, 1, partly.stdout);
        assert.equal(row(partly.stdout, "FAIL", "no other privilege")[1], `also permission ${FULL_ACCESS_AS_APP}`);
        const accepted = await run(["--outputs-file", stack.outputsFile, ...all, "--accept-extra-privilege", FULL_ACCESS_AS_APP]);
        assert.equal(accepted.code, 0, accepted.stdout);
        row(accepted.stdout, "PASS", "no other privilege");
    });

    it("a wids or roles entry that is not a string hides nothing: the token is no token of Entra's (exit code 4)", async () => {
        for (const claims of [
            { wids: ["0997a1d0-0d1d-4acb-b408-d5ca73121e90", EXCHANGE_ADMINISTRATOR.templateId, { id: GLOBAL_ADMINISTRATOR }, 62] },
            { roles: ["Exchange.ManageAsApp", [FULL_ACCESS_AS_APP], { value: "Mailbox.Migration" }] },
            { roles: "Exchange.ManageAsApp" },
        ]) {
            const stack = deploy({ register: { claims: () => claims } });
            const r = await run(["--outputs-file", stack.outputsFile]);
            assert.equal(r.code, 4, `${JSON.stringify(claims)}: ${r.stdout}`);
            assert.match(
                r.stdout,
                /^COULD NOT CHECK: Entra answered, but the access token's (wids|roles) claim is not a list of strings\./m,
            );
        }
    });

    it("the wid every app-only token carries is no extra privilege", async () => {
        const stack = deploy(withWids());
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(row(r.stdout, "PASS", "no other privilege")[1], "nothing beyond Exchange.ManageAsApp and the configured roles");
    });

    it("--accept-extra-privilege refuses what is neither a role nor a permission's value", async () => {
        const stack = deploy();
        for (const bad of ["Exchange Admin", "", "x\u001b[2J", "Exchange.ManageAsApp"]) {
            const r = await run(["--outputs-file", stack.outputsFile, "--accept-extra-privilege", bad]);
            assert.equal(r.code, 2, bad);
            assert.match(r.stderr, /^error: --accept-extra-privilege /, bad);
            assert.equal(r.stdout, "");
        }
    });
});

describe("the token lacks what Exchange Online needs", () => {
    it("no roles claim: admin consent missing", async () => {
        const stack = deploy({ register: { claims: () => ({ roles: undefined }) } });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 3);
        assert.equal(row(r.stdout, "FAIL", "Exchange.ManageAsApp")[1], "the token has no roles claim");
        row(r.stdout, "PASS", "role Exchange Administrator");
        assert.match(r.stdout, /^NOT YET PROPAGATED: The token does not carry Exchange\.ManageAsApp: admin consent is missing/m);
        assert.match(r.stdout, /Fix: .*exo-consent/);
    });
    it("a configured directory role missing from wids, while another is there", async () => {
        const stack = deploy({
            roles: [EXCHANGE_ADMINISTRATOR, GLOBAL_READER],
            register: { claims: () => ({ wids: [GLOBAL_READER.templateId] }) },
        });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 3);
        assert.equal(
            row(r.stdout, "FAIL", "role Exchange Administrator")[1],
            "29232cdf-9323-42fd-ade2-1d097af3e4de not in the token's wids",
        );
        row(r.stdout, "PASS", "role Global Reader");
        row(r.stdout, "PASS", "Exchange.ManageAsApp");
        assert.match(r.stdout, /^NOT YET PROPAGATED: The token does not carry the directory role Exchange Administrator/m);
        assert.match(r.stdout, /Fix: .*Roles and administrators → Exchange Administrator/);
    });
});

describe("replication delay: waiting with progress", () => {
    it("an application Entra does not know yet (AADSTS700016) is tried again until it appears", async () => {
        const stack = deploy({ register: { unknownForFirst: 2 } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        const progress = passedOnThirdAttempt(r, stack.appId, 700016);
        assert.match(
            progress[0],
            /^attempt 1: Entra does not know application .* \(AADSTS700016\)\. Trying again in 20ms \(waited \d+ms of 20s\)\.$/,
        );
        assert.match(progress[1], /^attempt 2: .*Trying again in 40ms/);
        assert.match(row(r.stdout, "PASS", "sign-in")[1], /\(attempt 3\)/);
    });
    it("a directory role that shows up in a later token", async () => {
        const stack = deploy({ register: { claims: (n) => ({ wids: n === 1 ? [] : [EXCHANGE_ADMINISTRATOR.templateId] }) } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /^attempt 1: The token does not carry the directory role Exchange Administrator/);
        assert.equal(requestsOf(stack.appId).length, 2);
    });
    it("gives up when --max-wait runs out: not yet propagated, with what else it could be", async () => {
        const stack = deploy({ register: { unknownForFirst: 1_000 } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "300ms" });
        assert.equal(r.code, 3);
        const attempts = requestsOf(stack.appId).length;
        assert.ok(attempts >= 2, `tried ${attempts} times`);
        assert.equal(r.stderr.trim().split("\n").length, attempts - 1, "one progress line per wait");
        assert.match(
            r.stdout,
            new RegExp(
                `^NOT YET PROPAGATED: Entra does not know application ${stack.appId} .*Waited \\d+ms over ${attempts} attempts\\.`,
                "m",
            ),
        );
        assert.match(r.stdout, /Why: .*another tenant/);
        assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    });
});

describe("a hostile or broken answer", () => {
    it("a redirect is never followed: the signed assertion is not re-posted to another origin (exit code 4)", async () => {
        const stack = deploy({
            register: {
                answer: () => ({
                    status: 307,
                    headers: { location: `${endpoint.elsewhere.origin}/${TENANT}/oauth2/v2.0/token` },
                    body: "",
                }),
            },
        });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(endpoint.elsewhere.received.length, 0, "the request went to the redirect's origin");
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(
            r.stdout,
            new RegExp(
                `^COULD NOT CHECK: Could not reach Entra at ${endpoint.authorityHost.replace(/[.]/g, "\\.")}: unexpected answer: a redirect \\(HTTP 307 to ${endpoint.elsewhere.origin.replace(/[.]/g, "\\.")}\\)`,
                "m",
            ),
        );
        assert.equal(requestsOf(stack.appId).length, 1, "a redirect is not retried");
        assert.equal(r.stderr, "");
    });
    /** An Entra-shaped refusal whose text carries terminal escapes, a forged result line and the client's own assertion. */
    const hostileRefusal =
        (status: number) =>
        (_n: number, form: Readonly<Record<string, string>>): RawAnswer => ({
            status,
            body: {
                error: "invalid_client\u001b[0m",
                error_description:
                    `AADSTS7000215: \u001b[2J\u001b[1;1H\u001b]0;owned\u0007Invalid client assertion ${form["client_assertion"]} ` +
                    `\u009b31m\u202egnp.exe\rVERIFIED: forged\r\nTrace ID: ${crypto.randomUUID()}`,
                error_codes: [7000215],
            },
        });
    it("an error text with escape sequences and the echoed client assertion: escaped and redacted, as text and as JSON", async () => {
        const stack = deploy({ register: { answer: hostileRefusal(401) } });
        const text = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(text.code, 1, text.stdout + text.stderr);
        const signIn = row(text.stdout, "FAIL", "sign-in")[1];
        assert.match(signIn, /^AADSTS7000215: \\u\{1b\}\[2J/, "the escape is shown, not performed");
        assert.match(signIn, /Invalid client assertion \[client assertion redacted\]/);
        assert.doesNotMatch(text.stdout, /^VERIFIED/m);
        assert.match(text.stdout, /^MISCONFIGURED: Entra refused the sign-in \(AADSTS7000215\)\./m);
        const json = await run(["--outputs-file", stack.outputsFile, "--json"]);
        assert.equal(json.code, 1);
        const report = JSON.parse(json.stdout) as { cause: { why: string }; checks: { name: string; detail: string }[] };
        assert.doesNotMatch(JSON.stringify(report), /\\u001b|\\u0007/, "JSON escapes are still escapes a script prints");
        assert.match(report.cause.why, /\[client assertion redacted\]/);
        // The answers did echo what was posted: two requests, each with its assertion.
        assert.equal(requestsOf(stack.appId).filter((q) => q.form["client_assertion"]).length, 2);
    });
    it("the same text in an outage answer shows on the progress lines escaped and redacted", async () => {
        const stack = deploy({ register: { answer: (n, form) => (n <= 2 ? hostileRefusal(503)(n, form) : undefined) } });
        const r = await run(["--outputs-file", stack.outputsFile], { maxWait: "20s" });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const progress = r.stderr.trim().split("\n");
        assert.equal(progress.length, 2, r.stderr);
        for (const line of progress) {
            assert.match(line, /^attempt \d: Could not reach Entra at .*: Entra answered HTTP 503: AADSTS7000215: \\u\{1b\}\[2J/);
            assert.match(line, /\[client assertion redacted\]/);
        }
    });
    it("hostile claims in the token: shown escaped, a token inside redacted", async () => {
        const jwt = signJwt({ alg: "RS256", typ: "JWT" }, { sub: "planted" }, crypto.createPrivateKey(sharedCertificate().keyPem), "RS256");
        planted.push(jwt);
        const stack = deploy({
            register: { claims: () => ({ aud: "\u001b]0;owned\u0007https://evil.example", roles: [jwt, "\u009b2J"] }) },
        });
        const text = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(text.code, 1);
        assert.match(row(text.stdout, "FAIL", "audience")[1], /^\\u\{1b\}\]0;owned\\u\{7\}https:\/\/evil\.example, expected /);
        assert.match(row(text.stdout, "FAIL", "Exchange.ManageAsApp")[1], /\[token redacted\]/);
        const json = await run(["--outputs-file", stack.outputsFile, "--json"]);
        const report = JSON.parse(json.stdout) as { claims: { aud: string; roles: string[] } };
        assert.equal(report.claims.aud, "\\u{1b}]0;owned\\u{7}https://evil.example");
        assert.deepEqual(report.claims.roles, ["[token redacted]", "\\u{9b}2J"]);
    });
    it("a claim nested 200,000 deep: one line saying the token is no token of Entra's (exit code 4), no crash", async () => {
        const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
        let appId = "";
        // A raw token answer: the payload is written out here, as no JSON library would write it.
        const payload = () =>
            Buffer.from(`{"aud":${deep},"tid":"${TENANT}","appid":"${appId}","roles":["Exchange.ManageAsApp"]}`).toString("base64url");
        const stack = deploy({
            register: {
                answer: () => ({
                    status: 200,
                    body: { token_type: "Bearer", expires_in: 3599, access_token: `eyJhbGciOiJSUzI1NiJ9.${payload()}.c2lnbmF0dXJl` },
                }),
            },
        });
        appId = stack.appId;
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(r.stdout, /^COULD NOT CHECK: .*the access token's payload is nested deeper than 64 levels/m);
    });
    it("an error answer nested 200,000 deep: an unexpected answer, not a crash", async () => {
        const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
        const stack = deploy({ register: { answer: () => ({ status: 400, body: `{"error":"invalid_client","error_codes":${deep}}` }) } });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(r.stdout, /^COULD NOT CHECK: .*unexpected answer \(HTTP 400\), JSON nested deeper than 64 levels: not Entra's/m);
    });
    it("an endless answer is cut off at the size limit", async () => {
        const stack = deploy({ register: { answer: () => ({ status: 400, body: `{"error":"${"x".repeat(2 * 1024 * 1024)}"}` }) } });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(r.stdout, /^COULD NOT CHECK: .*unexpected answer \(HTTP 400\) larger than 1 MiB/m);
    });
});

describeNothingSecretPrinted({ runs: 16, tokens: 8, assertions: 12 });
