/**
 * npm run verify: the real CLI against local stand-ins for Entra's token endpoint (HTTPS, trusted
 * through NODE_EXTRA_CA_CERTS), a workload's OIDC issuer with GitHub Actions' token request endpoint,
 * and an Azure resource's managed identity endpoint (IMDS and App Service shapes). Every run is its own
 * process, as msal-node keeps its managed identity source for the process. Microsoft's ids, hosts and
 * resources are typed here from its documentation, never taken from the program; thumbprints and dates
 * come from openssl. Certificates and tokens are dated from the instant each test runs, so the suite
 * holds on any day (and under faketime).
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ROTATION_ADVICE } from "../components/expiry.ts";
import { requestAppToken } from "../tools/lib/verify/entra.mts";
import { explainEntraError, unreachable, unreadableToken } from "../tools/lib/verify/entraErrors.mts";
import type { TokenOutcome } from "../tools/lib/verify/outcome.mts";
import { parseDuration, retryUntilVerified } from "../tools/lib/verify/retry.mts";
import { type MadeCertificate, makeCertificate } from "./support/certificates.mts";
import { NPM_NODE_OPTIONS } from "./support/cli.mts";
import { PROJECT_DIR, openssl, opensslThumbprint, tempDir } from "./support/harness.mts";
import { type IdentityEndpoint, closedPort, startIdentityEndpoint } from "./support/identityEndpoint.mts";
import {
    type FederatedRegistration,
    JWT_BEARER,
    type RawAnswer,
    type Registration,
    type TokenEndpoint,
    signJwt,
    startTokenEndpoint,
} from "./support/tokenEndpoint.mts";
import { type Issuer, startIssuer } from "./support/verifyIssuer.mts";
import {
    type DirectoryRole,
    type FederatedCredentialSpec,
    type ManagedIdentitySpec,
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
// Exchange Online in GCC High and DoD: CISA ScubaGear EXORestHelper.psm1, Microsoft CSS-Exchange
// Get-CloudServiceEndpoint.ps1 (DoD disputed: maester uses outlook.office365.us).
const EXCHANGE_ONLINE_GCC_HIGH = "https://outlook.office365.us";
const EXCHANGE_ONLINE_DOD = "https://outlook-dod.office365.us";
// The audience Entra expects in a federated token (learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust),
// and in the US Government clouds (…/workload-identity-federation-config-app-trust-managed-identity).
const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const TOKEN_EXCHANGE_AUDIENCE_US_GOV = "api://AzureADTokenExchangeUSGov";
// A GitHub Actions job's subject when it names an environment (docs.github.com/actions/reference/security/oidc).
const GITHUB_SUBJECT = "repo:contoso/exchange-reports:environment:production";

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
let issuer: Issuer;
let identity: IdentityEndpoint;
/** Private keys and passwords the tests handed to the CLI, and tokens planted in answers: none may ever be printed. */
const privateKeys: string[] = [];
const planted: string[] = [];
let runsChecked = 0;

before(async () => {
    endpoint = await startTokenEndpoint({ tenants: [TENANT], resources: [EXCHANGE_ONLINE, EXCHANGE_ONLINE_GCC_HIGH, EXCHANGE_ONLINE_DOD] });
    issuer = await startIssuer({ tls: endpoint.tls, gitHubSubject: GITHUB_SUBJECT });
    identity = await startIdentityEndpoint({ tenantId: TENANT, resources: [EXCHANGE_ONLINE, EXCHANGE_ONLINE_GCC_HIGH] });
});
after(async () => {
    await endpoint.close();
    await issuer.close();
    await identity.close();
});

/** A client-credentials token request for Exchange Online to the stand-in endpoint, signed in with `assertion`. */
function requestToken(clientId: string, assertion: string) {
    return endpoint.post(`/${TENANT}/oauth2/v2.0/token`, {
        grant_type: "client_credentials",
        client_id: clientId,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
        scope: `${EXCHANGE_ONLINE}/.default`,
    });
}

/** verify with the stack's outputs and a federated token the stand-in issuer signs with `claims`. */
function withToken(outputsFile: string, claims: Parameters<Issuer["sign"]>[0]): Promise<VerifyRun> {
    return run(["--outputs-file", outputsFile, "--federated-token-file", scratchFile("t", issuer.sign(claims))]);
}

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

/**
 * Runs the CLI against the endpoint, then checks that nothing secret and no control character was printed.
 * A flag may be given once: one the test passes itself replaces the default here, and `cloudAuthority`
 * leaves --authority-host out, so the stack's cloud's sign-in host is used.
 */
async function run(
    args: string[],
    o: {
        maxWait?: string;
        env?: Record<string, string | undefined>;
        input?: string;
        viaNpm?: boolean;
        trustEndpoint?: boolean;
        cloudAuthority?: boolean;
    } = {},
): Promise<VerifyRun> {
    const defaults: [string, string][] = [
        ["--authority-host", endpoint.authorityHost],
        ["--first-delay", "20ms"],
        ["--max-wait", o.maxWait ?? "0"],
    ];
    const given = defaults.filter(([flag]) => !args.includes(flag) && !(flag === "--authority-host" && o.cloudAuthority));
    const result = await runVerify([...given.flat(), ...args], {
        env: { NODE_EXTRA_CA_CERTS: o.trustEndpoint === false ? undefined : endpoint.caFile, ...HOST_IDENTITY_UNSET, ...o.env },
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.viaNpm ? { viaNpm: true } : {}),
    });
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
    for (const jwt of [...endpoint.issued, ...endpoint.assertions, ...issuer.issued, ...identity.issued, ...planted]) {
        // Each segment alone too: a server can echo a header or payload without the dots that make it a JWT.
        for (const segment of jwt.split(".").filter((s) => s.length >= 16)) {
            assert.ok(!text.includes(segment), "a segment of an access token, client assertion or federated token was printed");
        }
    }
    assert.ok(!text.includes(issuer.gitHub.requestToken), "GitHub's request token was printed");
    assert.ok(!text.includes(identity.appService.header), "the identity header was printed");
    assert.doesNotMatch(text, JWT_LIKE, "a JWT-looking string was printed");
    for (const password of [PFX_PASSWORD, UNICODE_PFX_PASSWORD]) assert.ok(!text.includes(password), "a PFX password was printed");
    const control = CONTROL.exec(text);
    assert.equal(control, null, `a control character (U+${control?.[0].codePointAt(0)?.toString(16)}) was printed`);
    runsChecked++;
}

/** The row of the result table for one check. */
function row(stdout: string, status: "PASS" | "FAIL" | "SKIP", name: string): RegExpExecArray {
    // Two spaces at least after the name: "identity" is not "identity endpoint".
    const m = new RegExp(`^  ${status}  ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}  +(.*)$`, "m").exec(stdout);
    assert.ok(m, `no ${status} row for ${name} in:\n${stdout}`);
    return m;
}

function requestsOf(appId: string) {
    return endpoint.received.filter((r) => r.form["client_id"] === appId);
}

/**
 * What tells msal-node which identity endpoint a host has, and GitHub Actions' token request: unset in
 * every run unless a test sets them, whatever the machine running the tests has.
 */
const HOST_IDENTITY_UNSET: Record<string, undefined> = {
    IDENTITY_ENDPOINT: undefined,
    IDENTITY_HEADER: undefined,
    IDENTITY_SERVER_THUMBPRINT: undefined,
    IMDS_ENDPOINT: undefined,
    MSI_ENDPOINT: undefined,
    MSI_SECRET: undefined,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: undefined,
    ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
};

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
        assert.ok(
            t.stdout.includes(
                `Fix: Check that the outputs are this tenant's stack, and that the sign-in host, --authority-host ${endpoint.authorityHost}, `,
            ),
            t.stdout,
        );
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

/**
 * A run that Entra refused twice with `aadsts` (not replicated yet) and then let sign in: exit 0, those three
 * requests, and one progress line on stderr for each refusal, which it returns.
 */
function passedOnThirdAttempt(r: VerifyRun, appId: string, aadsts: number): string[] {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
        requestsOf(appId).map((q) => q.aadsts ?? q.status),
        [aadsts, aadsts, 200],
    );
    const progress = r.stderr.trim().split("\n");
    assert.equal(progress.length, 2, r.stderr);
    return progress;
}

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
            /^error: 4 problems in the outputs: output appId should be a GUID \(got "nope"\); output tenantId should be a non-empty string; output cloud should be one of global, gcc-high, dod, china \(got "mars"\); output directoryRoles should be a list of .*$/,
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
            const { requestManagedIdentityToken } = await import("../tools/lib/verify/managedIdentity.mts");
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
            expect: { resource: EXCHANGE_ONLINE, cloud: "global", tenantId: TENANT, directoryRoles: [EXCHANGE_ADMINISTRATOR] },
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

/** A stack whose application signs in with federated credentials; Entra (the endpoint) has `registered`, by default the same. */
function deployFederated(
    o: {
        roles?: DirectoryRole[];
        credentials?: FederatedCredentialSpec[];
        registered?: FederatedRegistration[];
        cloud?: string;
        certificate?: MadeCertificate;
        managedIdentities?: ManagedIdentitySpec[];
        skewSeconds?: number;
        claims?: Registration["claims"];
        answer?: Registration["answer"];
    } = {},
): { appId: string; outputsFile: string; credentials: FederatedCredentialSpec[] } {
    const appId = crypto.randomUUID();
    const roles = o.roles ?? [EXCHANGE_ADMINISTRATOR];
    const credentials = o.credentials ?? [
        { name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE },
    ];
    endpoint.register({
        tenantId: TENANT,
        clientId: appId,
        certificates: o.certificate ? [o.certificate.certPem] : [],
        federatedCredentials: o.registered ?? credentials,
        ...(o.skewSeconds !== undefined ? { federatedSkewSeconds: o.skewSeconds } : {}),
        ...(o.answer ? { answer: o.answer } : {}),
        claims: (n) => ({ wids: roles.map((r) => r.templateId), ...o.claims?.(n) }),
    });
    const outputs = stackOutputs({
        appId,
        tenantId: TENANT,
        roles,
        federatedCredentials: credentials,
        ...(o.certificate ? { certificate: o.certificate } : {}),
        ...(o.cloud ? { cloud: o.cloud } : {}),
        ...(o.managedIdentities ? { managedIdentities: o.managedIdentities } : {}),
    });
    return { appId, outputsFile: scratchFile("outputs.json", JSON.stringify(outputs, null, 2)), credentials };
}

/** A stack with managed identities only (exo-cba:application false). */
function deployIdentities(identities: ManagedIdentitySpec[], o: { roles?: DirectoryRole[]; cloud?: string } = {}): string {
    const outputs = stackOutputs({
        tenantId: TENANT,
        roles: o.roles ?? [EXCHANGE_ADMINISTRATOR],
        managedIdentities: identities,
        ...(o.cloud ? { cloud: o.cloud } : {}),
    });
    return scratchFile("outputs.json", JSON.stringify(outputs, null, 2));
}

/** An identity assigned to the stand-in host, its tokens carrying `roles` (default Exchange Administrator) as wids. */
function assignIdentity(o: {
    objectId: string;
    clientId?: string;
    system?: boolean;
    roles?: DirectoryRole[];
    claims?: (n: number) => Record<string, unknown>;
}): void {
    const roles = o.roles ?? [EXCHANGE_ADMINISTRATOR];
    identity.assign({
        objectId: o.objectId,
        clientId: o.clientId ?? crypto.randomUUID(),
        ...(o.system ? { system: true } : {}),
        claims: (n) => ({ wids: roles.map((r) => r.templateId), ...o.claims?.(n) }),
    });
}

/** The identity endpoint's requests since `from`. */
function identityRequestsSince(from: number) {
    return identity.received.slice(from);
}

/** GitHub token requests made by the client under test (not the token endpoint's key fetches). */
function gitHubRequests() {
    return issuer.received.filter((r) => !r.byTokenEndpoint && r.path.endsWith("/idtoken"));
}

const gitHubEnv = () => ({
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.gitHub.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.gitHub.requestToken,
});

function payloadOf(jwt: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}

describe("the stand-in token endpoint checks federated tokens as Entra does", () => {
    const credential = () => ({ issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE });

    function registered(federatedCredentials: FederatedRegistration[], skew?: number): string {
        const clientId = crypto.randomUUID();
        endpoint.register({
            tenantId: TENANT,
            clientId,
            certificates: [],
            federatedCredentials,
            ...(skew !== undefined ? { federatedSkewSeconds: skew } : {}),
        });
        return clientId;
    }

    const post = requestToken;

    it("issues a token for one signed with a key the issuer publishes, found through its OpenID configuration", async () => {
        const clientId = registered([credential()]);
        const fetchedBefore = issuer.received.filter((r) => r.byTokenEndpoint).length;
        const answer = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE }));
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(payloadOf(String(answer.body["access_token"]))["appid"], clientId);
        assert.deepEqual(
            issuer.received
                .filter((r) => r.byTokenEndpoint)
                .slice(fetchedBefore)
                .map((r) => r.path),
            ["/.well-known/openid-configuration", "/.well-known/jwks"],
        );
    });
    it("refuses a key the issuer does not publish, a forged signature, and a token outside its time range", async () => {
        const clientId = registered([credential()]);
        const unpublished = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, unpublishedKey: true }));
        assert.deepEqual(unpublished.body["error_codes"], [7000272]);
        const genuine = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE }).split(".");
        const forgedPayload = Buffer.from(
            JSON.stringify({ ...payloadOf(genuine.join(".")), sub: "repo:contoso/other:environment:production" }),
        );
        const forged = await post(clientId, `${genuine[0]}.${forgedPayload.toString("base64url")}.${genuine[2]}`);
        assert.deepEqual(forged.body["error_codes"], [50013]);
        const expired = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, expiresIn: -600 }));
        assert.deepEqual(expired.body["error_codes"], [700024]);
        assert.match(String(expired.body["error_description"]), /^AADSTS700024: Client assertion is not within its valid time range/);
    });
    it("refuses an issuer, subject or audience no credential has; a subject differing in letter case has its own code", async () => {
        const other = registered([{ ...credential(), issuer: "https://token.actions.githubusercontent.com" }]);
        const good = () => issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE });
        assert.deepEqual((await post(other, good())).body["error_codes"], [700211]);
        const clientId = registered([credential()]);
        const subject = await post(
            clientId,
            issuer.sign({ sub: "repo:contoso/exchange-reports:ref:refs/heads/main", aud: TOKEN_EXCHANGE_AUDIENCE }),
        );
        assert.deepEqual(subject.body["error_codes"], [700213]);
        const upper = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT.toUpperCase(), aud: TOKEN_EXCHANGE_AUDIENCE }));
        assert.deepEqual(upper.body["error_codes"], [7002138]);
        const audience = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: "https://github.com/contoso" }));
        assert.deepEqual(audience.body["error_codes"], [700212]);
    });
    it("answers AADSTS70021 while a new credential replicates, then issues the token", async () => {
        const clientId = registered([{ ...credential(), replicatedAfter: 2 }]);
        const codes: unknown[] = [];
        for (let i = 0; i < 3; i++) {
            const answer = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE }));
            codes.push(answer.status === 200 ? 200 : (answer.body["error_codes"] as number[])[0]);
        }
        assert.deepEqual(codes, [70021, 70021, 200]);
    });
});

describe("a federated token from a file (--federated-token-file)", () => {
    it("signs in as the application of a stack without a certificate; the token goes as the client assertion and is never printed", async () => {
        const stack = deployFederated();
        const token = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE });
        const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("token.jwt", `${token}\n`)]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(
            r.stdout,
            new RegExp(
                `^Checking app-only access for application ${stack.appId} .*signing in with federated credential github-reports$`,
                "m",
            ),
        );
        assert.match(
            row(r.stdout, "PASS", "federated token")[1],
            new RegExp(`^issuer ${issuer.url.replace(/[.]/g, "\\.")}, subject ${GITHUB_SUBJECT}, valid until \\d{4}-`),
        );
        assert.equal(
            row(r.stdout, "PASS", "federated credential")[1],
            `github-reports trusts this issuer and subject, audience ${TOKEN_EXCHANGE_AUDIENCE}`,
        );
        row(r.stdout, "PASS", "sign-in");
        row(r.stdout, "PASS", "Exchange.ManageAsApp");
        row(r.stdout, "PASS", "role Exchange Administrator");
        assert.match(r.stdout, /^VERIFIED: the federated token signs in as the application/m);
        assert.match(r.stdout, /Connect-ExchangeOnline -AccessToken with a token obtained this way will work/);
        assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));

        const requests = requestsOf(stack.appId);
        assert.equal(requests.length, 1);
        assert.equal(requests[0].status, 200, "the endpoint accepted the token's signature, issuer, subject and audience");
        assert.equal(requests[0].form["grant_type"], "client_credentials");
        assert.equal(requests[0].form["client_assertion_type"], JWT_BEARER);
        assert.equal(requests[0].form["client_assertion"], token);
        assert.equal(requests[0].form["scope"], `${EXCHANGE_ONLINE}/.default`);

        const json = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", "-", "--json"], { input: `${token}\n` });
        assert.equal(json.code, 0, json.stdout + json.stderr);
        const report = JSON.parse(json.stdout) as Record<string, unknown>;
        assert.equal(report["mode"], "federated");
        assert.equal(report["thumbprint"], null);
        assert.deepEqual(report["federatedCredential"], {
            name: "github-reports",
            issuer: issuer.url,
            subject: GITHUB_SUBJECT,
            audience: TOKEN_EXCHANGE_AUDIENCE,
        });
    });
    it("a token no credential of the stack trusts: exit code 1 before Entra is asked, naming the token's issuer and subject", async () => {
        const stack = deployFederated();
        const sub = "repo:contoso/exchange-reports:ref:refs/heads/main";
        const r = await withToken(stack.outputsFile, { sub, aud: TOKEN_EXCHANGE_AUDIENCE });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        row(r.stdout, "PASS", "federated token");
        row(r.stdout, "FAIL", "federated credential");
        row(r.stdout, "SKIP", "sign-in");
        assert.match(
            r.stdout,
            new RegExp(
                `^MISCONFIGURED: No federated credential of the stack trusts issuer ${issuer.url.replace(/[.]/g, "\\.")} with subject ${sub}\\.`,
                "m",
            ),
        );
        assert.match(r.stdout, new RegExp(`Why: .*The stack has: github-reports \\(issuer .*, subject ${GITHUB_SUBJECT}\\)`));
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a token for another audience, and an expired token: exit code 1, nothing sent", async () => {
        const stack = deployFederated();
        const audience = await withToken(stack.outputsFile, { sub: GITHUB_SUBJECT, aud: "https://github.com/contoso" });
        assert.equal(audience.code, 1, audience.stdout);
        assert.match(
            row(audience.stdout, "FAIL", "federated credential")[1],
            /github-reports expects audience api:\/\/AzureADTokenExchange, the token has https:\/\/github\.com\/contoso/,
        );
        assert.match(audience.stdout, /^MISCONFIGURED: The federated token is for audience https:\/\/github\.com\/contoso/m);
        const expired = await withToken(stack.outputsFile, { sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, expiresIn: -60 });
        assert.equal(expired.code, 1, expired.stdout);
        assert.match(row(expired.stdout, "FAIL", "federated token")[1], /expired \d{4}-/);
        assert.match(expired.stdout, /^MISCONFIGURED: The federated token expired /m);
        assert.match(expired.stdout, /Fix: .*--federated/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a credential Entra does not have yet (AADSTS70021) is tried again until it replicates", async () => {
        const credentials = [{ name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE }];
        const stack = deployFederated({ credentials, registered: [{ ...credentials[0], replicatedAfter: 2 }] });
        const token = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE });
        const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("t", token)], { maxWait: "20s" });
        const progress = passedOnThirdAttempt(r, stack.appId, 70021);
        assert.match(
            progress[0],
            new RegExp(
                `^attempt 1: Entra has no federated credential on application ${stack.appId} matching the token's issuer, subject and audience \\(issuer .*, subject ${GITHUB_SUBJECT}\\) \\(AADSTS70021\\)\\. Trying again in 20ms`,
            ),
        );
        // The file's one token, sent on every attempt.
        assert.deepEqual(new Set(requestsOf(stack.appId).map((q) => q.form["client_assertion"])), new Set([token]));
    });
    it("a credential Entra never gets: not yet propagated when --max-wait runs out, and what else it could be", async () => {
        const stack = deployFederated({ registered: [] });
        const r = await run(
            [
                "--outputs-file",
                stack.outputsFile,
                "--federated-token-file",
                scratchFile("t", issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE })),
            ],
            { maxWait: "300ms" },
        );
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.ok(requestsOf(stack.appId).every((q) => q.aadsts === 700211));
        assert.match(
            r.stdout,
            /^NOT YET PROPAGATED: Entra has no federated credential .* matching the token's issuer .*\(AADSTS700211\)\. Waited/m,
        );
        assert.match(
            r.stdout,
            /Why: The stack's credential github-reports matches the token, so Entra has not caught up: .*changed or removed outside Pulumi/,
        );
        assert.match(r.stdout, /Fix: .*Federated credentials/);
    });
    it("a token that expires while verify waits: Entra's AADSTS700024, explained as an expired federated token", async () => {
        const credentials = [{ name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE }];
        // Entra already knows another credential of this issuer, so it checks the token's time range before the subject.
        const stack = deployFederated({
            credentials,
            registered: [
                { ...credentials[0], subject: "repo:contoso/exchange-reports:environment:staging" },
                { ...credentials[0], replicatedAfter: 1_000 },
            ],
            skewSeconds: 0,
        });
        const token = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, expiresIn: 4 });
        const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("t", token)], { maxWait: "20s" });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const codes = requestsOf(stack.appId).map((q) => q.aadsts);
        assert.equal(codes.at(-1), 700024);
        assert.ok(
            codes.slice(0, -1).every((c) => c === 70021),
            String(codes),
        );
        assert.match(r.stdout, /^MISCONFIGURED: Entra says the federated token is outside its valid time range \(AADSTS700024\)\./m);
        assert.match(r.stdout, /Fix: .*pass --federated instead of a file/);
    });
    it("a file verify cannot use: one line naming it, exit code 2, nothing sent and nothing of it printed", async () => {
        const stack = deployFederated();
        const flag = (file: string) => ["--outputs-file", stack.outputsFile, "--federated-token-file", file];
        assertOneLineError(
            await run(flag(scratchFile("empty.jwt", "\n"))),
            /--federated-token-file \S+empty\.jwt is empty; expected the workload's token \(a JWT\)/,
        );
        assertOneLineError(
            await run(flag("/dev/zero")),
            /--federated-token-file \/dev\/zero: --federated-token-file is larger than 64 KiB/,
        );
        assertOneLineError(await run(flag(tempDir("token-dir-"))), /--federated-token-file \S+ is a directory, not a file/);
        const notJwt = `client_secret=Zk9~${crypto.randomBytes(12).toString("hex")}`;
        const text = await run(flag(scratchFile("secret.txt", notJwt)));
        assertOneLineError(text, /--federated-token-file \S+secret\.txt is not a JWT \(three base64url parts separated by dots\)/);
        assert.ok(!text.stderr.includes(notJwt.slice(14)), "the file's content was printed");
        const noSubject = signJwt(
            { alg: "RS256" },
            { iss: issuer.url, aud: TOKEN_EXCHANGE_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 },
            crypto.createPrivateKey(sharedCertificate().keyPem),
            "RS256",
        );
        planted.push(noSubject);
        assertOneLineError(await run(flag(scratchFile("t", noSubject))), /has no sub \(subject\) claim/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a refusal echoing the token's header and payload alone, in a shape no pattern knows: neither is printed", async () => {
        // JSON written with spaces, as some issuers' libraries do: its segments start "eyAi" and "ewog", not "eyJ".
        const header = Buffer.from('{ "alg": "RS256", "typ": "JWT" }').toString("base64url");
        const claims = { iss: issuer.url, sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 };
        const payload = Buffer.from(JSON.stringify(claims, null, 1)).toString("base64url");
        const signature = crypto.sign("sha256", Buffer.from(`${header}.${payload}`), crypto.createPrivateKey(sharedCertificate().keyPem));
        const token = `${header}.${payload}.${signature.toString("base64url")}`;
        planted.push(token);
        const echo = (_n: number, form: Readonly<Record<string, string>>): RawAnswer => {
            const [h, p] = (form["client_assertion"] ?? "").split(".");
            return {
                status: 401,
                body: {
                    error: `invalid_client ${p}`,
                    error_description: `AADSTS7000215: header ${h} payload=${p}`,
                    error_codes: [7000215],
                },
            };
        };
        const stack = deployFederated({ answer: echo });
        const file = scratchFile("t", token);
        const text = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", file]);
        assert.equal(text.code, 1, text.stdout + text.stderr);
        assert.equal(
            row(text.stdout, "FAIL", "sign-in")[1],
            "AADSTS7000215: header [client assertion redacted] payload=[client assertion redacted]",
        );
        const json = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", file, "--json"]);
        assert.equal(json.code, 1, json.stdout + json.stderr);
        for (const out of [text.stdout, json.stdout]) {
            assert.ok(!out.includes(header) && !out.includes(payload), "a segment of the token was printed");
        }
        assert.equal(requestsOf(stack.appId).filter((q) => q.form["client_assertion"] === token).length, 2, "the answers did echo it");
    });
    it("a token whose expiry is not a time (exp 1e300, negative, past year 9999): one line, exit code 2, nothing sent", async () => {
        const stack = deployFederated();
        const key = crypto.createPrivateKey(sharedCertificate().keyPem);
        for (const exp of [1e300, -1, 253_402_300_800]) {
            const token = signJwt(
                { alg: "RS256" },
                { iss: issuer.url, sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, exp },
                key,
                "RS256",
            );
            planted.push(token);
            const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("t", token)]);
            assertOneLineError(
                r,
                /--federated-token-file \S+ has an exp \(expiry\) claim that is not a time: it must be seconds since 1970-01-01T00:00:00Z, at most 253402300799 \(9999-12-31T23:59:59Z\); expected the workload's token \(a JWT\)$/,
            );
            assert.doesNotMatch(r.stderr, /e\+300|253402300800|-1\b/, "the raw value is not printed");
        }
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a hostile subject in the token is shown escaped", async () => {
        const stack = deployFederated();
        const r = await withToken(stack.outputsFile, { sub: "repo:x\u001b[2J\u202e:VERIFIED", aud: TOKEN_EXCHANGE_AUDIENCE });
        assert.equal(r.code, 1, r.stdout);
        assert.match(row(r.stdout, "PASS", "federated token")[1], /subject repo:x\\u\{1b\}\[2J\\u\{202e\}:VERIFIED/);
    });
});

describe("a federated token from GitHub Actions (--federated)", () => {
    it("asks GitHub's endpoint with the credential's audience, then signs in with that token, in the stack's cloud", async () => {
        const stack = deployFederated({
            cloud: "gcc-high",
            credentials: [
                { name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE_US_GOV },
            ],
        });
        const before = gitHubRequests().length;
        const r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv() });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^Checking app-only access .*, GCC High cloud, signing in with federated credential github-reports$/m);
        const asked = gitHubRequests().slice(before);
        assert.equal(asked.length, 1);
        assert.equal(asked[0].query["audience"], TOKEN_EXCHANGE_AUDIENCE_US_GOV);
        assert.equal(asked[0].query["api-version"], "2.0", "the request URL's own query is kept");
        assert.equal(asked[0].authorization, `Bearer ${issuer.gitHub.requestToken}`);
        const posted = requestsOf(stack.appId);
        assert.equal(posted.length, 1);
        assert.equal(posted[0].form["client_assertion"], issuer.issued.at(-1));
        assert.equal(posted[0].form["scope"], `${EXCHANGE_ONLINE_GCC_HIGH}/.default`);
        assert.equal(row(r.stdout, "PASS", "audience")[1], EXCHANGE_ONLINE_GCC_HIGH);
    });
    it("asks for a fresh token on every attempt", async () => {
        const credentials = [{ name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE }];
        const stack = deployFederated({ credentials, registered: [{ ...credentials[0], replicatedAfter: 2 }] });
        const before = gitHubRequests().length;
        const r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv(), maxWait: "20s" });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(gitHubRequests().length - before, 3);
        const assertions = requestsOf(stack.appId).map((q) => q.form["client_assertion"]);
        assert.equal(new Set(assertions).size, 3);
    });
    it("a certificate stack in a GitHub Actions job still signs in with its certificate", async () => {
        const stack = deploy();
        const before = gitHubRequests().length;
        const r = await run(["--outputs-file", stack.outputsFile], { env: gitHubEnv() });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        row(r.stdout, "PASS", "certificate");
        assert.equal(gitHubRequests().length, before, "GitHub was asked for a token");
        assert.equal(payloadOf(requestsOf(stack.appId)[0].form["client_assertion"])["iss"], stack.appId);
    });
    it("outside GitHub Actions, or with a request URL that is not https: one line, exit code 2, nothing sent", async () => {
        const stack = deployFederated();
        assertOneLineError(
            await run(["--outputs-file", stack.outputsFile, "--federated"]),
            /--federated asks GitHub Actions for the workload's token, but ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not both set: give the job `permissions: id-token: write`/,
        );
        const from = identity.received.length;
        const http = await run(["--outputs-file", stack.outputsFile, "--federated"], {
            env: { ...gitHubEnv(), ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.imdsHost}/idtoken?api-version=2.0` },
        });
        assertOneLineError(http, /ACTIONS_ID_TOKEN_REQUEST_URL must be an https URL/);
        assert.equal(identity.received.length, from, "the request token went over http");
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a redirect from GitHub's endpoint is not followed: the request token goes nowhere else (exit code 4)", async () => {
        const stack = deployFederated();
        issuer.gitHubAnswer = () => ({ status: 307, headers: { location: `${endpoint.elsewhere.origin}/idtoken` }, body: "" });
        let r: VerifyRun;
        try {
            r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv(), maxWait: "20s" });
        } finally {
            issuer.gitHubAnswer = undefined;
        }
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.equal(endpoint.elsewhere.received.length, 0);
        assert.match(
            r.stdout,
            new RegExp(
                `^COULD NOT CHECK: Could not reach GitHub's OIDC endpoint at ${issuer.url.replace(/[.]/g, "\\.")}: unexpected answer: a redirect \\(HTTP 307`,
                "m",
            ),
        );
        row(r.stdout, "FAIL", "federated token");
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a refusal that echoes the request token shows it redacted and its escapes escaped", async () => {
        const stack = deployFederated();
        issuer.gitHubAnswer = () => ({
            status: 403,
            body: { message: `Token ${issuer.gitHub.requestToken} may not \u001b[2Jrequest id tokens` },
        });
        let r: VerifyRun;
        try {
            r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv() });
        } finally {
            issuer.gitHubAnswer = undefined;
        }
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(
            r.stdout,
            /GitHub's OIDC endpoint answered HTTP 403: Token \[secret redacted\] may not \\u\{1b\}\[2Jrequest id tokens/,
        );
    });
});

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
                "pass Exchange.ManageAsApp",
                "pass role Exchange Administrator",
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

describe("the stack's cloud", () => {
    it("a GCC High stack asks for GCC High's Exchange Online; a stack without the cloud output is worldwide", async () => {
        const appId = crypto.randomUUID();
        const cert = sharedCertificate();
        endpoint.register({
            tenantId: TENANT,
            clientId: appId,
            certificates: [cert.certPem],
            claims: () => ({ wids: [EXCHANGE_ADMINISTRATOR.templateId] }),
        });
        const outputs = (cloud?: string) =>
            scratchFile(
                "outputs.json",
                JSON.stringify(
                    stackOutputs({
                        appId,
                        tenantId: TENANT,
                        certificate: cert,
                        roles: [EXCHANGE_ADMINISTRATOR],
                        ...(cloud ? { cloud } : {}),
                    }),
                ),
            );
        const gcc = await run(["--outputs-file", outputs("gcc-high")]);
        assert.equal(gcc.code, 0, gcc.stdout + gcc.stderr);
        assert.match(gcc.stdout, /^Checking app-only access .*\(contoso\.onmicrosoft\.com\), GCC High cloud$/m);
        assert.equal(row(gcc.stdout, "PASS", "audience")[1], EXCHANGE_ONLINE_GCC_HIGH);
        const worldwide = await run(["--outputs-file", outputs()]);
        assert.equal(worldwide.code, 0, worldwide.stdout);
        assert.deepEqual(
            requestsOf(appId).map((q) => q.form["scope"]),
            [`${EXCHANGE_ONLINE_GCC_HIGH}/.default`, `${EXCHANGE_ONLINE}/.default`],
        );
    });
    it("DoD's disputed resource: the cloud's by default, --resource overrides it", async () => {
        const appId = crypto.randomUUID();
        const cert = sharedCertificate();
        endpoint.register({
            tenantId: TENANT,
            clientId: appId,
            certificates: [cert.certPem],
            claims: () => ({ wids: [EXCHANGE_ADMINISTRATOR.templateId] }),
        });
        const outputs = scratchFile(
            "outputs.json",
            JSON.stringify(stackOutputs({ appId, tenantId: TENANT, certificate: cert, roles: [EXCHANGE_ADMINISTRATOR], cloud: "dod" })),
        );
        assert.equal((await run(["--outputs-file", outputs])).code, 0);
        assert.equal((await run(["--outputs-file", outputs, "--resource", EXCHANGE_ONLINE_GCC_HIGH])).code, 0);
        assert.deepEqual(
            requestsOf(appId).map((q) => q.form["scope"]),
            [`${EXCHANGE_ONLINE_DOD}/.default`, `${EXCHANGE_ONLINE_GCC_HIGH}/.default`],
        );
    });
    it("the sign-in host and resource follow the cloud unless a flag says otherwise", async () => {
        const { signInEndpoints } = await import("../tools/lib/verify/command.mts");
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
        const appId = crypto.randomUUID();
        const outputs = scratchFile(
            "outputs.json",
            JSON.stringify(
                stackOutputs({
                    appId,
                    tenantId: TENANT,
                    certificate: sharedCertificate(),
                    roles: [EXCHANGE_ADMINISTRATOR],
                    cloud: "gcc-high",
                }),
            ),
        );
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
        const outputs = stackOutputs({
            appId: crypto.randomUUID(),
            tenantId: TENANT,
            certificate: sharedCertificate(),
            roles: [EXCHANGE_ADMINISTRATOR],
            cloud: "usgov",
        });
        assertOneLineError(
            await run(["--outputs-file", scratchFile("outputs.json", JSON.stringify(outputs))]),
            /output cloud should be one of global, gcc-high, dod, china \(got "usgov"\)/,
        );
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

describe("nothing secret is printed", () => {
    it("was checked after every run, with tokens and assertions to look for", () => {
        assert.ok(runsChecked >= 40, `only ${runsChecked} runs checked`);
        assert.ok(endpoint.issued.length >= 10 && endpoint.assertions.length >= 20);
    });
});
