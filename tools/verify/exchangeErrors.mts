/**
 * npm run verify, the catalogue for Exchange's answers: what the admin API's refusal or silence means for
 * this application or identity, whether waiting can fix it, and what to do. The messages are the ones
 * admins see from the cmdlets (Microsoft's app-only page, and ../shared/FACTS.md): a plain "UnAuthorized"
 * without Exchange.ManageAsApp or its consent, "isn't assigned to any management roles" while a directory
 * role is missing or not yet honoured (reports say up to 30 minutes), "isn't supported in this scenario"
 * for a role Microsoft does not support app-only. Wording only, no I/O; server texts arrive made safe to
 * print (exchange.mts).
 */
import { MANAGE_AS_APP_ROLE } from "../../components/microsoft.ts";
import { identityName } from "./entraErrors.mts";
import type { Cause, ExchangeOutcome, ManagedIdentityFacts } from "./outcome.mts";
import { oneLine } from "./report.mts";

/** Who asked, for the explanations. */
export interface ServiceContext {
    /** "Exchange Online" or "Security & Compliance". */
    readonly shell: string;
    /** Where its admin API was asked (an origin, or the tenant's Security & Compliance host). */
    readonly address: string;
    /** The flag that chose the address, when one did (--exchange-host, --compliance-host). */
    readonly addressFlag: string | undefined;
    readonly appId: string | undefined;
    readonly managedIdentity: ManagedIdentityFacts | undefined;
}

function who(c: ServiceContext): string {
    return c.managedIdentity ? identityName(c.managedIdentity) : `application ${c.appId ?? "?"}`;
}

/** What an answer from the admin API that is not the cmdlet's result means. */
export function explainExchange(outcome: Exclude<ExchangeOutcome, { kind: "ran" }>, c: ServiceContext): Cause {
    if (outcome.kind === "network") {
        const retryable = !outcome.lasting && outcome.code !== "not-json" && outcome.code !== "foreign-host";
        return {
            id: "exchange-unreachable",
            result: "unreachable",
            ...(retryable ? { retryable: true } : {}),
            summary: `Could not reach ${c.shell} at ${oneLine(c.address, 120)}: ${outcome.message}.`,
            why:
                outcome.code === "not-json"
                    ? `What answered is not ${c.shell}'s admin API: a proxy, a captive portal or a firewall's page. Nothing was learnt about the ${c.managedIdentity ? "identity" : "application"}'s access.`
                    : `The network, a proxy or the service is in the way; the token is fine, but nothing was learnt about what ${c.shell} allows.`,
            fix: c.addressFlag
                ? `Check ${c.addressFlag} ${oneLine(c.address, 120)}, or leave it out to use the cloud's own host. Where the network blocks the admin API, --token-only checks the token alone.`
                : `Check that this machine reaches ${oneLine(c.address, 120)} (HTTPS). Where the network blocks the admin API, --token-only checks the token alone.`,
        };
    }
    const message = outcome.message || outcome.code || `HTTP ${outcome.status}`;
    const quoted = `(HTTP ${outcome.status}: ${oneLine(message, 200)})`;
    if (/isn't supported in this scenario|is not supported in this scenario/i.test(message)) {
        return {
            id: "exchange-role-unsupported",
            result: "misconfigured",
            summary: `${c.shell} refuses ${who(c)}: its directory role is not one Microsoft supports for app-only access ${quoted}.`,
            why: "Only the roles Microsoft lists for app-only authentication work here (README: Configuration, roles); a role assigned in the portal outside that list is refused whatever else the token carries.",
            fix: "Assign one of the supported roles through exo-cba:roles and run pulumi up; remove the other role in Entra admin centre → Roles and administrators.",
        };
    }
    if (/isn't assigned to any management roles|is not assigned to any management roles/i.test(message)) {
        return {
            id: "exchange-role-not-honoured",
            result: "not-propagated",
            retryable: true,
            summary: `${c.shell} does not honour a directory role of ${who(c)} yet ${quoted}.`,
            why:
                "The token carries the role, but Exchange takes minutes to honour a role assigned to an application (reports say up to 30). " +
                "Right after `pulumi up` this is the delay; later, the role assignment was removed or is not one this shell reaches.",
            fix: "Wait and run again (--max-wait 30m). If it persists, check the role's assignments in Entra admin centre → Roles and administrators, and that the role reaches this shell (README: Both shells).",
        };
    }
    if (outcome.status === 429) {
        return {
            id: "exchange-throttled",
            result: "unreachable",
            retryable: true,
            ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
            summary: `${c.shell} is throttling requests ${quoted}.`,
            why: "Too many requests to the tenant's admin API in a short time; it says nothing about the application's access.",
            fix: "Run again later, or with a longer --max-wait: verify waits as long as the answer's Retry-After asks, within --max-wait.",
        };
    }
    if (outcome.status >= 500) {
        return {
            id: "exchange-unavailable",
            result: "unreachable",
            retryable: true,
            summary: `${c.shell} answered with a server error ${quoted}.`,
            why: "An outage or a passing fault of the service; it says nothing about the application's access.",
            fix: "Run again in a few minutes; if it persists, check the Microsoft 365 service health page.",
        };
    }
    if (outcome.status === 401 || /^unauthori[sz]ed$/i.test(outcome.code) || /^unauthori[sz]ed\.?$/i.test(message)) {
        return {
            id: "exchange-unauthorized",
            result: "not-propagated",
            retryable: true,
            summary: `${c.shell} answered UnAuthorized to ${who(c)} ${quoted}.`,
            why:
                `Exchange answers a plain UnAuthorized when it does not see ${MANAGE_AS_APP_ROLE} with admin consent for the application. ` +
                "The token carries it, so either the consent was granted minutes ago and Exchange has not caught up, or the token was issued for another organization than the one asked.",
            fix:
                "Wait and run again (--max-wait 30m). If it persists, check the consent in Entra admin centre → Enterprise applications → the " +
                `${c.managedIdentity ? "identity" : "application"} → Permissions (Office 365 Exchange Online, ${MANAGE_AS_APP_ROLE}), and that the stack's tenantId is the organization's.`,
        };
    }
    return {
        id: "exchange-refused",
        result: "misconfigured",
        summary: `${c.shell} refused the cmdlet for ${who(c)} ${quoted}.`,
        why: "The admin API answered with an error verify does not know; it is what Connect-ExchangeOnline and the cmdlets would report too.",
        fix: "Read the message above; docs/verify.md lists the answers verify explains.",
    };
}

/** An answer that says the cmdlet is outside the application's roles: the session itself works. */
export function cmdletOutsideRoles(outcome: ExchangeOutcome): boolean {
    return (
        outcome.kind === "refused" &&
        /is not recognized as the name of a cmdlet|isn't recognized as the name of a cmdlet/i.test(outcome.message)
    );
}
