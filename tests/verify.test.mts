/**
 * npm run verify with a certificate: a working stack, a brought certificate, key files and input it
 * cannot use, problems found before Entra is asked, TLS, its own network module and the retry schedule.
 * The stand-ins, and the checks made after every run: tests/support/verifyHarness.mts.
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { before, describe, it } from "node:test";
import { ROTATION_ADVICE } from "../components/rotation.ts";
import { requestAppToken } from "../tools/verify/entra.mts";
import { explainEntraError } from "../tools/verify/entraErrors.mts";
import type { TokenOutcome } from "../tools/verify/outcome.mts";
import { parseDuration, retryUntilVerified } from "../tools/verify/retry.mts";
import { networkTrust, trustLine } from "../tools/verify/trust.mts";
import type { MadeCertificate } from "./support/certificates.mts";
import { openssl, opensslThumbprint, tempDir } from "./support/harness.mts";
import { JWT_BEARER, signJwt } from "./support/tokenEndpoint.mts";
import { opensslPfx, opensslPfxInfo, scratchFile, stackOutputs } from "./support/verifyStack.mts";
import {
    APP_ONLY_WID,
    EXCHANGE_ADMINISTRATOR,
    GLOBAL_READER,
    EXCHANGE_ONLINE,
    EXCHANGE_ONLINE_APP_ID,
    TENANT,
    UNKNOWN_TENANT,
    PFX_PASSWORD,
    UNICODE_PFX_PASSWORD,
    endpoint,
    requestToken,
    certificate,
    deploy,
    run,
    row,
    requestsOf,
    HOST_IDENTITY_UNSET,
    assertOneLineError,
    describeNothingSecretPrinted,
} from "./support/verifyHarness.mts";

describe("the stand-in token endpoint checks client assertions as Entra does", () => {
    let appId: string;
    let cert: MadeCertificate;
    const tokenUrl = () => `${endpoint.authorityHost}/${TENANT}/oauth2/v2.0/token`;
    before(() => {
        appId = crypto.randomUUID();
        cert = certificate();
        endpoint.register({ tenantId: TENANT, clientId: appId, certificates: [cert.certPem] });
    });

    /** An assertion built here with node:crypto, naming the certificate by openssl's fingerprints. */
    function assertion(
        o: { key?: string; alg?: "RS256" | "PS256"; aud?: string; iss?: string; exp?: number; named?: MadeCertificate } = {},
    ): string {
        const named = o.named ?? cert;
        const now = Math.floor(Date.now() / 1000);
        const alg = o.alg ?? "RS256";
        const header =
            alg === "RS256"
                ? { alg, typ: "JWT", x5t: Buffer.from(opensslThumbprint(named.certPem), "hex").toString("base64url") }
                : {
                      alg,
                      typ: "JWT",
                      "x5t#S256": Buffer.from(
                          /=([0-9A-F:]+)/
                              .exec(openssl(["x509", "-noout", "-fingerprint", "-sha256"], named.certPem))![1]
                              .replaceAll(":", ""),
                          "hex",
                      ).toString("base64url"),
                  };
        const payload = {
            aud: o.aud ?? tokenUrl(),
            iss: o.iss ?? appId,
            sub: o.iss ?? appId,
            jti: crypto.randomUUID(),
            nbf: now,
            exp: o.exp ?? now + 600,
        };
        return signJwt(header, payload, crypto.createPrivateKey(o.key ?? cert.keyPem), alg);
    }

    const post = (clientAssertion: string) => requestToken(appId, clientAssertion);

    it("issues a token for an assertion signed with the registered certificate's key, RS256 with x5t or PS256 with x5t#S256", async () => {
        for (const alg of ["RS256", "PS256"] as const) {
            const answer = await post(assertion({ alg }));
            assert.equal(answer.status, 200, JSON.stringify(answer.body));
            assert.equal(answer.body["token_type"], "Bearer");
            const claims = JSON.parse(Buffer.from(String(answer.body["access_token"]).split(".")[1], "base64url").toString()) as Record<
                string,
                unknown
            >;
            assert.equal(claims["aud"], EXCHANGE_ONLINE);
            assert.equal(claims["tid"], TENANT);
            assert.equal(claims["appid"], appId);
        }
    });
    it("refuses an assertion signed with another key, even when it names the registered certificate", async () => {
        const other = certificate({ freshKey: true });
        const answer = await post(assertion({ key: other.keyPem }));
        assert.equal(answer.status, 401);
        assert.equal(answer.body["error"], "invalid_client");
        assert.deepEqual(answer.body["error_codes"], [700027]);
        assert.match(String(answer.body["error_description"]), /^AADSTS700027: Client assertion failed signature validation/);
        const pss = await post(assertion({ key: other.keyPem, alg: "PS256" }));
        assert.deepEqual(pss.body["error_codes"], [700027]);
    });
    it("refuses an assertion naming a certificate the application does not have", async () => {
        const other = certificate({ freshKey: true });
        const answer = await post(assertion({ key: other.keyPem, named: other }));
        assert.equal(answer.status, 401);
        assert.match(String(answer.body["error_description"]), /^AADSTS700027: .*The key was not found/);
    });
    it("refuses a wrong audience, a wrong issuer and an expired assertion", async () => {
        assert.deepEqual(
            (await post(assertion({ aud: `${endpoint.authorityHost}/${UNKNOWN_TENANT}/oauth2/v2.0/token` }))).body["error_codes"],
            [700023],
        );
        assert.deepEqual((await post(assertion({ iss: crypto.randomUUID() }))).body["error_codes"], [700021]);
        assert.deepEqual((await post(assertion({ exp: Math.floor(Date.now() / 1000) - 3600 }))).body["error_codes"], [700024]);
    });
});

describe("a working self-signed stack", () => {
    it("passes every check with one token request, and MSAL contacts nothing but the token endpoint", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", stack.outputsFile], { viaNpm: true });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^Checking app-only access for application /);
        assert.match(row(r.stdout, "PASS", "certificate")[1], new RegExp(`thumbprint ${opensslThumbprint(stack.certificate.certPem)}`));
        row(r.stdout, "PASS", "private key");
        row(r.stdout, "PASS", "sign-in");
        assert.equal(row(r.stdout, "PASS", "audience")[1], EXCHANGE_ONLINE);
        assert.equal(row(r.stdout, "PASS", "tenant")[1], TENANT);
        row(r.stdout, "PASS", "Exchange.ManageAsApp");
        assert.match(row(r.stdout, "PASS", "role Exchange Administrator")[1], /29232cdf-9323-42fd-ade2-1d097af3e4de/);
        assert.ok(!/FAIL|SKIP/.test(r.stdout));
        assert.match(r.stdout, /^VERIFIED: /m);

        const requests = requestsOf(stack.appId);
        assert.equal(requests.length, 1);
        assert.equal(requests[0].path, `/${TENANT}/oauth2/v2.0/token`);
        assert.equal(requests[0].status, 200, "the endpoint accepted the assertion's signature, audience, issuer and thumbprint");
        assert.equal(requests[0].form["grant_type"], "client_credentials");
        assert.equal(requests[0].form["scope"], `${EXCHANGE_ONLINE}/.default`);
        assert.equal(requests[0].form["client_assertion_type"], JWT_BEARER);
        for (const req of endpoint.received)
            assert.match(`${req.method} ${req.path}`, /^POST \/[^/]+\/oauth2\/v2\.0\/token$/, "no discovery or metadata request");
    });
    it("reports the same as JSON, with the claims it checked and without the token", async () => {
        const stack = deploy({ roles: [EXCHANGE_ADMINISTRATOR, GLOBAL_READER] });
        const r = await run(["--outputs-file", stack.outputsFile, "--json"]);
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as {
            result: string;
            exitCode: number;
            stack: string | null;
            appId: string;
            thumbprint: string;
            checks: { name: string; status: string }[];
            cause: unknown;
            claims: { aud: string; tid: string; roles: string[]; wids: string[] };
        };
        assert.equal(report.result, "verified");
        assert.equal(report.exitCode, 0);
        assert.equal(report.stack, null);
        assert.equal(report.appId, stack.appId);
        assert.equal(report.thumbprint, opensslThumbprint(stack.certificate.certPem));
        assert.equal(report.cause, null);
        assert.deepEqual(
            report.checks.map((c) => `${c.status} ${c.name}`),
            [
                "pass certificate",
                "pass private key",
                "pass sign-in",
                "pass audience",
                "pass tenant",
                "pass application",
                "pass Exchange.ManageAsApp",
                "pass role Exchange Administrator",
                "pass role Global Reader",
                "pass no other privilege",
                "pass Exchange Online",
            ],
        );
        assert.deepEqual(report.claims.roles, ["Exchange.ManageAsApp"]);
        assert.deepEqual(report.claims.wids, [APP_ONLY_WID, EXCHANGE_ADMINISTRATOR.templateId, GLOBAL_READER.templateId]);
        assert.ok(!("accessToken" in report) && !("access_token" in report));
    });
    it("reads the outputs from standard input", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", "-"], { input: fs.readFileSync(stack.outputsFile, "utf8") });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(requestsOf(stack.appId).length, 1);
    });
    it("with --outputs-file, --stack only names the stack in the report (the Pulumi CLI is not asked)", async () => {
        const stack = deploy();
        const r = await run(["--stack", "contoso-prod", "--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`^Checking stack contoso-prod: app-only access for application ${stack.appId} `));
        const json = await run(["--stack", "contoso-prod", "--outputs-file", stack.outputsFile, "--json"]);
        assert.equal((JSON.parse(json.stdout) as { stack: string }).stack, "contoso-prod");
        assert.equal(requestsOf(stack.appId).length, 2);
        // The label is still a stack name: a hostile one is refused, not printed.
        assertOneLineError(await run(["--stack", "x\u001b[2J", "--outputs-file", stack.outputsFile]), /--stack must be a stack name/);
    });
    it("accepts a token whose audience is Exchange Online's application id", async () => {
        const stack = deploy({ register: { claims: () => ({ aud: EXCHANGE_ONLINE_APP_ID }) } });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(row(r.stdout, "PASS", "audience")[1], EXCHANGE_ONLINE_APP_ID);
    });
});

describe("a stack that brings its own certificate", () => {
    it("asks for the key when none is given, without contacting Entra", async () => {
        const stack = deploy({ byo: true });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assertOneLineError(r, /no privateKeyPem output: .*--key-file/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("verifies with the key from a PEM file", async () => {
        const stack = deploy({ byo: true });
        const r = await run(["--outputs-file", stack.outputsFile, "--key-file", scratchFile("exo.key.pem", stack.certificate.keyPem)]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(row(r.stdout, "PASS", "private key")[1], /exo\.key\.pem, matches the certificate/);
    });
    it("verifies with a PFX made by openssl, its password taken from EXO_CBA_PFX_PASSWORD", async () => {
        const stack = deploy({ byo: true });
        const pfx = opensslPfx(stack.certificate, PFX_PASSWORD);
        const r = await run(["--outputs-file", stack.outputsFile, "--key-file", pfx], { env: { EXO_CBA_PFX_PASSWORD: PFX_PASSWORD } });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(requestsOf(stack.appId).length, 1);
    });
    it("reads a PFX whose password is not ASCII: UTF-8 for PBES2 (openssl's default), BMPString for the legacy ciphers", async () => {
        const stack = deploy({ byo: true });
        const modern = opensslPfx(stack.certificate, UNICODE_PFX_PASSWORD);
        const legacy = opensslPfx(stack.certificate, UNICODE_PFX_PASSWORD, { legacy: true });
        // openssl says how each file is protected: both encodings are exercised.
        assert.match(opensslPfxInfo(modern, UNICODE_PFX_PASSWORD), /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
        assert.match(opensslPfxInfo(legacy, UNICODE_PFX_PASSWORD), /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
        for (const pfx of [modern, legacy]) {
            const r = await run(["--outputs-file", stack.outputsFile, "--key-file", pfx], {
                env: { EXO_CBA_PFX_PASSWORD: UNICODE_PFX_PASSWORD },
            });
            assert.equal(r.code, 0, r.stdout + r.stderr);
            assert.match(row(r.stdout, "PASS", "private key")[1], /matches the certificate/);
            // One character off is the wrong password, in both encodings.
            const wrong = await run(["--outputs-file", stack.outputsFile, "--key-file", pfx], {
                env: { EXO_CBA_PFX_PASSWORD: UNICODE_PFX_PASSWORD.replace("ä", "a") },
            });
            assertOneLineError(wrong, /the PFX password in EXO_CBA_PFX_PASSWORD is not this file's password/);
        }
        assert.equal(requestsOf(stack.appId).length, 2);
    });
    it("says which variable holds a wrong PFX password, and never prints it", async () => {
        const stack = deploy({ byo: true });
        const pfx = opensslPfx(stack.certificate, PFX_PASSWORD);
        const wrong = await run(["--outputs-file", stack.outputsFile, "--key-file", pfx], {
            env: { EXO_CBA_PFX_PASSWORD: `${PFX_PASSWORD}-not` },
        });
        assertOneLineError(wrong, /the PFX password in EXO_CBA_PFX_PASSWORD is not this file's password/);
        const unset = await run(["--outputs-file", stack.outputsFile, "--key-file", pfx], { env: { EXO_CBA_PFX_PASSWORD: undefined } });
        assertOneLineError(unset, /password-protected PFX: put its password in the environment variable EXO_CBA_PFX_PASSWORD/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("refuses a PFX of another certificate before asking Entra, naming both thumbprints", async () => {
        const stack = deploy({ byo: true });
        const other = certificate({ freshKey: true });
        const pfx = opensslPfx(other, PFX_PASSWORD);
        const r = await run(["--outputs-file", stack.outputsFile, "--key-file", pfx], { env: { EXO_CBA_PFX_PASSWORD: PFX_PASSWORD } });
        assert.equal(r.code, 1);
        row(r.stdout, "FAIL", "private key");
        row(r.stdout, "SKIP", "sign-in");
        assert.match(
            r.stdout,
            new RegExp(
                `holds the certificate ${opensslThumbprint(other.certPem)}, the stack ${opensslThumbprint(stack.certificate.certPem)}`,
            ),
        );
        assert.equal(requestsOf(stack.appId).length, 0);
    });
});

describe("a key file verify cannot use: one line naming it, exit code 2, Entra not asked", () => {
    it("an endless file (/dev/zero): reading stops at the size limit", async () => {
        const stack = deploy({ byo: true });
        const r = await run(["--outputs-file", stack.outputsFile, "--key-file", "/dev/zero"]);
        assertOneLineError(r, /--key-file \/dev\/zero: --key-file is larger than 1 MiB/);
        assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("an empty file", async () => {
        const stack = deploy({ byo: true });
        const r = await run(["--outputs-file", stack.outputsFile, "--key-file", scratchFile("exo.pfx", "")]);
        assertOneLineError(r, /--key-file \S+exo\.pfx is empty; expected a PEM private key or a PFX \(PKCS#12\) file/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a directory", async () => {
        const stack = deploy({ byo: true });
        const dir = tempDir("key-dir-");
        const r = await run(["--outputs-file", stack.outputsFile, "--key-file", dir]);
        assertOneLineError(r, /--key-file \S+ is a directory, not a file/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("an EC key, as PEM or in a PFX: Entra signs in with RSA certificates only", async () => {
        const stack = deploy({ byo: true });
        const ec = certificate({ key: "ec" });
        assert.match(openssl(["pkey", "-noout", "-text"], ec.keyPem), /ASN1 OID: prime256v1/);
        const pem = await run(["--outputs-file", stack.outputsFile, "--key-file", scratchFile("ec.key.pem", ec.keyPem)]);
        assertOneLineError(pem, /--key-file \S+ec\.key\.pem holds an EC key; Entra accepts only RSA certificates/);
        const pfx = await run(["--outputs-file", stack.outputsFile, "--key-file", opensslPfx(ec, PFX_PASSWORD)], {
            env: { EXO_CBA_PFX_PASSWORD: PFX_PASSWORD },
        });
        assertOneLineError(pfx, /--key-file \S+exo\.pfx holds an EC key; Entra accepts only RSA certificates/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a file that is neither PEM nor PFX, and a PEM file with only a certificate", async () => {
        const stack = deploy({ byo: true });
        const junk = await run(["--outputs-file", stack.outputsFile, "--key-file", scratchFile("junk.bin", crypto.randomBytes(600))]);
        assertOneLineError(junk, /junk\.bin is neither a PEM key nor a PFX \(PKCS#12\) file/);
        const cert = await run(["--outputs-file", stack.outputsFile, "--key-file", scratchFile("cert.pem", stack.certificate.certPem)]);
        assertOneLineError(cert, /cert\.pem holds no private key \(PKCS#8 or PKCS#1 PEM\); a certificate alone cannot sign/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
});

describe("problems found before Entra is asked", () => {
    it("an expired certificate: the fix is the project's one rotation advice", async () => {
        const now = new Date();
        const expired = certificate({ now, fromDays: -400, toDays: -30 });
        const stack = deploy({ certificate: expired });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 1);
        assert.match(
            row(r.stdout, "FAIL", "certificate")[1],
            new RegExp(`thumbprint ${opensslThumbprint(expired.certPem)} expired \\d{4}-`),
        );
        assert.match(r.stdout, /^MISCONFIGURED: The certificate expired/m);
        const fix = /^ {2}Fix: (.*)$/m.exec(r.stdout)?.[1] ?? "";
        assert.ok(fix.startsWith(ROTATION_ADVICE), fix);
        // The single-certificate layout's resource and its `--replace` advice are gone.
        assert.doesNotMatch(fix, /exo-cert|--replace/);
        assert.equal(requestsOf(stack.appId).length, 0, "Entra was not asked");
    });
    it("a private key that does not belong to the certificate", async () => {
        const stack = deploy({ privateKeyPem: certificate({ freshKey: true }).keyPem });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 1);
        assert.match(row(r.stdout, "FAIL", "private key")[1], /from stack output privateKeyPem: does not belong to certificate/);
        assert.match(
            r.stdout,
            /^MISCONFIGURED: The private key from stack output privateKeyPem does not belong to the stack's certificate/m,
        );
        assert.equal(requestsOf(stack.appId).length, 0);
    });
});

describe("input verify cannot use: exit code 2, nothing checked", () => {
    it("outputs that are not JSON", async () => {
        const r = await run(["--outputs-file", scratchFile("outputs.json", '{"appId": "5e6f')]);
        assertOneLineError(r, /outputs\.json is not JSON; expected the output of `pulumi stack output --json --show-secrets`/);
        const json = await run(["--outputs-file", scratchFile("outputs.json", "[1, 2]"), "--json"]);
        assert.equal(json.code, 2);
        assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object), ["result", "exitCode", "error"]);
        assert.equal((JSON.parse(json.stdout) as { result: string }).result, "invalid-input");
    });
    it("outputs missing or malformed: every problem at once, on one line", async () => {
        const outputs = {
            ...stackOutputs({ appId: crypto.randomUUID(), tenantId: TENANT, certificate: certificate(), roles: [EXCHANGE_ADMINISTRATOR] }),
        };
        delete outputs["tenantId"];
        outputs["appId"] = "EXO Reporting Script";
        outputs["directoryRoles"] = ["Exchange Administrator"];
        const r = await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(outputs))]);
        assertOneLineError(r, /^error: 3 problems in the outputs: /);
        assert.match(r.stderr, /output appId should be a GUID \(got "EXO Reporting Script"\); /);
        assert.match(r.stderr, /; the stack has no output tenantId[;,]/);
        assert.match(r.stderr, /; output directoryRoles should be a list of/);
        const json = await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(outputs)), "--json"]);
        assert.equal(json.code, 2);
        assert.match((JSON.parse(json.stdout) as { error: string }).error, /^3 problems in the outputs: [^\n]*directoryRoles/);
    });
    it("a value reported as malformed is not reported again as missing", async () => {
        const outputs: Record<string, unknown> = {
            ...stackOutputs({ appId: crypto.randomUUID(), tenantId: TENANT, certificate: certificate(), roles: [EXCHANGE_ADMINISTRATOR] }),
            appId: "nope",
            tenantId: 5,
            cloud: "mars",
            directoryRoles: "x",
        };
        const r = await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(outputs))]);
        assertOneLineError(
            r,
            /^error: 4 problems in the outputs: output appId should be a GUID \(got "nope"\); output tenantId should be a string that is not blank; output cloud should be one of global, gcc-high, dod, china \(got "mars"\); output directoryRoles should be a list of .*$/,
        );
        assert.doesNotMatch(r.stderr, /no appId/, "appId is there, only malformed");
        // Absent, it is worth saying: the certificate outputs have no application to sign in as.
        delete outputs["appId"];
        outputs["tenantId"] = TENANT;
        outputs["cloud"] = "global";
        outputs["directoryRoles"] = [EXCHANGE_ADMINISTRATOR];
        assertOneLineError(
            await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(outputs))]),
            /^error: the outputs have a certificate or federated credentials but no appId; read them again with `pulumi stack output --json --show-secrets`$/,
        );
    });
    it("a flag it does not understand: one line saying what is allowed", async () => {
        const r = await run(["--outputs-file", "x.json", "--max-wait", "forever"]);
        assertOneLineError(r, /--max-wait takes a duration such as 30s, 15m, 1h or 500ms \(got "forever"\)/);
        const both = await run(["--outputs-file", "-", "--key-file", "-"]);
        assertOneLineError(both, /--outputs-file and --key-file cannot both read standard input/);
    });
});

describe("TLS stays verified", () => {
    it("an endpoint whose CA is not trusted is not contacted: exit code 4 and how to trust a proxy's CA", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", stack.outputsFile], { trustEndpoint: false, maxWait: "20s" });
        assert.equal(r.code, 4);
        assert.match(
            r.stdout,
            /^COULD NOT CHECK: Could not reach Entra at https:\/\/127\.0\.0\.1:\d+: TLS certificate not trusted .*NODE_EXTRA_CA_CERTS/m,
        );
        assert.equal(r.stderr, "", "an untrusted certificate is not retried");
        assert.equal(requestsOf(stack.appId).length, 0);
    });

    it("NODE_TLS_REJECT_UNAUTHORIZED=0 is refused before anything is read or sent: exit code 2, one line naming it", async () => {
        // The same untrusted endpoint: with the variable honoured, the signed assertion would reach it and pass.
        const stack = deploy();
        for (const json of [false, true]) {
            const r = await run(["--outputs-file", stack.outputsFile, ...(json ? ["--json"] : [])], {
                trustEndpoint: false,
                env: { NODE_TLS_REJECT_UNAUTHORIZED: "0" },
            });
            assert.equal(r.code, 2, r.stdout + r.stderr);
            assert.match(
                r.stderr,
                /^error: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks.*: unset NODE_TLS_REJECT_UNAUTHORIZED /,
            );
            assert.equal(r.stderr.split("\n").filter((l) => l !== "").length, 1, r.stderr);
            if (json) assert.equal((JSON.parse(r.stdout) as { result: string }).result, "invalid-input");
        }
        assert.equal(requestsOf(stack.appId).length, 0, "no client assertion left the machine");
    });

    it("any other value of NODE_TLS_REJECT_UNAUTHORIZED keeps checks on, as Node does", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", stack.outputsFile], {
            trustEndpoint: false,
            maxWait: "20s",
            env: { NODE_TLS_REJECT_UNAUTHORIZED: "false" },
        });
        assert.equal(r.code, 4, "the endpoint's certificate is still refused");
        assert.equal(requestsOf(stack.appId).length, 0);
    });

    it("the report names a trust store the operator added, and the proxy requests go through", async () => {
        const stack = deploy();
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 0, r.stdout);
        // Node loads one certificate from the stand-ins' CA file (openssl made it).
        const count = typeof (await import("node:tls")).getCACertificates === "function" ? ", 1 certificate" : "";
        assert.equal(
            r.stdout.split("\n")[1],
            `Network: TLS trusts Node's certificate authorities and NODE_EXTRA_CA_CERTS (${endpoint.caFile}${count}).`,
        );
        const json = await run(["--outputs-file", stack.outputsFile, "--json"]);
        const network = (JSON.parse(json.stdout) as { network: { trust: string[]; proxy: string | null } }).network;
        assert.deepEqual(network.trust, ["Node's certificate authorities", `NODE_EXTRA_CA_CERTS (${endpoint.caFile}${count})`]);
        assert.equal(network.proxy, null);

        const proxied = await run(["--outputs-file", stack.outputsFile], {
            env: { HTTPS_PROXY: "http://svc-proxy:Pr0xy-Pa55w0rd@proxy.contoso.com:3128", NODE_USE_ENV_PROXY: "1", NO_PROXY: "127.0.0.1" },
        });
        assert.equal(proxied.code, 0, proxied.stdout + proxied.stderr);
        assert.match(
            proxied.stdout.split("\n")[1] ?? "",
            /; requests go through the proxy http:\/\/proxy\.contoso\.com:3128 \(with credentials, not shown\) \(HTTPS_PROXY, not for NO_PROXY 127\.0\.0\.1\)\.$/,
        );
        assert.ok(!(proxied.stdout + proxied.stderr).includes("Pr0xy-Pa55w0rd"), "the proxy's password is never printed");

        const ignored = await run(["--outputs-file", stack.outputsFile], { env: { HTTPS_PROXY: "http://proxy.contoso.com:3128" } });
        assert.match(
            ignored.stdout.split("\n")[1] ?? "",
            /; HTTPS_PROXY is set, but Node ignores it without NODE_USE_ENV_PROXY=1: requests go direct\.$/,
        );
    });
});

describe("whom verify trusts, from Node's settings", () => {
    const trust = (env: Record<string, string>, argv: string[] = []) => networkTrust(env, argv, undefined);

    it("Node's own certificate authorities alone is the default, and says nothing", () => {
        const n = trust({});
        assert.deepEqual(n, { trust: ["Node's certificate authorities"], defaultTrust: true, proxy: undefined, notes: [] });
        assert.equal(trustLine(n), undefined);
    });

    it("the system store, from the flag in NODE_OPTIONS or on the command line, or NODE_USE_SYSTEM_CA=1", () => {
        for (const n of [
            trust({ NODE_OPTIONS: "--max-old-space-size=512 --use-system-ca" }),
            trust({}, ["--use-system-ca"]),
            trust({ NODE_USE_SYSTEM_CA: "1" }),
        ]) {
            assert.equal(trustLine(n), "Network: TLS trusts Node's certificate authorities and the operating system's certificate store.");
        }
    });

    it("OpenSSL's store replaces Node's, with the files it reads", () => {
        const n = trust({ NODE_OPTIONS: "--use-openssl-ca", SSL_CERT_FILE: "/etc/pki/tls/cert.pem" });
        assert.equal(trustLine(n), "Network: TLS trusts OpenSSL's certificate store (/etc/pki/tls/cert.pem).");
    });

    it("the proxy Node uses: the lower-case variable first, as undici reads them, and the flags spelt with underscores", () => {
        const both = trust({ HTTPS_PROXY: "http://upper.example:3128", https_proxy: "http://lower.example:3128", NODE_USE_ENV_PROXY: "1" });
        assert.equal(both.proxy, "http://lower.example:3128 (https_proxy)");
        assert.equal(
            trust({ HTTP_PROXY: "http://only-http.example:8080" }, ["--use_env_proxy"]).proxy,
            "http://only-http.example:8080 (HTTP_PROXY)",
        );
        assert.equal(
            trustLine(trust({ NODE_OPTIONS: "--use_system_ca" })),
            "Network: TLS trusts Node's certificate authorities and the operating system's certificate store.",
        );
        assert.equal(trustLine(trust({}, ["--use_openssl_ca"])), "Network: TLS trusts OpenSSL's certificate store.");
        assert.match(
            trust({ HTTPS_PROXY: "http://p.example:1", NODE_USE_ENV_PROXY: "1", no_proxy: "lower", NO_PROXY: "upper" }).proxy ?? "",
            /not for NO_PROXY lower\)$/,
        );
    });
    it("a proxy address that is no URL is not quoted", () => {
        assert.equal(
            trust({ HTTPS_PROXY: "proxy host with spaces", NODE_USE_ENV_PROXY: "1" }).proxy,
            "(an address that is not a URL) (HTTPS_PROXY)",
        );
    });
});

describe("the token request goes through verify's own network module", () => {
    it("every request MSAL makes is a fetch with redirects off, to the token endpoint alone", async () => {
        const c = certificate();
        const clientId = crypto.randomUUID();
        const calls: { url: string; method: unknown; redirect: unknown }[] = [];
        const realFetch = globalThis.fetch;
        // MSAL's own network client calls the global fetch without a redirect option: any use of it shows here.
        globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
            calls.push({ url: input instanceof Request ? input.url : String(input), method: init?.method, redirect: init?.redirect });
            const body = { error: "invalid_client", error_description: "AADSTS700027: not registered.", error_codes: [700027] };
            return Promise.resolve(new Response(JSON.stringify(body), { status: 401, headers: { "content-type": "application/json" } }));
        };
        let outcome: TokenOutcome;
        try {
            outcome = await requestAppToken({
                authorityHost: "https://login.microsoftonline.com",
                resource: EXCHANGE_ONLINE,
                tenantId: TENANT,
                clientId,
                credential: {
                    kind: "certificate",
                    certificate: new crypto.X509Certificate(c.certPem),
                    certificatePem: c.certPem,
                    key: crypto.createPrivateKey(c.keyPem),
                },
            });
        } finally {
            globalThis.fetch = realFetch;
        }
        assert.deepEqual(
            calls.map((call) => [call.method, call.url.split("?")[0], call.redirect]),
            [["POST", `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`, "manual"]],
        );
        assert.equal(outcome.kind, "entra");
        assert.equal(outcome.kind === "entra" && outcome.error.aadsts, 700027);
    });
});

describe("the identity endpoint request goes through verify's own network module", () => {
    // msal-node chooses the endpoint from this process's environment, once: IMDS's default unless a host variable is set.
    const hostVariables = Object.keys(HOST_IDENTITY_UNSET).filter((k) => process.env[k] !== undefined);
    it(
        "one GET to IMDS with redirects off, and no retry of msal-node's own on a 404",
        { skip: hostVariables.length > 0 && `set here: ${hostVariables.join(", ")}` },
        async () => {
            const { requestManagedIdentityToken } = await import("../tools/verify/identityToken.mts");
            const calls: { url: string; method: unknown; redirect: unknown; metadata: unknown }[] = [];
            const realFetch = globalThis.fetch;
            globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
                const headers = new Headers(init?.headers);
                calls.push({
                    url: input instanceof Request ? input.url : String(input),
                    method: init?.method,
                    redirect: init?.redirect,
                    metadata: headers.get("metadata"),
                });
                // IMDS answers 404 while it updates; msal-node's own retry policy would try again (ImdsRetryPolicy).
                const body = { error: "not_found", error_description: "IMDS is updating" };
                return Promise.resolve(
                    new Response(JSON.stringify(body), { status: 404, headers: { "content-type": "application/json" } }),
                );
            };
            let outcome: TokenOutcome;
            try {
                outcome = await requestManagedIdentityToken({
                    // https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
                    endpoint: { source: "IMDS", url: "http://169.254.169.254/metadata/identity/oauth2/token", secret: undefined },
                    resource: EXCHANGE_ONLINE,
                    clientId: undefined,
                });
            } finally {
                globalThis.fetch = realFetch;
            }
            assert.deepEqual(
                calls.map((c) => [c.method, c.url.split("?")[0], c.redirect, c.metadata]),
                [["GET", "http://169.254.169.254/metadata/identity/oauth2/token", "manual", "true"]],
            );
            assert.equal(new URL(calls[0].url).searchParams.get("resource"), EXCHANGE_ONLINE);
            assert.equal(outcome.kind === "entra" && outcome.error.status, 404);
        },
    );
});

describe("the retry schedule", () => {
    it("doubles from the first delay up to two minutes, and makes its last attempt at the deadline", async () => {
        let clock = 0;
        const sleeps: number[] = [];
        const notFound: TokenOutcome = {
            kind: "entra",
            error: { error: "unauthorized_client", aadsts: 700016, description: "AADSTS700016: Application not found." },
        };
        const context = {
            appId: crypto.randomUUID(),
            tenantId: TENANT,
            thumbprint: undefined,
            authorityHost: "https://login.microsoftonline.com",
            authorityFromFlag: false,
            cloud: "global" as const,
            resource: EXCHANGE_ONLINE,
            tokenService: "Entra",
            tokenAddress: "https://login.microsoftonline.com",
        };
        const verdict = await retryUntilVerified({
            checkLocally: () => ({ checks: [] }),
            requestToken: () => Promise.resolve(notFound),
            expect: {
                resource: EXCHANGE_ONLINE,
                cloud: "global",
                tenantId: TENANT,
                directoryRoles: [EXCHANGE_ADMINISTRATOR],
                clientId: context.appId,
                acceptedExtras: [],
            },
            explain: (e) => explainEntraError(e, context),
            context,
            maxWaitMs: 15 * 60_000,
            firstDelayMs: 10_000,
            now: () => clock,
            sleep: (ms) => {
                sleeps.push(ms);
                clock += ms;
                return Promise.resolve();
            },
        });
        // 10+20+40+80+120×6 = 870 s; the last wait is what is left of 900 s.
        assert.deepEqual(
            sleeps.map((ms) => ms / 1000),
            [10, 20, 40, 80, 120, 120, 120, 120, 120, 120, 30],
        );
        assert.equal(verdict.attempts, 12);
        assert.equal(verdict.result, "not-propagated");
        assert.equal(verdict.exitCode, 3);
    });
    it("reads durations as the flags document them", () => {
        assert.equal(parseDuration("15m"), 900_000);
        assert.equal(parseDuration("1h30m"), 5_400_000);
        assert.equal(parseDuration("250ms"), 250);
        assert.equal(parseDuration("0"), 0);
        for (const bad of ["15", "m", "-1s", "1.5m", "15 m"]) assert.equal(parseDuration(bad), undefined, bad);
    });
});

describeNothingSecretPrinted({ runs: 35, tokens: 10, assertions: 9 });
