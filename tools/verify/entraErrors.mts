/**
 * npm run verify, the catalogue: what each answer from the token service means for this application or
 * identity, whether waiting can fix it, and what to do. Entra's error numbers are listed at
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes; everything here is wording,
 * no I/O. Server texts arrive already made safe to print (entra.mts); names from the outputs and claims
 * from a token pass through oneLine() here.
 */
import { CLOUDS, type CloudName } from "../../components/clouds.ts";
import type { FederatedCredentialOutput } from "../../components/outputs.ts";
import type { Cause, EntraError, ManagedIdentityFacts, NetworkFailure } from "./outcome.mts";
import { oneLine } from "./report.mts";

/** What the explanations name: who tried to sign in, where. */
export interface SignInContext {
    /** The application; undefined for a managed identity. */
    readonly appId: string | undefined;
    readonly tenantId: string;
    /** The certificate that signed the assertion, when one did. */
    readonly thumbprint: string | undefined;
    /** e.g. https://login.microsoftonline.com */
    readonly authorityHost: string;
    /** authorityHost is --authority-host's; otherwise it is the stack's cloud's. */
    readonly authorityFromFlag: boolean;
    readonly cloud: CloudName;
    /** Exchange Online's resource the token is asked for. */
    readonly resource: string;
    /** Who issues the token, for the report: "Entra", "the identity endpoint". */
    readonly tokenService: string;
    /** Where it is: the authority host, or the identity endpoint's address (no query). */
    readonly tokenAddress: string;
    /** The federated credential the token was matched with (issuer and subject are the token's). */
    readonly federated?: FederatedCredentialOutput | undefined;
    readonly managedIdentity?: ManagedIdentityFacts | undefined;
}

/** Federated credentials that Entra reports by these numbers when the token's issuer, audience or subject matches none. */
const NO_MATCHING_RECORD: Readonly<Record<number, string>> = {
    // learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations ("may fail ... AADSTS70021").
    70021: "issuer, subject and audience",
    // Seen in Entra's answers (Azure/login #482, Azure/azure-workload-identity troubleshooting); not in the error-code list.
    700211: "issuer",
    700212: "audience",
    700213: "subject",
};

/** What an Entra refusal means for this application, and whether waiting can fix it. */
export function explainEntraError(e: EntraError, c: SignInContext): Cause {
    const base = { aadsts: e.aadsts, result: "misconfigured" as const };
    const f = c.federated;
    if (f && e.aadsts !== undefined && NO_MATCHING_RECORD[e.aadsts] !== undefined) {
        return {
            ...base,
            id: "federated-credential-not-found",
            result: "not-propagated",
            retryable: true,
            summary:
                `Entra has no federated credential on application ${c.appId ?? "?"} matching the token's ` +
                `${NO_MATCHING_RECORD[e.aadsts]} (issuer ${oneLine(f.issuer, 200)}, subject ${oneLine(f.subject, 200)}) (AADSTS${e.aadsts}).`,
            why:
                `The stack's credential ${oneLine(f.name, 80)} matches the token, so Entra has not caught up: right after \`pulumi up\` a new ` +
                "federated credential takes minutes to reach every sign-in server (Microsoft: workload identity federation considerations). " +
                "If it persists, the credential was changed or removed outside Pulumi.",
            fix:
                "Wait and run again (--max-wait 30m). If it persists, compare App registrations → the app → Certificates & secrets → " +
                `Federated credentials with the issuer and subject above and audience ${oneLine(f.audience, 120)}; \`pulumi refresh\` then \`pulumi up\` restores the stack's.`,
        };
    }
    switch (e.aadsts) {
        case 700016:
            return {
                ...base,
                id: "application-not-found",
                result: "not-propagated",
                retryable: true,
                summary: `Entra does not know application ${c.appId ?? "?"} in tenant ${c.tenantId} (AADSTS700016).`,
                why:
                    "Right after `pulumi up` a new application takes minutes to reach every sign-in server; after that, it means " +
                    "the application is in another tenant, was deleted, or the outputs belong to another stack.",
                fix:
                    "Wait and run again (--max-wait 30m). If it persists, check App registrations in the tenant for this AppId, " +
                    "and that tenantId in the outputs is that tenant.",
            };
        case 700027:
            return {
                ...base,
                id: "certificate-not-registered",
                summary: `Entra does not accept certificate ${c.thumbprint ?? "(none)"} for application ${c.appId ?? "?"} (AADSTS700027).`,
                why: "The certificate is not (or no longer) a key credential of the application: removed or replaced outside Pulumi, or the outputs are another stack's.",
                fix:
                    "Compare App registrations → the app → Certificates & secrets with the thumbprint above. Run `pulumi refresh` " +
                    "then `pulumi up` to register the stack's certificate again. A credential added within the last minute may " +
                    "still be replicating: run again.",
            };
        case 90002:
            return {
                ...base,
                id: "tenant-not-found",
                summary: `Entra at ${c.authorityHost} does not know tenant ${c.tenantId} (AADSTS90002).`,
                why: "The tenant id is wrong, the tenant was deleted, or it lives in another cloud.",
                fix: c.authorityFromFlag
                    ? `Check tenantId in the outputs, and that ${signInHost(c)} is the sign-in host of the tenant's cloud.`
                    : `Check tenantId in the outputs, and that the stack's cloud (${CLOUDS[c.cloud].title}, sign-in host ` +
                      `${c.authorityHost}) is the tenant's: set exo-cba:cloud, or pass the sign-in host with --authority-host.`,
            };
        case 700024:
            return f
                ? {
                      ...base,
                      id: "federated-token-expired",
                      summary: "Entra says the federated token is outside its valid time range (AADSTS700024).",
                      why:
                          "Workload tokens are valid for minutes (an Azure DevOps idToken about ten), and a token read from a file can expire " +
                          "while verify waits for replication; a clock far off on either side has the same effect.",
                      fix:
                          "Get a fresh token and run verify straight away. In GitHub Actions pass --federated instead of a file: verify then " +
                          "asks GitHub for a new token on every attempt.",
                  }
                : {
                      ...base,
                      id: "clock-skew",
                      summary: "Entra says the client assertion is outside its valid time range (AADSTS700024).",
                      why: "The assertion is stamped with this machine's clock, which is off by more than a few minutes.",
                      fix: "Synchronise this machine's clock (NTP) and run again.",
                  };
        case 7002138:
            return {
                ...base,
                id: "federated-subject-case",
                summary: `Entra's federated credential differs from the token's subject ${oneLine(f?.subject ?? "", 200)} only in letter case (AADSTS7002138).`,
                why: "Entra matches subjects case-sensitively (learn.microsoft.com/entra/identity-platform/reference-breaking-changes); the credential in Entra is not the stack's.",
                fix: "Run `pulumi refresh` then `pulumi up` to restore the stack's credential, or fix the letter case in exo-cba:federatedCredentials.",
            };
        case 7000272:
            return {
                ...base,
                id: "federated-key-not-published",
                summary: `Entra could not find the key that signed the federated token among issuer ${oneLine(f?.issuer ?? "?", 200)}'s published keys (AADSTS7000272).`,
                why: "Entra checks the token's signature with the keys the issuer's OpenID configuration lists; this token was not signed by one of them.",
                fix: "Check that the token really comes from that issuer (a token from another system or a test issuer will not do), and that the issuer publishes its current keys.",
            };
        case 500011:
            return {
                ...base,
                id: "exchange-not-in-tenant",
                summary: `The tenant has no service principal for ${c.resource} (AADSTS500011).`,
                why: "Without an Exchange Online subscription, or in another cloud than the resource's, there is nothing to grant the token for.",
                fix: `License Exchange Online in the tenant, or check the stack's cloud (${CLOUDS[c.cloud].title}).${disputedResource(c)}`,
            };
        case 7000112:
            return {
                ...base,
                id: "application-disabled",
                summary: `Application ${c.appId ?? "?"} is disabled (AADSTS7000112).`,
                why: "A disabled enterprise application cannot sign in.",
                fix: "Entra admin centre → Enterprise applications → the app → Properties → Enabled for users to sign in: Yes.",
            };
        case undefined:
        default:
            return {
                ...base,
                id: "entra-refused",
                summary: `Entra refused the sign-in${e.aadsts ? ` (AADSTS${e.aadsts})` : ""}.`,
                why: `Entra's reason, also on the sign-in line: ${e.description || e.error}`,
                fix: e.aadsts
                    ? `Look the code up at https://login.microsoftonline.com/error?code=${e.aadsts}; the sign-in logs (Enterprise applications → the app → Sign-in logs) have the details.`
                    : "The sign-in logs (Enterprise applications → the app → Sign-in logs) have the details.",
            };
    }
}

/**
 * What a managed identity endpoint's refusal means. Errors Entra made (with an AADSTS number, which
 * IMDS passes on) read as Entra's; the rest are the endpoint's own. HTTP statuses after
 * learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#error-handling
 * ("4xx Error in request ... Don't retry"): IMDS answers 400 "Identity not found" for a user-assigned
 * identity the VM does not have, App Service 400 "No User Assigned or Delegated Managed Identity found".
 */
export function explainIdentityError(e: EntraError, c: SignInContext): Cause {
    if (e.aadsts !== undefined) return explainEntraError(e, c);
    const mi = c.managedIdentity;
    const who = mi ? identityName(mi) : "the identity";
    const said = e.description || e.error || "(no reason given)";
    if (e.status === 400 || e.status === 404) {
        return {
            id: "identity-not-assigned",
            result: "misconfigured",
            summary: `The identity endpoint has no ${who} for this host (HTTP ${e.status}: ${said}).`,
            why:
                "A managed identity signs in only on the Azure resources it is assigned to, and the endpoint answers for those alone: " +
                (mi?.clientId === undefined
                    ? "this resource has no system-assigned identity turned on."
                    : `no identity with client id ${mi.clientId} is assigned to this resource.`),
            fix:
                (mi?.clientId === undefined
                    ? "Turn on the system-assigned identity of the resource this runs on (Identity → System assigned → On), then put its object id in exo-cba:managedIdentities and run pulumi up."
                    : "Assign the identity to this resource (VM or Function app → Identity → User assigned → Add), or run verify on the resource it is assigned to.") +
                " IMDS also answers 404 for a minute while it updates: if the identity is assigned, run again.",
        };
    }
    return {
        id: "identity-endpoint-refused",
        result: "misconfigured",
        summary: `The identity endpoint refused the request (HTTP ${e.status ?? "?"}: ${said}).`,
        why:
            e.status === 401 || e.status === 403
                ? "App Service checks IDENTITY_HEADER against the value it gave this process; a stale or copied value is refused."
                : "The endpoint's own reason is above.",
        fix: "Run verify inside the resource's own environment (a restarted worker gets new IDENTITY_ENDPOINT and IDENTITY_HEADER values).",
    };
}

/**
 * No answer from the token service, or one that is not its own (a redirect, a captive portal's page).
 * Tried again a few times unless `retryable` is false: nothing was learnt about the application.
 */
export function unreachable(failure: NetworkFailure, c: SignInContext, retryable: boolean): Cause {
    const where = failure.service ?? serviceAt(c);
    return {
        id: failure.service === undefined ? "entra-unreachable" : "token-source-unreachable",
        result: "unreachable",
        retryable,
        summary: `Could not reach ${where}: ${failure.message}.`,
        why: "The network, a proxy or the service is in the way; nothing was learnt about the application.",
        fix:
            (failure.service === undefined && c.managedIdentity === undefined
                ? `Check the connection to ${signInHost(c)} and run again.`
                : `Check the connection to ${where} and run again.`) +
            " Behind a proxy, use Node 24 or later and set HTTPS_PROXY and NODE_USE_ENV_PROXY=1 (Node reads proxy variables only then).",
    };
}

/** Connection failures and answers that mean no Azure identity endpoint is on this host. */
const NO_ENDPOINT_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "TIMEOUT", "not-json"]);

/**
 * A managed identity endpoint that does not answer, or answers with something that is not an identity
 * endpoint's (off Azure, 169.254.169.254 is nothing, or another cloud's metadata service). Not retried:
 * the host does not change while verify waits.
 */
export function identityEndpointUnreachable(failure: NetworkFailure, c: SignInContext, retryable: boolean): Cause {
    if (failure.code === undefined || !NO_ENDPOINT_CODES.has(failure.code)) return unreachable(failure, c, retryable);
    return {
        id: "not-on-azure",
        result: "unreachable",
        summary: `No managed identity endpoint answered at ${c.tokenAddress}: ${failure.message}.`,
        why:
            "A managed identity gets its token from an endpoint on the Azure resource it is assigned to: IMDS (169.254.169.254) on a VM " +
            "or scale set, IDENTITY_ENDPOINT in a Function app or App Service. This host has none, so it is not an Azure resource with an identity.",
        fix:
            "Run verify on the resource the identity is assigned to. On an Azure VM, IMDS can time out while it updates: run again; " +
            "check that nothing (a proxy, a firewall rule) blocks 169.254.169.254.",
    };
}

/** The token service issued something that is not a JWT: whatever answered is not Entra. */
export function unreadableToken(problem: string, c: SignInContext): Cause {
    return {
        id: "unreadable-token",
        result: "unreachable",
        summary: `${capitalised(c.tokenService)} answered, but ${problem}.`,
        why: `Entra issues Exchange Online tokens as JWTs; something else answered at ${c.tokenAddress}.`,
        fix:
            c.managedIdentity === undefined
                ? `Check that ${signInHost(c)} is Entra's, and any proxy between this machine and it.`
                : "Check what answers at the identity endpoint (IDENTITY_ENDPOINT, or IMDS) on this host.",
    };
}

/**
 * The sign-in host verify used, and where it came from, for a fix: "--authority-host https://…", or
 * "https://login.microsoftonline.us (the sign-in host of the stack's cloud, GCC High)". Never the flag's
 * name alone when the flag was not given.
 */
export function signInHost(c: Pick<SignInContext, "authorityHost" | "authorityFromFlag" | "cloud">): string {
    return c.authorityFromFlag
        ? `--authority-host ${c.authorityHost}`
        : `${c.authorityHost} (the sign-in host of the stack's cloud, ${CLOUDS[c.cloud].title})`;
}

/** "Entra at https://login.microsoftonline.com", "the identity endpoint at http://169.254.169.254/…" */
export function serviceAt(c: SignInContext): string {
    return `${c.tokenService} at ${c.tokenAddress}`;
}

/** "managed identity automation (user-assigned, client id …)" */
export function identityName(mi: ManagedIdentityFacts): string {
    return `managed identity ${oneLine(mi.name, 80)}${mi.clientId === undefined ? " (system-assigned)" : ` (user-assigned, client id ${mi.clientId})`}`;
}

/** DoD's Exchange Online resource is disputed (components/microsoft.ts CLOUDS): say so where it matters. */
export function disputedResource(c: { cloud: CloudName; resource: string }): string {
    return c.cloud === "dod" && c.resource === CLOUDS.dod.exchangeResource
        ? " Sources disagree on DoD's Exchange Online resource: if this one fails, try --resource https://outlook.office365.us."
        : "";
}

function capitalised(s: string): string {
    return s.charAt(0).toUpperCase() + s.slice(1);
}
