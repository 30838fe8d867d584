/**
 * npm run verify, the command: flags in, report out. It reads the stack's outputs, picks the sign-in
 * (the stack's certificate, a workload's federated token, or one of its managed identities), takes the
 * sign-in host and Exchange Online's resource from the stack's cloud, and runs the retry loop with the
 * checks and explanations that sign-in needs. Each part lives in its own module (README.md lists them).
 */
import * as tls from "node:tls";
import { MANAGE_AS_APP_ROLE, SUPPORTED_ROLES, isGuid } from "../../components/microsoft.ts";
import { CLOUDS } from "../../components/clouds.ts";
import type { FederatedCredentialOutput } from "../../components/outputs.ts";
import { printable, show } from "../../components/redaction.ts";
import { UserError, refuseSharedPath, stackName } from "../shared/cli.mts";
import { readOutputs } from "../shared/stackOutputs.mts";
import { type FederatedJudgement, type TokenExpectation, checkFederatedToken, checkLocally } from "./checks.mts";
import { httpsOrigin, requestAppToken } from "./entra.mts";
import {
    type SignInContext,
    explainEntraError,
    explainIdentityError,
    identityEndpointUnreachable,
    signInHost,
    unreachable,
} from "./entraErrors.mts";
import { type AskExchange, askExchange } from "./exchange.mts";
import { type FederatedToken, type GitHubOidc, federatedTokenFromFile, gitHubOidc, requestGitHubToken } from "./federatedToken.mts";
import { PFX_PASSWORD_VARIABLE } from "../shared/secrets.mts";
import { type KeyMaterial, keyFromFile, keyFromOutput } from "./keyFiles.mts";
import { identityEndpoint, requestManagedIdentityToken } from "./identityToken.mts";
import {
    type Cause,
    type EntraError,
    type Judgement,
    type NetworkFailure,
    type Report,
    type Subject,
    type TokenOutcome,
    type Progress,
    formatDuration,
} from "./outcome.mts";
import { oneLine } from "./report.mts";
import { DEFAULT_FIRST_DELAY_MS, DEFAULT_MAX_WAIT_MS, MAX_DELAY_MS, parseDuration, retryUntilVerified } from "./retry.mts";
import { STACK_NEEDS, type ActiveCertificate, type StackFacts, stackFacts } from "./stackFacts.mts";
import { networkTrust, refuseTlsOff } from "./trust.mts";

/** How many certificates Node loaded from NODE_EXTRA_CA_CERTS, where Node can say (22.15, 23.10 and later). */
function extraCertificateCount(): number | undefined {
    const get = (tls as { getCACertificates?: (type: string) => readonly string[] }).getCACertificates;
    return typeof get === "function" ? get("extra").length : undefined;
}

/** The flags as node:util parseArgs returns them. */
export interface VerifyFlags {
    readonly stack?: string | undefined;
    readonly "outputs-file"?: string | undefined;
    readonly "key-file"?: string | undefined;
    readonly federated?: boolean | undefined;
    readonly "federated-token-file"?: string | undefined;
    readonly "managed-identity"?: string | undefined;
    readonly "max-wait"?: string | undefined;
    readonly "first-delay"?: string | undefined;
    readonly "authority-host"?: string | undefined;
    readonly resource?: string | undefined;
    readonly "accept-extra-privilege"?: readonly string[] | undefined;
    readonly "token-only"?: boolean | undefined;
    readonly "exchange-host"?: string | undefined;
    readonly "compliance-host"?: string | undefined;
}

/** How this run signs in, as the flags chose it. */
export type SignInChoice =
    /** The default: the stack's certificate, its key from the outputs or keyFile. */
    | { readonly kind: "certificate"; readonly keyFile: string | undefined; readonly pfxPassword: string | undefined }
    /** The workload's token from a file, or from GitHub Actions. */
    | { readonly kind: "federated"; readonly tokenFile: string }
    | { readonly kind: "federated"; readonly gitHub: GitHubOidc }
    | { readonly kind: "managed-identity"; readonly name: string };

/** A run of verify, every value checked. */
export interface VerifyRequest {
    /** With outputsFile only a label; alone, the stack whose outputs the Pulumi CLI prints. */
    readonly stack: string | undefined;
    readonly outputsFile: string | undefined;
    readonly signIn: SignInChoice;
    /** --authority-host; otherwise the stack's cloud's. */
    readonly authorityHost: string | undefined;
    /** --resource; otherwise the stack's cloud's. */
    readonly resource: string | undefined;
    readonly maxWaitMs: number;
    readonly firstDelayMs: number;
    /** --accept-extra-privilege: template ids (lower case), role names and permission values not to count as extra. */
    readonly acceptedExtras: readonly string[];
    /** --token-only: stop at the token; Exchange is not asked. */
    readonly tokenOnly: boolean;
    /** --exchange-host; otherwise the stack's cloud's Exchange Online host. */
    readonly exchangeHost: string | undefined;
    /** --compliance-host; otherwise the stack's cloud's Security & Compliance host, and the tenant's own one it names. */
    readonly complianceHost: string | undefined;
    /** The environment: GitHub Actions' and the identity endpoint's variables. */
    readonly env: Readonly<Record<string, string | undefined>>;
}

/** Checks the flags; a UserError names the first one that is wrong. */
export function verifyRequest(flags: VerifyFlags, env: Readonly<Record<string, string | undefined>>): VerifyRequest {
    refuseTlsOff(env);
    const outputsFile = flags["outputs-file"];
    if (flags.stack === undefined && outputsFile === undefined) {
        throw new UserError("say which stack: --stack <name> or --outputs-file <file|->");
    }
    const firstDelayMs = duration("--first-delay", flags["first-delay"], DEFAULT_FIRST_DELAY_MS);
    if (firstDelayMs === 0 || firstDelayMs > MAX_DELAY_MS) {
        throw new UserError(
            `--first-delay must be more than 0 and at most ${formatDuration(MAX_DELAY_MS)} (the longest wait between attempts)`,
        );
    }
    const authorityHost = flags["authority-host"];
    const resource = flags.resource;
    return {
        stack: flags.stack === undefined ? undefined : stackName(flags.stack),
        outputsFile,
        signIn: signInChoice(flags, env),
        authorityHost:
            authorityHost === undefined ? undefined : httpsOrigin("--authority-host", authorityHost, CLOUDS.global.authorityHost),
        resource: resource === undefined ? undefined : httpsOrigin("--resource", resource, CLOUDS.global.exchangeResource),
        maxWaitMs: duration("--max-wait", flags["max-wait"], DEFAULT_MAX_WAIT_MS),
        firstDelayMs,
        acceptedExtras: (flags["accept-extra-privilege"] ?? []).map(acceptedExtra),
        tokenOnly: flags["token-only"] === true,
        exchangeHost: hostFlag("--exchange-host", flags["exchange-host"], CLOUDS.global.exchangeResource),
        complianceHost: hostFlag("--compliance-host", flags["compliance-host"], CLOUDS.global.complianceResource),
        env,
    };
}

/** One sign-in: --key-file (certificate), --federated / --federated-token-file, or --managed-identity. */
function signInChoice(flags: VerifyFlags, env: Readonly<Record<string, string | undefined>>): SignInChoice {
    const keyFile = flags["key-file"];
    const tokenFile = flags["federated-token-file"];
    const identity = flags["managed-identity"];
    const named = (entries: [string, boolean][]) => entries.filter(([, given]) => given).map(([flag]) => flag);
    const chosen = named([
        ["--key-file", keyFile !== undefined],
        [tokenFile !== undefined ? "--federated-token-file" : "--federated", tokenFile !== undefined || flags.federated === true],
        ["--managed-identity", identity !== undefined],
    ]);
    if (chosen.length > 1) {
        throw new UserError(`${chosen.join(" and ")} choose different sign-ins (certificate, federated token, managed identity): pass one`);
    }
    const readers = named([
        ["--outputs-file", flags["outputs-file"] === "-"],
        ["--key-file", keyFile === "-"],
        ["--federated-token-file", tokenFile === "-"],
    ]);
    if (readers.length > 1) throw new UserError(`${readers.join(" and ")} cannot both read standard input: pass one of them as a file`);
    // Before the outputs are read: a file another account can change is no proof of anything.
    for (const [option, file] of [
        ["--outputs-file", flags["outputs-file"]],
        ["--key-file", keyFile],
        ["--federated-token-file", tokenFile],
    ] as const) {
        if (file !== undefined && file !== "-") refuseSharedPath(file, `${option} ${file}`);
    }
    if (identity !== undefined) {
        if (identity === "") throw new UserError("--managed-identity takes the name of one of the stack's managed identities");
        return { kind: "managed-identity", name: identity };
    }
    if (tokenFile !== undefined) return { kind: "federated", tokenFile };
    if (flags.federated === true) return { kind: "federated", gitHub: gitHubOidc(env) };
    return { kind: "certificate", keyFile, pfxPassword: env[PFX_PASSWORD_VARIABLE] };
}

function hostFlag(flag: string, value: string | undefined, example: string): string | undefined {
    return value === undefined ? undefined : httpsOrigin(flag, value, example);
}

/** One --accept-extra-privilege value: a directory role's template id or portal name, or an application permission's value. */
function acceptedExtra(value: string): string {
    if (isGuid(value.toLowerCase())) return value.toLowerCase();
    if (SUPPORTED_ROLES.some((r) => r.name === value)) return value;
    if (value === MANAGE_AS_APP_ROLE)
        throw new UserError(`--accept-extra-privilege ${MANAGE_AS_APP_ROLE}: that is what the stack grants, not extra`);
    if (/^[A-Za-z][A-Za-z0-9_.-]{0,119}$/.test(value)) return value;
    throw new UserError(
        `--accept-extra-privilege takes a directory role's template id or name (${SUPPORTED_ROLES.map((r) => r.name).join(", ")}) ` +
            `or a permission's value such as full_access_as_app (got ${show(value)})`,
    );
}

function duration(flag: string, text: string | undefined, fallback: number): number {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
        throw new UserError(`${flag} takes a duration such as 30s, 15m, 1h or 500ms (got ${JSON.stringify(text.slice(0, 40))})`);
    }
    return ms;
}

export interface VerifyHooks {
    readonly onProgress?: (p: Progress) => void;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
}

/** Where to sign in and what to ask for. */
export interface SignInEndpoints {
    readonly authorityHost: string;
    readonly resource: string;
    /** authorityHost is --authority-host's (the fixes then name the flag, and only then). */
    readonly authorityFromFlag: boolean;
}

/** Where to sign in and what to ask for: the flags, else the stack's cloud (components/microsoft.ts CLOUDS). */
export function signInEndpoints(facts: Pick<StackFacts, "cloud">, req: Pick<VerifyRequest, "authorityHost" | "resource">): SignInEndpoints {
    const cloud = CLOUDS[facts.cloud];
    return {
        authorityHost: req.authorityHost ?? cloud.authorityHost,
        resource: req.resource ?? cloud.exchangeResource,
        authorityFromFlag: req.authorityHost !== undefined,
    };
}

/**
 * One way of signing in, with what the loop needs from it: the certificate, a federated token and a
 * managed identity are each one of these, sharing the loop, the token checks and the rendering.
 */
interface SignIn {
    /** Who was checked; called after the loop, when a federated token has named its credential. */
    readonly subject: () => Subject;
    readonly context: SignInContext;
    readonly expect: TokenExpectation;
    readonly checkLocally: (now: Date) => Judgement | Promise<Judgement>;
    /** Asks for a token for `resource` (Exchange Online's, or Security & Compliance's). */
    readonly requestToken: (resource: string) => Promise<TokenOutcome>;
    readonly explain: (error: EntraError) => Cause;
    readonly explainUnreachable?: (failure: NetworkFailure, retryable: boolean) => Cause;
}

/** Reads the stack and what the sign-in needs, then signs in until the token passes or a cause is final. */
export async function verifyStack(req: VerifyRequest, hooks: VerifyHooks = {}): Promise<Report> {
    const choice = req.signIn;
    // Only the certificate's key is secret in the outputs: the CLI is asked to reveal secrets for it alone.
    const secrets = choice.kind === "certificate" && choice.keyFile === undefined;
    const outputs = await readOutputs({ stack: req.stack, outputsFile: req.outputsFile, secrets }, STACK_NEEDS);
    const facts = stackFacts(outputs);
    const endpoints = signInEndpoints(facts, req);
    let signIn: SignIn;
    switch (choice.kind) {
        case "certificate": {
            const certificate = certificateOf(facts);
            signIn = certificateSignIn(req, facts, endpoints, certificate, await signingKey(choice, certificate, facts.home));
            break;
        }
        case "federated": {
            const credentials = federatedCredentialsOf(facts);
            const source = "tokenFile" in choice ? await federatedTokenFromFile(choice.tokenFile) : choice.gitHub;
            signIn = federatedSignIn(req, facts, endpoints, facts.appId!, credentials, source);
            break;
        }
        case "managed-identity":
            signIn = managedIdentitySignIn(req, facts, endpoints, choice.name);
            break;
    }
    const ask: AskExchange = {
        tenantId: facts.tenantId,
        organization: facts.organization,
        cloud: facts.cloud,
        exchangeHost: req.exchangeHost,
        complianceHost: req.complianceHost,
        complianceShell: facts.complianceShell,
        appId: choice.kind === "managed-identity" ? undefined : facts.appId,
        managedIdentity: choice.kind === "managed-identity" ? facts.managedIdentities.find((m) => m.name === choice.name) : undefined,
        complianceToken: (resource) => signIn.requestToken(resource),
        explainToken: (outcome) =>
            outcome.kind === "entra"
                ? signIn.explain(outcome.error)
                : (signIn.explainUnreachable ?? ((f, r) => unreachable(f, signIn.context, r)))(outcome, false),
    };
    const askService = req.tokenOnly ? undefined : (token: string) => askExchange(ask, token);
    const verdict = await retryUntilVerified({
        ...signIn,
        requestToken: () => signIn.requestToken(endpoints.resource),
        ...(askService ? { askService } : {}),
        maxWaitMs: req.maxWaitMs,
        firstDelayMs: req.firstDelayMs,
        ...hooks,
    });
    return { ...verdict, subject: signIn.subject(), network: networkTrust(req.env, process.execArgv, extraCertificateCount()) };
}

/** The stack's certificate, or a one-line account of the sign-ins the stack does have. */
function certificateOf(facts: StackFacts): ActiveCertificate {
    if (facts.appId !== undefined && facts.certificate !== undefined) return facts.certificate;
    throw new UserError(
        `${facts.appId === undefined ? "the stack has no application" : "the stack has no certificate"}, so verify cannot sign in as it by default; ${modes(facts)}`,
    );
}

/** What a stack without a certificate signs in with, and the flag for each: one line. */
function modes(facts: StackFacts): string {
    const parts: string[] = [];
    const names = (list: readonly { name: string }[]) =>
        list
            .slice(0, 5)
            .map((x) => show(x.name))
            .join(", ") + (list.length > 5 ? ` and ${list.length - 5} more` : "");
    if (facts.appId !== undefined && facts.federatedCredentials.length > 0) {
        parts.push(
            `its application signs in with federated credentials (${names(facts.federatedCredentials)}): pass --federated-token-file <file> ` +
                "with the workload's token, or --federated in a GitHub Actions job with `permissions: id-token: write`",
        );
    }
    if (facts.managedIdentities.length > 0) {
        parts.push(
            `managed identities (${names(facts.managedIdentities)}) sign in on the Azure resources they are assigned to: pass --managed-identity <name> there`,
        );
    }
    return parts.length > 0 ? parts.join("; ") : "its outputs list no federated credential and no managed identity either";
}

/** The key from --key-file, else the stack's own (self-signed stacks; a customer stack's is its home's). */
async function signingKey(
    choice: { keyFile: string | undefined; pfxPassword: string | undefined },
    certificate: ActiveCertificate,
    home: string | undefined,
): Promise<KeyMaterial> {
    if (choice.keyFile !== undefined) return keyFromFile(choice.keyFile, choice.pfxPassword);
    if (certificate.privateKeyPem !== undefined) return keyFromOutput(certificate.privateKeyPem);
    if (home !== undefined) {
        throw new UserError(
            `this is a customer stack: its application's key is the home stack's (${printable(home)}). Export it there ` +
                `(npm run export-cert -- --stack ${printable(home)}) and pass it with --key-file <key.pem|cert.pfx> (PFX password in ${PFX_PASSWORD_VARIABLE})`,
        );
    }
    throw new UserError(
        "the stack has no privateKeyPem output: it brings its own certificate, so pass its private key with " +
            `--key-file <key.pem|cert.pfx> (PFX password in ${PFX_PASSWORD_VARIABLE})`,
    );
}

function entraContext(facts: StackFacts, endpoints: SignInEndpoints, thumbprint?: string): SignInContext {
    return {
        appId: facts.appId,
        tenantId: facts.tenantId,
        thumbprint,
        authorityHost: endpoints.authorityHost,
        authorityFromFlag: endpoints.authorityFromFlag,
        cloud: facts.cloud,
        resource: endpoints.resource,
        tokenService: "Entra",
        tokenAddress: endpoints.authorityHost,
    };
}

/** What the token must carry, whoever signs in; `clientId` is who it must be issued to (undefined: a system-assigned identity). */
function tokenExpectation(
    req: VerifyRequest,
    facts: StackFacts,
    endpoints: SignInEndpoints,
    clientId: string | undefined,
): TokenExpectation {
    return {
        resource: endpoints.resource,
        cloud: facts.cloud,
        tenantId: facts.tenantId,
        directoryRoles: facts.directoryRoles,
        clientId,
        acceptedExtras: req.acceptedExtras,
    };
}

function subjectOf(req: VerifyRequest, facts: StackFacts, extra: Partial<Subject> & Pick<Subject, "mode">): Subject {
    return {
        stack: req.stack,
        cloud: facts.cloud,
        appId: facts.appId,
        tenantId: facts.tenantId,
        organization: facts.organization,
        thumbprint: undefined,
        ...extra,
    };
}

/** The application signs in with the stack's certificate: a client assertion signed with its key. */
function certificateSignIn(
    req: VerifyRequest,
    facts: StackFacts,
    endpoints: SignInEndpoints,
    certificate: ActiveCertificate,
    key: KeyMaterial,
): SignIn {
    const context = entraContext(facts, endpoints, certificate.thumbprint);
    return {
        subject: () => subjectOf(req, facts, { mode: "certificate", thumbprint: certificate.thumbprint }),
        context,
        expect: { ...tokenExpectation(req, facts, endpoints, facts.appId), signInHost: signInHost(context) },
        checkLocally: (now) => checkLocally(certificate, key, now),
        requestToken: (resource) =>
            requestAppToken({
                authorityHost: endpoints.authorityHost,
                resource,
                tenantId: facts.tenantId,
                clientId: facts.appId!,
                credential: {
                    kind: "certificate",
                    certificate: certificate.certificate,
                    certificatePem: certificate.certificatePem,
                    key: key.key,
                },
            }),
        explain: (e) => explainEntraError(e, context),
    };
}

/**
 * The application signs in with the workload's federated token as its client assertion. From a file the
 * one token is sent on every attempt; from GitHub Actions each attempt asks for a fresh one, with the
 * audience of the stack's credential (all of them share it unless configured otherwise).
 */
/** The application's federated credentials, or a one-line account of the sign-ins the stack does have. */
function federatedCredentialsOf(facts: StackFacts): readonly FederatedCredentialOutput[] {
    if (facts.appId === undefined) {
        throw new UserError(`the stack has no application, so no federated credential; ${modes(facts)}`);
    }
    if (facts.federatedCredentials.length === 0) {
        throw new UserError(
            `the stack's application has no federated credentials (exo-cba:federatedCredentials), so a federated token cannot sign in as it; ${modes(facts)}`,
        );
    }
    return facts.federatedCredentials;
}

function federatedSignIn(
    req: VerifyRequest,
    facts: StackFacts,
    endpoints: SignInEndpoints,
    appId: string,
    credentials: readonly FederatedCredentialOutput[],
    source: FederatedToken | GitHubOidc,
): SignIn {
    const gitHub = "requestUrl" in source ? source : undefined;
    const audience = gitHub ? federatedAudience(credentials) : undefined;
    let pending: FederatedToken | undefined = gitHub ? undefined : (source as FederatedToken);
    let matched: FederatedJudgement["credential"];
    const context = (): SignInContext => ({ ...entraContext(facts, endpoints), federated: matched });
    const nextToken = async (): Promise<FederatedToken | NetworkFailure> => (gitHub ? requestGitHubToken(gitHub, audience!) : pending!);
    return {
        subject: () => subjectOf(req, facts, { mode: "federated", ...(matched ? { federatedCredential: matched } : {}) }),
        context: context(),
        expect: { ...tokenExpectation(req, facts, endpoints, appId), signInHost: signInHost(context()) },
        checkLocally: async (now) => {
            const token = await nextToken();
            if ("kind" in token) {
                return {
                    checks: [{ name: "federated token", status: "fail", detail: `none: ${token.message}` }],
                    cause: unreachable(token, context(), false),
                };
            }
            pending = token;
            const judged = checkFederatedToken(token.claims, credentials, now);
            matched = judged.credential;
            return judged;
        },
        requestToken: async (resource) => {
            // The first attempt sends the token the local checks read; from GitHub, later ones ask for a new one.
            const token = gitHub && pending === undefined ? await nextToken() : pending!;
            if (gitHub) pending = undefined;
            if ("kind" in token) return token;
            return requestAppToken({
                authorityHost: endpoints.authorityHost,
                resource,
                tenantId: facts.tenantId,
                clientId: appId,
                credential: { kind: "assertion", assertion: token.token },
            });
        },
        explain: (e) => explainEntraError(e, context()),
        explainUnreachable: (failure, retryable) => unreachable(failure, context(), retryable),
    };
}

/** The audience to ask GitHub for: the one the stack's federated credentials share. */
function federatedAudience(credentials: readonly FederatedCredentialOutput[]): string {
    const audiences = [...new Set(credentials.map((f) => f.audience))];
    if (audiences.length === 1) return audiences[0];
    throw new UserError(
        `the stack's federated credentials expect different audiences (${audiences.map((a) => show(a)).join(", ")}), so --federated ` +
            "cannot tell which to ask GitHub for: get the token with the right audience and pass it with --federated-token-file",
    );
}

/**
 * A managed identity signs in on this host: its token from the identity endpoint (user-assigned by its
 * client id, system-assigned otherwise), checked to be that identity's by its object id.
 */
function managedIdentitySignIn(req: VerifyRequest, facts: StackFacts, endpoints: SignInEndpoints, name: string): SignIn {
    const identity = facts.managedIdentities.find((m) => m.name === name);
    if (identity === undefined) {
        const known = facts.managedIdentities.map((m) => show(m.name)).join(", ");
        throw new UserError(
            `the stack has no managed identity named ${show(name)}; ${known ? `its managed identities: ${known}` : "its outputs list none (exo-cba:managedIdentities)"}`,
        );
    }
    const endpoint = identityEndpoint(req.env);
    const context: SignInContext = {
        ...entraContext(facts, endpoints),
        appId: undefined,
        managedIdentity: identity,
        tokenService: "the identity endpoint",
        tokenAddress: endpoint.url,
    };
    return {
        subject: () => subjectOf(req, facts, { mode: "managed-identity", appId: undefined, managedIdentity: identity }),
        context,
        expect: { ...tokenExpectation(req, facts, endpoints, identity.clientId), managedIdentity: identity },
        checkLocally: () => ({
            checks: [
                {
                    name: "identity endpoint",
                    status: "pass",
                    detail: `${endpoint.source} at ${oneLine(endpoint.url, 200)}${identity.clientId === undefined ? ", system-assigned identity" : `, client id ${identity.clientId}`}`,
                },
            ],
        }),
        requestToken: (resource) => requestManagedIdentityToken({ endpoint, resource, clientId: identity.clientId }),
        explain: (e) => explainIdentityError(e, context),
        explainUnreachable: (failure, retryable) => identityEndpointUnreachable(failure, context, retryable),
    };
}
