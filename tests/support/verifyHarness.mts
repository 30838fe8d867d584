/**
 * The verify tests' common ground: local stand-ins for Entra's token endpoint (HTTPS, trusted through
 * NODE_EXTRA_CA_CERTS), a workload's OIDC issuer with GitHub Actions' token request endpoint, and an Azure
 * resource's managed identity endpoint (IMDS and App Service shapes), started once in each test file's
 * process; the real CLI run against them, each run its own process (msal-node keeps its managed identity
 * source for the process), and checked for anything secret or any control character it printed; deployed
 * stacks as outputs files. Microsoft's ids, hosts and resources are typed here from its documentation, never
 * taken from the program; thumbprints and dates come from openssl. Certificates and tokens are dated from
 * the instant each test runs, so the suite holds on any day (and under faketime).
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type MadeCertificate, makeCertificate } from "./certificates.mts";
import { type IdentityEndpoint, startIdentityEndpoint } from "./identityEndpoint.mts";
import { type ExchangeApplication, type ExchangeEndpoint, startExchangeEndpoint } from "./exchangeEndpoint.mts";
import { type FederatedRegistration, JWT_BEARER, type Registration, type TokenEndpoint, startTokenEndpoint } from "./tokenEndpoint.mts";
import { type Issuer, startIssuer } from "./verifyIssuer.mts";
import {
    type DirectoryRole,
    type FederatedCredentialSpec,
    type ManagedIdentitySpec,
    type VerifyRun,
    runVerify,
    scratchFile,
    stackOutputs,
} from "./verifyStack.mts";

// https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
export const EXCHANGE_ADMINISTRATOR: DirectoryRole = { name: "Exchange Administrator", templateId: "29232cdf-9323-42fd-ade2-1d097af3e4de" };
export const GLOBAL_READER: DirectoryRole = { name: "Global Reader", templateId: "f2ef992c-3afb-46b9-b7cf-a126ee74c451" };
// https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2
export const EXCHANGE_ONLINE = "https://outlook.office365.com";
export const EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";
// Exchange Online in GCC High and DoD: CISA ScubaGear EXORestHelper.psm1, Microsoft CSS-Exchange
// Get-CloudServiceEndpoint.ps1 (DoD disputed: maester uses outlook.office365.us).
export const EXCHANGE_ONLINE_GCC_HIGH = "https://outlook.office365.us";
export const EXCHANGE_ONLINE_DOD = "https://outlook-dod.office365.us";
// Security & Compliance PowerShell's resource (Connect-IPPSSession -AccessToken; CIPP New-ExoRequest.ps1).
export const COMPLIANCE = "https://ps.compliance.protection.outlook.com";
/** The organization the Exchange stand-in serves for TENANT: what Get-OrganizationConfig answers. */
export const ORGANIZATION = "contoso.onmicrosoft.com";
// The audience Entra expects in a federated token (learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust),
// and in the US Government clouds (…/workload-identity-federation-config-app-trust-managed-identity).
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const TOKEN_EXCHANGE_AUDIENCE_US_GOV = "api://AzureADTokenExchangeUSGov";
// A GitHub Actions job's subject when it names an environment (docs.github.com/actions/reference/security/oidc).
export const GITHUB_SUBJECT = "repo:contoso/exchange-reports:environment:production";

/**
 * A wid Entra puts in every app-only token, whatever roles the service principal holds: no role in the
 * permissions reference has this template id (public app-only token samples all show it). Stand-in tokens
 * carry it too, as real ones do; it is no privilege.
 */
export const APP_ONLY_WID = "0997a1d0-0d1d-4acb-b408-d5ca73121e90";

export const TENANT = "6f1d4c2a-8b3e-4f5a-9c7d-1e2f3a4b5c6d";
export const UNKNOWN_TENANT = "0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f";
export const PFX_PASSWORD = "pfx-Pa55-7f3e9c1d";
// Latin-1, CJK and a character outside the BMP (a surrogate pair in UTF-16): every PKCS#12 encoding differs.
export const UNICODE_PFX_PASSWORD = "Pässwörd-証明書-🔑-7f3e";

/**
 * Terminal control characters: C0 except newline, C1, DEL, and the bidirectional overrides that
 * reorder what is shown (ECMA-48; Unicode TR 9). None may reach the terminal from verify.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** A compact JWS: base64url JSON header and payload ('{"' encodes as eyJ). */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

export let endpoint: TokenEndpoint;
export let issuer: Issuer;
export let identity: IdentityEndpoint;
export let exchange: ExchangeEndpoint;
/** Private keys and passwords the tests handed to the CLI, and tokens planted in answers: none may ever be printed. */
const privateKeys: string[] = [];
export const planted: string[] = [];
let runsChecked = 0;

before(async () => {
    endpoint = await startTokenEndpoint({
        tenants: [TENANT],
        resources: [EXCHANGE_ONLINE, EXCHANGE_ONLINE_GCC_HIGH, EXCHANGE_ONLINE_DOD, COMPLIANCE],
    });
    issuer = await startIssuer({ tls: endpoint.tls, gitHubSubject: GITHUB_SUBJECT });
    identity = await startIdentityEndpoint({ tenantId: TENANT, resources: [EXCHANGE_ONLINE, EXCHANGE_ONLINE_GCC_HIGH] });
    exchange = await startExchangeEndpoint({
        tls: endpoint.tls,
        trustedKeys: [endpoint.signingKey, identity.signingKey],
        organizations: [{ tenantId: TENANT, name: ORGANIZATION, displayName: "Contoso", complianceLabel: "eur02b" }],
        // Exchange Online accepts its application id as audience too, as verify does.
        exchangeResources: [EXCHANGE_ONLINE, EXCHANGE_ONLINE_GCC_HIGH, EXCHANGE_ONLINE_DOD, EXCHANGE_ONLINE_APP_ID],
        complianceResources: [COMPLIANCE],
    });
});
after(async () => {
    await endpoint.close();
    await issuer.close();
    await identity.close();
    await exchange.close();
});

/** A client-credentials token request for Exchange Online to the stand-in endpoint, signed in with `assertion`. */
export function requestToken(clientId: string, assertion: string) {
    return endpoint.post(`/${TENANT}/oauth2/v2.0/token`, {
        grant_type: "client_credentials",
        client_id: clientId,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
        scope: `${EXCHANGE_ONLINE}/.default`,
    });
}

/** verify with the stack's outputs and a federated token the stand-in issuer signs with `claims`. */
export function withToken(outputsFile: string, claims: Parameters<Issuer["sign"]>[0]): Promise<VerifyRun> {
    return run(["--outputs-file", outputsFile, "--federated-token-file", scratchFile("t", issuer.sign(claims))]);
}

/** A certificate valid from a day before `now` for 30 days; `freshKey` gives it a key no other certificate has. */
export function certificate(o: { now?: Date; fromDays?: number; toDays?: number; freshKey?: boolean; key?: "ec" } = {}): MadeCertificate {
    const c = makeCertificate({ now: o.now ?? new Date(), cn: "EXO Reporting Script", ...o });
    privateKeys.push(c.keyPem);
    return c;
}

// Stacks share a certificate unless a test needs another (every stack has its own application, so
// Entra tells them apart by client id).
let shared: MadeCertificate | undefined;
export function sharedCertificate(): MadeCertificate {
    shared ??= certificate();
    return shared;
}

interface Deployed {
    readonly appId: string;
    readonly certificate: MadeCertificate;
    readonly outputsFile: string;
}

/** A deployed stack: outputs written to a file, and its application registered at the endpoint. */
export function deploy(
    o: {
        roles?: DirectoryRole[];
        byo?: boolean;
        certificate?: MadeCertificate;
        privateKeyPem?: string;
        /** Certificates Entra has for the app; default the stack's own. */
        registered?: MadeCertificate[];
        tenantId?: string;
        /** The stack's cloud output; left out, the stack has none (a stack from before clouds: worldwide). */
        cloud?: string;
        register?: Partial<Pick<Registration, "unknownForFirst" | "claims" | "answer">>;
        /** How Exchange's admin API treats the application. */
        exchange?: Omit<ExchangeApplication, "appId">;
        /** The organization output. */
        organization?: string;
        /** The stack offers Connect-IPPSSession. */
        compliance?: boolean;
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
        claims: (n) => ({ wids: [APP_ONLY_WID, ...roles.map((r) => r.templateId)], ...o.register?.claims?.(n) }),
    });
    exchange.register({ appId, ...o.exchange });
    const outputs = stackOutputs({
        appId,
        tenantId: o.tenantId ?? TENANT,
        certificate: cert,
        roles,
        ...(o.byo ? { byo: true } : {}),
        ...(o.privateKeyPem ? { privateKeyPem: o.privateKeyPem } : {}),
        ...(o.cloud ? { cloud: o.cloud } : {}),
        ...(o.organization ? { organization: o.organization } : {}),
        ...(o.compliance ? { compliance: true } : {}),
    });
    return { appId, certificate: cert, outputsFile: scratchFile("outputs.json", JSON.stringify(outputs, null, 2)) };
}

/**
 * Runs the CLI against the endpoint, then checks that nothing secret and no control character was printed.
 * A flag may be given once: one the test passes itself replaces the default here, and `cloudAuthority`
 * leaves --authority-host out, so the stack's cloud's sign-in host is used.
 */
export async function run(
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
        ["--exchange-host", exchange.exchangeOrigin],
        ["--compliance-host", exchange.complianceOrigin],
        ["--first-delay", "20ms"],
        ["--max-wait", o.maxWait ?? "0"],
    ];
    const given = defaults.filter(
        ([flag]) =>
            !args.includes(flag) &&
            !(flag === "--authority-host" && o.cloudAuthority) &&
            !(flag.endsWith("-host") && flag !== "--authority-host" && args.includes("--token-only")),
    );
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
export function row(stdout: string, status: "PASS" | "FAIL" | "SKIP", name: string): RegExpExecArray {
    // Two spaces at least after the name: "identity" is not "identity endpoint".
    const m = new RegExp(`^  ${status}  ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}  +(.*)$`, "m").exec(stdout);
    assert.ok(m, `no ${status} row for ${name} in:\n${stdout}`);
    return m;
}

export function requestsOf(appId: string) {
    return endpoint.received.filter((r) => r.form["client_id"] === appId);
}

/**
 * What tells msal-node which identity endpoint a host has, and GitHub Actions' token request: unset in
 * every run unless a test sets them, whatever the machine running the tests has.
 */
export const HOST_IDENTITY_UNSET: Record<string, undefined> = {
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
export function assertOneLineError(r: VerifyRun, message: RegExp): void {
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], message);
}

/**
 * A run that Entra refused twice with `aadsts` (not replicated yet) and then let sign in: exit 0, those three
 * requests, and one progress line on stderr for each refusal, which it returns.
 */
export function passedOnThirdAttempt(r: VerifyRun, appId: string, aadsts: number): string[] {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
        requestsOf(appId).map((q) => q.aadsts ?? q.status),
        [aadsts, aadsts, 200],
    );
    const progress = r.stderr.trim().split("\n");
    assert.equal(progress.length, 2, r.stderr);
    return progress;
}

/** A stack whose application signs in with federated credentials; Entra (the endpoint) has `registered`, by default the same. */
export function deployFederated(
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
        claims: (n) => ({ wids: [APP_ONLY_WID, ...roles.map((r) => r.templateId)], ...o.claims?.(n) }),
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
export function deployIdentities(identities: ManagedIdentitySpec[], o: { roles?: DirectoryRole[]; cloud?: string } = {}): string {
    const outputs = stackOutputs({
        tenantId: TENANT,
        roles: o.roles ?? [EXCHANGE_ADMINISTRATOR],
        managedIdentities: identities,
        ...(o.cloud ? { cloud: o.cloud } : {}),
    });
    return scratchFile("outputs.json", JSON.stringify(outputs, null, 2));
}

/** An identity assigned to the stand-in host, its tokens carrying `roles` (default Exchange Administrator) as wids. */
export function assignIdentity(o: {
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
        claims: (n) => ({ wids: [APP_ONLY_WID, ...roles.map((r) => r.templateId)], ...o.claims?.(n) }),
    });
}

/** The identity endpoint's requests since `from`. */
export function identityRequestsSince(from: number) {
    return identity.received.slice(from);
}

/** GitHub token requests made by the client under test (not the token endpoint's key fetches). */
export function gitHubRequests() {
    return issuer.received.filter((r) => !r.byTokenEndpoint && r.path.endsWith("/idtoken"));
}

export const gitHubEnv = () => ({
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.gitHub.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.gitHub.requestToken,
});

export function payloadOf(jwt: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}

/**
 * Last in each file: every run went through assertNothingSecret, with at least that many runs, tokens the
 * stand-ins issued and client assertions to look for, so a file whose runs stopped being checked fails.
 */
export function describeNothingSecretPrinted(o: { runs: number; tokens: number; assertions: number }): void {
    describe("nothing secret is printed", () => {
        it("was checked after every run, with tokens and assertions to look for", () => {
            assert.ok(runsChecked >= o.runs, `only ${runsChecked} runs checked`);
            const tokens = endpoint.issued.length + issuer.issued.length + identity.issued.length;
            assert.ok(tokens >= o.tokens, `only ${tokens} tokens issued`);
            assert.ok(endpoint.assertions.length >= o.assertions, `only ${endpoint.assertions.length} client assertions`);
        });
    });
}
