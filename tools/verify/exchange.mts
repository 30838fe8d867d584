/**
 * npm run verify, the last step: ask Exchange itself. ExchangeOnlineManagement (V3, REST mode) runs every
 * cmdlet as one request to the admin API (../shared/FACTS.md "Exchange admin REST"; the same requests CIPP
 * makes for many tenants, KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1):
 *   POST <host>/adminapi/beta/<tenantId>/InvokeCommand  {"CmdletInput":{"CmdletName":"Get-OrganizationConfig","Parameters":{}}}
 * with the token verify just obtained and the anchor of the tenant's system mailbox. Security & Compliance
 * first names the tenant's own host: a GET of EXOBanner('AutogenSession') on the cloud's compliance host
 * answers a redirect, whose Location is read (never followed) and accepted only under that cloud's
 * compliance domain. One read-only cmdlet each; the answer, or Exchange's refusal, is what a script would get.
 */
import { CLOUDS, type CloudName } from "../../components/clouds.ts";
import { EntraNetwork } from "./entra.mts";
import { type ServiceContext, cmdletOutsideRoles, explainExchange } from "./exchangeErrors.mts";
import {
    COMPLIANCE_CMDLET,
    EXCHANGE_CMDLET,
    type Cause,
    type Check,
    type ExchangeOutcome,
    type ManagedIdentityFacts,
    type TokenOutcome,
} from "./outcome.mts";
import { oneLine } from "./report.mts";
import type { ServiceJudgement } from "./retry.mts";

/** The mailbox the module anchors app-only requests to (X-AnchorMailbox). */
export function systemMailboxAnchor(tenantId: string): string {
    return `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenantId}`;
}

/** The module version the discovery request names, as the module itself sends it (`Version=`). */
export const MODULE_VERSION = "3.9.2";

export interface InvokeRequest {
    /** https origin of the shell's admin API. */
    readonly origin: string;
    readonly tenantId: string;
    readonly token: string;
    readonly cmdlet: string;
    readonly service: string;
    readonly timeoutMs?: number;
}

/** The admin API's address for InvokeCommand. */
export function invokeCommandUrl(origin: string, tenantId: string): string {
    return `${origin}/adminapi/beta/${tenantId}/InvokeCommand`;
}

/** One cmdlet through the admin API; nothing but that address is contacted, no redirect followed. */
export async function invokeCommand(r: InvokeRequest): Promise<ExchangeOutcome> {
    const url = invokeCommandUrl(r.origin, r.tenantId);
    const network = new EntraNetwork((method, u) => method === "POST" && u === url, {
        service: r.service,
        secrets: [r.token],
        ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    });
    let answer;
    try {
        answer = await network.sendPostRequestAsync<Record<string, unknown>>(url, {
            headers: {
                authorization: `Bearer ${r.token}`,
                "content-type": "application/json; charset=utf-8",
                accept: "application/json",
                "x-anchormailbox": systemMailboxAnchor(r.tenantId),
                prefer: "odata.maxpagesize=1000",
            },
            body: JSON.stringify({ CmdletInput: { CmdletName: r.cmdlet, Parameters: {} } }),
        });
    } catch {
        const failure = network.outcomeOfFailure();
        return failure.kind === "network" ? failure : { kind: "network", message: `unexpected answer from ${r.service}` };
    }
    const body = answer.body;
    if (answer.status === 200) {
        const value = body["value"];
        if (!Array.isArray(value))
            return { kind: "network", message: `${r.service} answered without a value: not its answer to a cmdlet`, code: "not-json" };
        return { kind: "ran", value };
    }
    return {
        kind: "refused",
        status: answer.status,
        code: network.said(adminApiErrorCode(body), 80),
        message: network.said(adminApiErrorMessage(body)),
        retryAfterMs: retryAfter(answer.headers["retry-after"]),
    };
}

/** The error code of an admin API error answer ({"error":{"code",…}}), or "". */
function adminApiErrorCode(body: Record<string, unknown>): string {
    const error = body["error"];
    if (error !== null && typeof error === "object" && typeof (error as Record<string, unknown>)["code"] === "string") {
        return (error as Record<string, string>)["code"];
    }
    return "";
}

/**
 * The message of an admin API error answer, where the module finds it (CIPP reads the same places in the
 * same order): error.details[].message, then error.innererror.internalException.message, then error.message.
 */
export function adminApiErrorMessage(body: Record<string, unknown>): string {
    const error = body["error"];
    if (error === null || typeof error !== "object") return "";
    const e = error as Record<string, unknown>;
    const details = Array.isArray(e["details"]) ? e["details"] : [];
    const detail = details
        .map((d) => (d !== null && typeof d === "object" ? (d as Record<string, unknown>)["message"] : undefined))
        .find((m) => typeof m === "string");
    if (typeof detail === "string" && detail !== "") return detail;
    const inner = e["innererror"];
    const internal = inner !== null && typeof inner === "object" ? (inner as Record<string, unknown>)["internalException"] : undefined;
    const innerMessage = internal !== null && typeof internal === "object" ? (internal as Record<string, unknown>)["message"] : undefined;
    if (typeof innerMessage === "string" && innerMessage !== "") return innerMessage;
    return typeof e["message"] === "string" ? e["message"] : "";
}

/** Retry-After in milliseconds: seconds (RFC 9110 10.2.3; an HTTP date is taken as no advice), at most an hour. */
function retryAfter(value: string | undefined): number | undefined {
    if (value === undefined || !/^\d{1,5}$/.test(value.trim())) return undefined;
    return Math.min(Number(value.trim()), 3600) * 1000;
}

/** Where a cloud's Security & Compliance admin API is asked for the tenant's host, and the domain that host must be under. */
export function complianceDiscovery(cloud: CloudName): { readonly origin: string; readonly domain: string } {
    const c = CLOUDS[cloud];
    // Outside the worldwide cloud the connection URI names the host (DoD's is l5.ps.compliance…, not the resource's).
    const origin = new URL(c.compliance?.connectionUri ?? c.complianceResource).origin;
    return { origin, domain: new URL(origin).host };
}

/**
 * The tenant's own Security & Compliance host from a discovery redirect's Location: its first label under
 * `domain` (eur02b in eur02b.ps.compliance.protection.outlook.com), rebuilt on that domain so nothing but the
 * label comes from the answer. Undefined when the Location is not an https address directly under `domain`.
 */
export function tenantComplianceHost(location: string, domain: string): string | undefined {
    let url: URL;
    try {
        url = new URL(location);
    } catch {
        return undefined;
    }
    if (url.protocol !== "https:" || url.username || url.password || url.port) return undefined;
    const host = url.hostname.toLowerCase();
    if (!host.endsWith(`.${domain}`)) return undefined;
    const label = host.slice(0, -domain.length - 1);
    // One DNS label: letters, digits, inner hyphens (RFC 1035), nothing that could add a level or a port.
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) return undefined;
    return `${label}.${domain}`;
}

export interface DiscoveryRequest {
    /** The origin the discovery GET goes to (the cloud's compliance host, or --compliance-host). */
    readonly origin: string;
    /** The domain the tenant's host must be under (the cloud's, even when --compliance-host routes elsewhere). */
    readonly domain: string;
    readonly tenantId: string;
    readonly token: string;
}

/** The tenant's Security & Compliance host, or why it could not be found (a refusal, or no usable answer). */
export async function discoverComplianceHost(
    r: DiscoveryRequest,
): Promise<{ readonly host: string } | Exclude<ExchangeOutcome, { kind: "ran" }>> {
    const url = `${r.origin}/adminapi/beta/${r.tenantId}/EXOBanner('AutogenSession')?Version=${MODULE_VERSION}`;
    const service = "Security & Compliance";
    const network = new EntraNetwork((method, u) => method === "GET" && u === url, { service, secrets: [r.token] });
    let answer: Awaited<ReturnType<EntraNetwork["readRedirect"]>>;
    try {
        answer = await network.readRedirect(url, {
            authorization: `Bearer ${r.token}`,
            "x-anchormailbox": systemMailboxAnchor(r.tenantId),
        });
    } catch {
        const failure = network.outcomeOfFailure();
        return failure.kind === "network" ? failure : { kind: "network", message: `unexpected answer from ${service}` };
    }
    if (answer.location === undefined) {
        const body = answer.body ?? {};
        if (answer.status >= 400) {
            return {
                kind: "refused",
                status: answer.status,
                code: network.said(adminApiErrorCode(body), 80),
                message: network.said(adminApiErrorMessage(body)),
                retryAfterMs: undefined,
            };
        }
        return {
            kind: "network",
            message: `${service} answered HTTP ${answer.status} without naming the tenant's host`,
            code: "no-redirect",
        };
    }
    const host = tenantComplianceHost(answer.location, r.domain);
    if (host === undefined) {
        return {
            kind: "network",
            message: `${service} named the tenant's host as ${network.said(answer.location, 120)}, which is not under ${r.domain}: nothing was sent there`,
            lasting: true,
            code: "foreign-host",
        };
    }
    return { host };
}

/** What asking Exchange needs to know: where, for whom, and how to get a token for Security & Compliance. */
export interface AskExchange {
    readonly tenantId: string;
    /** The stack's organization output: what Exchange must answer for. */
    readonly organization: string | undefined;
    readonly cloud: CloudName;
    /** --exchange-host, else the cloud's Exchange Online host. */
    readonly exchangeHost: string | undefined;
    /** --compliance-host, else the cloud's, and then the tenant's own host the cloud's names. */
    readonly complianceHost: string | undefined;
    /** The stack offers Connect-IPPSSession (its connectIppsCommand output): ask Security & Compliance too. */
    readonly complianceShell: boolean;
    readonly appId: string | undefined;
    readonly managedIdentity: ManagedIdentityFacts | undefined;
    /** A token for Security & Compliance's resource, by the same sign-in. */
    readonly complianceToken: (resource: string) => Promise<TokenOutcome>;
    /** What a refused or failed token request means (the sign-in's own catalogue). */
    readonly explainToken: (outcome: Exclude<TokenOutcome, { kind: "token" }>) => Cause;
}

const EXCHANGE_ONLINE = "Exchange Online";
const COMPLIANCE = "Security & Compliance";

/**
 * Runs one read-only cmdlet in Exchange Online with the token, and in Security & Compliance when the stack
 * offers that shell: the rows for the report, the first cause, and what Exchange answered for.
 */
export async function askExchange(o: AskExchange, token: string): Promise<ServiceJudgement> {
    const origin = o.exchangeHost ?? new URL(CLOUDS[o.cloud].exchangeResource).origin;
    const context: ServiceContext = {
        shell: EXCHANGE_ONLINE,
        address: origin,
        addressFlag: o.exchangeHost === undefined ? undefined : "--exchange-host",
        appId: o.appId,
        managedIdentity: o.managedIdentity,
    };
    const exchange = await invokeCommand({ origin, tenantId: o.tenantId, token, cmdlet: EXCHANGE_CMDLET, service: EXCHANGE_ONLINE });
    const checks: Check[] = [];
    let organization: string | undefined;
    let displayName: string | undefined;
    if (exchange.kind === "ran") {
        const config =
            exchange.value[0] !== null && typeof exchange.value[0] === "object" ? (exchange.value[0] as Record<string, unknown>) : {};
        organization = typeof config["Name"] === "string" ? config["Name"] : undefined;
        displayName = typeof config["DisplayName"] === "string" ? config["DisplayName"] : undefined;
        if (organization === undefined) {
            checks.push({ name: EXCHANGE_ONLINE, status: "pass", detail: `${EXCHANGE_CMDLET} ran, its answer naming no organization` });
        } else if (o.organization !== undefined && organization.toLowerCase() !== o.organization.toLowerCase()) {
            checks.push({
                name: EXCHANGE_ONLINE,
                status: "fail",
                detail: `${EXCHANGE_CMDLET} ran for ${oneLine(organization, 120)}, expected ${oneLine(o.organization, 120)}`,
            });
            return {
                checks,
                cause: {
                    id: "exchange-other-organization",
                    result: "misconfigured",
                    summary: `Exchange Online answered for ${oneLine(organization, 120)}, not the stack's organization ${oneLine(o.organization, 120)}.`,
                    why: "The token's tenant is the stack's, yet Exchange serves another organization with it: the organization output is not the tenant's initial domain, or the admin API host is another's.",
                    fix: "Set exo-cba:organization to the tenant's initial *.onmicrosoft.com domain (or leave it unset to look it up) and run pulumi up; check --exchange-host if given.",
                },
            };
        } else {
            const named = `${oneLine(organization, 120)}${displayName ? ` (${oneLine(displayName, 120)})` : ""}`;
            checks.push({ name: EXCHANGE_ONLINE, status: "pass", detail: `${EXCHANGE_CMDLET} ran for ${named}` });
        }
    } else if (cmdletOutsideRoles(exchange)) {
        checks.push({
            name: EXCHANGE_ONLINE,
            status: "pass",
            detail: `Exchange accepted the sign-in; ${EXCHANGE_CMDLET} is outside its roles, so the organization is not named`,
        });
    } else {
        const cause = explainExchange(exchange, context);
        checks.push({ name: EXCHANGE_ONLINE, status: "fail", detail: cause.summary });
        return { checks, cause };
    }
    const ran = { organization, displayName, complianceHost: undefined as string | undefined };
    if (!o.complianceShell) return { checks, ran };
    if (o.managedIdentity) {
        checks.push({ name: COMPLIANCE, status: "skip", detail: "Connect-IPPSSession has no managed identity sign-in" });
        return { checks, ran };
    }
    const compliance = await askCompliance(o);
    checks.push(compliance.check);
    return compliance.cause ? { checks, cause: compliance.cause } : { checks, ran: { ...ran, complianceHost: compliance.host } };
}

async function askCompliance(o: AskExchange): Promise<{ check: Check; cause?: Cause; host?: string }> {
    const cloud = CLOUDS[o.cloud];
    const discovery = complianceDiscovery(o.cloud);
    const fail = (cause: Cause) => ({ check: { name: COMPLIANCE, status: "fail" as const, detail: cause.summary }, cause });
    const context = (address: string): ServiceContext => ({
        shell: COMPLIANCE,
        address,
        addressFlag: o.complianceHost === undefined ? undefined : "--compliance-host",
        appId: o.appId,
        managedIdentity: o.managedIdentity,
    });
    const issued = await o.complianceToken(cloud.complianceResource);
    if (issued.kind !== "token") return fail(o.explainToken(issued));
    const token = issued.accessToken;
    const asked = o.complianceHost ?? discovery.origin;
    const found = await discoverComplianceHost({ origin: asked, domain: discovery.domain, tenantId: o.tenantId, token });
    if (!("host" in found)) return fail(explainExchange(found, context(asked)));
    // With --compliance-host the requests go there, as a network that routes the cloud's hosts elsewhere would send them.
    const origin = o.complianceHost ?? `https://${found.host}`;
    const outcome = await invokeCommand({ origin, tenantId: o.tenantId, token, cmdlet: COMPLIANCE_CMDLET, service: COMPLIANCE });
    if (outcome.kind === "ran" || cmdletOutsideRoles(outcome)) {
        const detail =
            outcome.kind === "ran"
                ? `${COMPLIANCE_CMDLET} ran at ${found.host}`
                : `Security & Compliance at ${found.host} accepted the sign-in; ${COMPLIANCE_CMDLET} is outside its roles`;
        return { check: { name: COMPLIANCE, status: "pass", detail }, host: found.host };
    }
    return fail(explainExchange(outcome, context(origin)));
}
