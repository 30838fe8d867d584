/**
 * npm run verify, the catalogue: what each answer from the sign-in service means for this application,
 * whether waiting can fix it, and what to do. Entra's error numbers are listed at
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes; everything here is wording,
 * no I/O. Server texts arrive already made safe to print (entra.mts).
 */
import type { Cause, EntraError } from "./outcome.mts";

/** What the explanations name: who tried to sign in, where. */
export interface SignInContext {
    readonly appId: string;
    readonly tenantId: string;
    /** The certificate that signed the assertion, when one did. */
    readonly thumbprint: string | undefined;
    /** e.g. https://login.microsoftonline.com */
    readonly authorityHost: string;
}

/** What an Entra refusal means for this application, and whether waiting can fix it. */
export function explainEntraError(e: EntraError, c: SignInContext): Cause {
    const base = { aadsts: e.aadsts, result: "misconfigured" as const };
    switch (e.aadsts) {
        case 700016:
            return {
                ...base,
                id: "application-not-found",
                result: "not-propagated",
                retryable: true,
                summary: `Entra does not know application ${c.appId} in tenant ${c.tenantId} (AADSTS700016).`,
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
                summary: `Entra does not accept certificate ${c.thumbprint ?? "(none)"} for application ${c.appId} (AADSTS700027).`,
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
                fix: "Check tenantId in the outputs; for a sovereign cloud pass its sign-in host with --authority-host (GCC High: https://login.microsoftonline.us).",
            };
        case 700024:
            return {
                ...base,
                id: "clock-skew",
                summary: "Entra says the client assertion is outside its valid time range (AADSTS700024).",
                why: "The assertion is stamped with this machine's clock, which is off by more than a few minutes.",
                fix: "Synchronise this machine's clock (NTP) and run again.",
            };
        case 500011:
            return {
                ...base,
                id: "exchange-not-in-tenant",
                summary: "The tenant has no Exchange Online service principal (AADSTS500011).",
                why: "Without an Exchange Online subscription there is nothing to grant the token for.",
                fix: "License Exchange Online in the tenant, or for a sovereign cloud pass its resource with --resource.",
            };
        case 7000112:
            return {
                ...base,
                id: "application-disabled",
                summary: `Application ${c.appId} is disabled (AADSTS7000112).`,
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
                    ? `Look the code up at https://login.microsoftonline.com/error?code=${e.aadsts}; the application's sign-in logs (Enterprise applications → the app → Sign-in logs) have the details.`
                    : "The application's sign-in logs (Enterprise applications → the app → Sign-in logs) have the details.",
            };
    }
}

/**
 * No answer from Entra, or one that is not Entra's (a redirect, a captive portal's page). Tried again a
 * few times unless `retryable` is false: nothing was learnt about the application.
 */
export function unreachable(message: string, c: SignInContext, retryable: boolean): Cause {
    return {
        id: "entra-unreachable",
        result: "unreachable",
        retryable,
        summary: `Could not reach Entra at ${c.authorityHost}: ${message}.`,
        why: "The network, a proxy or the sign-in service is in the way; nothing was learnt about the application.",
        fix:
            "Check the connection to --authority-host and run again. Behind a proxy, set HTTPS_PROXY and " +
            "NODE_USE_ENV_PROXY=1 (Node reads proxy variables only then).",
    };
}

/** The token endpoint issued something that is not a JWT: whatever answered is not Entra. */
export function unreadableToken(problem: string, c: SignInContext): Cause {
    return {
        id: "unreadable-token",
        result: "unreachable",
        summary: `The token endpoint answered, but ${problem}.`,
        why: "Entra issues Exchange Online tokens as JWTs; something else answered at --authority-host.",
        fix: `Check --authority-host (${c.authorityHost}) and any proxy between this machine and Entra.`,
    };
}
