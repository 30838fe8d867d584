/**
 * npm run verify: the real CLI against a local stand-in for Entra's token endpoint (HTTPS, trusted
 * through NODE_EXTRA_CA_CERTS). Microsoft's ids are typed here from its documentation, never taken
 * from the program; thumbprints and dates come from openssl. Certificates are dated from the instant
 * each test passes, so the suite holds on any day (and under faketime).
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { ROTATION_ADVICE } from "../components/expiry.ts";
import { requestAppToken } from "../tools/lib/verify/entra.mts";
import { explainEntraError } from "../tools/lib/verify/entraErrors.mts";
import type { TokenOutcome } from "../tools/lib/verify/outcome.mts";
import { parseDuration, retryUntilVerified } from "../tools/lib/verify/retry.mts";
import { type MadeCertificate, makeCertificate } from "./support/certificates.mts";
import { openssl, opensslThumbprint, tempDir } from "./support/harness.mts";
import {
    JWT_BEARER,
    type RawAnswer,
    type Registration,
    type TokenEndpoint,
    signJwt,
    startTokenEndpoint,
} from "./support/tokenEndpoint.mts";
import {
    type DirectoryRole,
    type VerifyRun,
    opensslPfx,
    opensslPfxInfo,
    runVerify,
    scratchFile,
    stackOutputs,
} from "./support/verifyStack.mts";

// https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
const EXCHANGE_ADMINISTRATOR: DirectoryRole = { name: "Exchange Administrator", templateId: "29232cdf-9323-42fd-ade2-1d097af3e4de" };
const GLOBAL_READER: DirectoryRole = { name: "Global Reader", templateId: "f2ef992c-3afb-46b9-b7cf-a126ee74c451" };
// https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2
const EXCHANGE_ONLINE = "https://outlook.office365.com";
const EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

const TENANT = "6f1d4c2a-8b3e-4f5a-9c7d-1e2f3a4b5c6d";
const UNKNOWN_TENANT = "0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f";
const PFX_PASSWORD = "pfx-Pa55-7f3e9c1d";
// Latin-1, CJK and a character outside the BMP (a surrogate pair in UTF-16): every PKCS#12 encoding differs.
const UNICODE_PFX_PASSWORD = "Pässwörd-証明書-🔑-7f3e";

/**
 * Terminal control characters: C0 except newline, C1, DEL, and the bidirectional overrides that
 * reorder what is shown (ECMA-48; Unicode TR 9). None may reach the terminal from verify.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** A compact JWS: base64url JSON header and payload ('{"' encodes as eyJ). */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

let endpoint: TokenEndpoint;
/** Private keys and passwords the tests handed to the CLI, and tokens planted in answers: none may ever be printed. */
const privateKeys: string[] = [];
const planted: string[] = [];
let runsChecked = 0;

before(async () => {
    endpoint = await startTokenEndpoint({ tenants: [TENANT] });
});
after(() => endpoint.close());

/** A certificate valid from a day before `now` for 30 days; `freshKey` gives it a key no other certificate has. */
function certificate(o: { now?: Date; fromDays?: number; toDays?: number; freshKey?: boolean; key?: "ec" } = {}): MadeCertificate {
    const c = makeCertificate({ now: o.now ?? new Date(), cn: "EXO Reporting Script", ...o });
    privateKeys.push(c.keyPem);
    return c;
}

// Stacks share a certificate unless a test needs another (every stack has its own application, so
// Entra tells them apart by client id).
let shared: MadeCertificate | undefined;
function sharedCertificate(): MadeCertificate {
    shared ??= certificate();
    return shared;
}

interface Deployed {
    readonly appId: string;
    readonly certificate: MadeCertificate;
    readonly outputsFile: string;
}

/** A deployed stack: outputs written to a file, and its application registered at the endpoint. */
function deploy(
    o: {
        roles?: DirectoryRole[];
        byo?: boolean;
        certificate?: MadeCertificate;
        privateKeyPem?: string;
        /** Certificates Entra has for the app; default the stack's own. */
        registered?: MadeCertificate[];
        tenantId?: string;
        register?: Partial<Pick<Registration, "unknownForFirst" | "claims" | "answer">>;
    } = {},
): Deployed {
    const appId = crypto.randomUUID();
    const cert = o.certificate ?? sharedCertificate();
    const roles = o.roles ?? [EXCHANGE_ADMINISTRATOR];
    endpoint.register({
        tenantId: TENANT,
        clientId: appId,
        certificates: (o.registered ?? [cert]).map((c) => c.certPem),
        ...o.register,
        claims: (n) => ({ wids: roles.map((r) => r.templateId), ...o.register?.claims?.(n) }),
    });
    const outputs = stackOutputs({
        appId,
        tenantId: o.tenantId ?? TENANT,
        certificate: cert,
        roles,
        ...(o.byo ? { byo: true } : {}),
        ...(o.privateKeyPem ? { privateKeyPem: o.privateKeyPem } : {}),
    });
    return { appId, certificate: cert, outputsFile: scratchFile("outputs.json", JSON.stringify(outputs, null, 2)) };
}

/** Runs the CLI against the endpoint, then checks that nothing secret and no control character was printed. */
async function run(
    args: string[],
    o: { maxWait?: string; env?: Record<string, string | undefined>; input?: string; viaNpm?: boolean; trustEndpoint?: boolean } = {},
): Promise<VerifyRun> {
    const result = await runVerify(
        ["--authority-host", endpoint.authorityHost, "--first-delay", "20ms", "--max-wait", o.maxWait ?? "0", ...args],
        {
            env: { NODE_EXTRA_CA_CERTS: o.trustEndpoint === false ? undefined : endpoint.caFile, ...o.env },
            ...(o.input !== undefined ? { input: o.input } : {}),
            ...(o.viaNpm ? { viaNpm: true } : {}),
        },
    );
    assertNothingSecret(result);
    return result;
}

function assertNothingSecret(r: VerifyRun): void {
    const text = r.stdout + r.stderr;
    assert.ok(!text.includes("PRIVATE KEY"), "a private key block was printed");
    for (const pem of privateKeys) {
        // Any line of the base64 body: catches the key printed whole, unwrapped or JSON-escaped.
        const body = pem.split("\n").filter((l) => /^[A-Za-z0-9+/]{64}$/.test(l));
        for (const line of body) assert.ok(!text.includes(line), "private key material was printed");
    }
    for (const jwt of [...endpoint.issued, ...endpoint.assertions, ...planted]) {
        assert.ok(!text.includes(jwt.split(".")[2]), "an access token or client assertion was printed");
    }
    assert.doesNotMatch(text, JWT_LIKE, "a JWT-looking string was printed");
    for (const password of [PFX_PASSWORD, UNICODE_PFX_PASSWORD]) assert.ok(!text.includes(password), "a PFX password was printed");
    const control = CONTROL.exec(text);
    assert.equal(control, null, `a control character (U+${control?.[0].codePointAt(0)?.toString(16)}) was printed`);
    runsChecked++;
}

/** The row of the result table for one check. */
function row(stdout: string, status: "PASS" | "FAIL" | "SKIP", name: string): RegExpExecArray {
    const m = new RegExp(`^  ${status}  ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +(.*)$`, "m").exec(stdout);
    assert.ok(m, `no ${status} row for ${name} in:\n${stdout}`);
    return m;
}

function requestsOf(appId: string) {
    return endpoint.received.filter((r) => r.form["client_id"] === appId);
}

/** An invalid-input run: exit code 2, one line on standard error saying so, nothing on standard output. */
function assertOneLineError(r: VerifyRun, message: RegExp): void {
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], message);
}

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

    function post(clientAssertion: string) {
        return endpoint.post(`/${TENANT}/oauth2/v2.0/token`, {
            grant_type: "client_credentials",
            client_id: appId,
            client_assertion_type: JWT_BEARER,
            client_assertion: clientAssertion,
            scope: `${EXCHANGE_ONLINE}/.default`,
        });
    }

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
                "pass Exchange.ManageAsApp",
                "pass role Exchange Administrator",
                "pass role Global Reader",
            ],
        );
        assert.deepEqual(report.claims.roles, ["Exchange.ManageAsApp"]);
        assert.deepEqual(report.claims.wids, [EXCHANGE_ADMINISTRATOR.templateId, GLOBAL_READER.templateId]);
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
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(
            requestsOf(stack.appId).map((q) => q.aadsts ?? q.status),
            [700016, 700016, 200],
        );
        const progress = r.stderr.trim().split("\n");
        assert.equal(progress.length, 2, r.stderr);
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
    it("an endless answer is cut off at the size limit", async () => {
        const stack = deploy({ register: { answer: () => ({ status: 400, body: `{"error":"${"x".repeat(2 * 1024 * 1024)}"}` }) } });
        const r = await run(["--outputs-file", stack.outputsFile]);
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(r.stdout, /^COULD NOT CHECK: .*unexpected answer \(HTTP 400\) larger than 1 MiB/m);
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
    it("outputs missing or malformed: every problem at once", async () => {
        const outputs = {
            ...stackOutputs({ appId: crypto.randomUUID(), tenantId: TENANT, certificate: certificate(), roles: [EXCHANGE_ADMINISTRATOR] }),
        };
        delete outputs["tenantId"];
        outputs["appId"] = "EXO Reporting Script";
        outputs["directoryRoles"] = ["Exchange Administrator"];
        const r = await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(outputs))]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /output appId should be a GUID \(got "EXO Reporting Script"\)/);
        assert.match(r.stderr, /the stack has no output tenantId/);
        assert.match(r.stderr, /output directoryRoles should be a list of/);
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
        };
        const verdict = await retryUntilVerified({
            checkLocally: () => ({ checks: [] }),
            requestToken: () => Promise.resolve(notFound),
            expect: { resource: EXCHANGE_ONLINE, tenantId: TENANT, directoryRoles: [EXCHANGE_ADMINISTRATOR] },
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

describe("nothing secret is printed", () => {
    it("was checked after every run, with tokens and assertions to look for", () => {
        assert.ok(runsChecked >= 40, `only ${runsChecked} runs checked`);
        assert.ok(endpoint.issued.length >= 10 && endpoint.assertions.length >= 20);
    });
});
