/**
 * A stand-in for the admin API that ExchangeOnlineManagement (V3, REST mode) calls under its cmdlets, for
 * Exchange Online and for Security & Compliance (../shared/FACTS.md "Exchange admin REST"; seen in
 * KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1):
 *   POST /adminapi/beta/{tenantId}/InvokeCommand   {"CmdletInput":{"CmdletName":…,"Parameters":{…}}}
 *        Authorization: Bearer <token>, X-AnchorMailbox: APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@{tenantId}
 *   GET  /adminapi/beta/{tenantId}/EXOBanner('AutogenSession')?Version=…   (Security & Compliance only: answers a
 *        redirect whose Location names the tenant's own host, <label>.ps.compliance.protection.outlook.com)
 * It checks the bearer token as the service does: an RS256 signature by a key the token services publish
 * (the stand-ins' own), not expired, the audience of this service, the tenant of the path, the application
 * granted Exchange.ManageAsApp, and a directory role Microsoft supports for app-only access to this shell in
 * wids (or membership of an Exchange role group, Microsoft's "custom role groups" option, for which a token
 * carries no wids). It answers in the admin API's shapes: `value` on success, `{"error":{"code","message",
 * "details":[{"message"}],"innererror":{"internalException":{"message"}}}}` on failure, with the wording
 * admins see from the cmdlets (Microsoft's app-only page, "Troubleshooting"). Everything received is recorded.
 */
import * as crypto from "node:crypto";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type { RawAnswer } from "./tokenEndpoint.mts";

/** The anchor the module sends for app-only sessions (CIPP New-ExoRequest.ps1, FACTS.md). */
export const SYSTEM_MAILBOX_ANCHOR = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@";

/**
 * Directory roles Microsoft supports for app-only access, by template id, and where each reaches
 * (learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2, "Assign Microsoft Entra roles";
 * ids from learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
 */
const EXCHANGE_ROLES: Readonly<Record<string, { exchangeOnline: boolean; compliance: boolean }>> = {
    "29232cdf-9323-42fd-ade2-1d097af3e4de": { exchangeOnline: true, compliance: false }, // Exchange Administrator
    "31392ffb-586c-42d1-9346-e59415a2cc4e": { exchangeOnline: true, compliance: false }, // Exchange Recipient Administrator
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": { exchangeOnline: true, compliance: true }, // Global Reader
    "17315797-102d-40b4-93e0-432062caca18": { exchangeOnline: true, compliance: true }, // Compliance Administrator
    "5d6b6bb7-de71-4623-b4af-96380a352509": { exchangeOnline: true, compliance: true }, // Security Reader
    "194ae4cb-b126-40b2-bd5b-6091b380977d": { exchangeOnline: true, compliance: true }, // Security Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": { exchangeOnline: true, compliance: false }, // Helpdesk Administrator
    "62e90394-69f5-4237-9190-012177145e10": { exchangeOnline: true, compliance: true }, // Global Administrator
};
/** The wid every app-only token carries: no role (verifyHarness.mts APP_ONLY_WID). */
const APP_ONLY_WID = "0997a1d0-0d1d-4acb-b408-d5ca73121e90";

/** An Exchange organization the service knows: what Get-OrganizationConfig answers for its tenant. */
export interface ExchangeOrganization {
    readonly tenantId: string;
    /** Get-OrganizationConfig's Name: the initial domain. */
    readonly name: string;
    readonly displayName: string;
    /** The first label of the tenant's own Security & Compliance host (eur02b.ps.compliance.protection.outlook.com). */
    readonly complianceLabel: string;
}

/** How the service treats one application (by client id). */
export interface ExchangeApplication {
    readonly appId: string;
    /** Member of an Exchange role group through its service principal (New-ServicePrincipal, Add-RoleGroupMember). */
    readonly roleGroup?: boolean;
    /** InvokeCommand requests answered as if the role had not replicated yet, before the service honours it. @default 0 */
    readonly notReplicatedFor?: number;
    /** InvokeCommand requests answered 429 with Retry-After first. @default 0 */
    readonly throttledFor?: number;
    /** Retry-After, in seconds, of those answers. @default 1 */
    readonly retryAfterSeconds?: number;
    /** The nth request's answer (1-based), sent as is instead of the service's; `token` is the request's bearer token. */
    readonly answer?: (n: number, token: string) => RawAnswer | undefined;
}

export interface ExchangeRequest {
    readonly service: "exchange" | "compliance";
    readonly method: string;
    readonly path: string;
    readonly appId: string | undefined;
    readonly cmdlet: string | undefined;
    readonly status: number;
    /** The Authorization header's token, for the tests' secret scan. */
    readonly token: string | undefined;
    /** When it arrived (Date.now()). */
    readonly at: number;
}

export interface ExchangeEndpoint {
    /** https://127.0.0.1:<port>: Exchange Online's admin API (verify --exchange-host). */
    readonly exchangeOrigin: string;
    /** https://127.0.0.1:<port>: Security & Compliance's (verify --compliance-host). */
    readonly complianceOrigin: string;
    register(app: ExchangeApplication): void;
    readonly received: ExchangeRequest[];
    close(): Promise<void>;
}

export interface ExchangeEndpointOptions {
    readonly tls: { readonly key: string; readonly cert: string };
    /** Public keys of the token services whose tokens the service accepts. */
    readonly trustedKeys: readonly crypto.KeyObject[];
    readonly organizations: readonly ExchangeOrganization[];
    /** The audiences of each service, e.g. https://outlook.office365.com and https://ps.compliance.protection.outlook.com. */
    readonly exchangeResources: readonly string[];
    readonly complianceResources: readonly string[];
    /** The domain under which the compliance redirect names the tenant's host. @default ps.compliance.protection.outlook.com */
    readonly complianceDomain?: string;
}

/** Cmdlets this stand-in runs, each read-only, with the shell it belongs to. */
const CMDLETS: Readonly<Record<string, "exchange" | "compliance">> = {
    "Get-OrganizationConfig": "exchange",
    "Get-RoleGroup": "compliance",
};

export async function startExchangeEndpoint(options: ExchangeEndpointOptions): Promise<ExchangeEndpoint> {
    const apps = new Map<string, ExchangeApplication>();
    const requestsByApp = new Map<string, number>();
    const received: ExchangeRequest[] = [];
    const complianceDomain = options.complianceDomain ?? "ps.compliance.protection.outlook.com";

    const serve = (service: "exchange" | "compliance") =>
        https.createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const url = new URL(req.url ?? "/", "https://stand-in");
                const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
                const answer = handle(service, req.method ?? "", url, req.headers, Buffer.concat(chunks).toString("utf8"), bearer);
                received.push({
                    service,
                    method: req.method ?? "",
                    path: url.pathname,
                    appId: answer.appId,
                    cmdlet: answer.cmdlet,
                    status: answer.status,
                    token: bearer,
                    at: Date.now(),
                });
                res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", ...answer.headers });
                res.end(answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
            });
        });

    interface Answer {
        status: number;
        headers?: Readonly<Record<string, string>>;
        body?: unknown;
        appId?: string;
        cmdlet?: string;
    }

    /** The admin API's error shape. */
    const error = (status: number, code: string, message: string, extra: Partial<Answer> = {}): Answer => ({
        status,
        body: { error: { code, message, details: [{ message }], innererror: { internalException: { message } } } },
        ...extra,
    });

    function handle(
        service: "exchange" | "compliance",
        method: string,
        url: URL,
        headers: Readonly<Record<string, string | string[] | undefined>>,
        body: string,
        bearer: string | undefined,
    ): Answer {
        const m = /^\/adminapi\/beta\/([0-9a-f-]{36})\/(InvokeCommand|EXOBanner\('AutogenSession'\))$/i.exec(url.pathname);
        if (!m) return error(404, "NotFound", "The requested resource was not found.");
        const [, pathTenant, operation] = m;
        const org = options.organizations.find((o) => o.tenantId === pathTenant.toLowerCase());
        const claims = bearer === undefined ? undefined : verifiedClaims(bearer);
        if (claims === undefined) return error(401, "UnAuthorized", "UnAuthorized");
        const appId = typeof claims["appid"] === "string" ? claims["appid"] : undefined;
        const audiences = service === "exchange" ? options.exchangeResources : options.complianceResources;
        const aud = typeof claims["aud"] === "string" ? claims["aud"].replace(/\/$/, "") : "";
        if (!audiences.includes(aud)) return error(401, "UnAuthorized", "UnAuthorized", { ...(appId ? { appId } : {}) });
        if (org === undefined || claims["tid"] !== org.tenantId) {
            // A token of one organization sent to another's path.
            return error(401, "UnAuthorized", "UnAuthorized", { ...(appId ? { appId } : {}) });
        }
        const app = appId === undefined ? undefined : apps.get(appId);
        const n = appId === undefined ? 0 : (requestsByApp.get(appId) ?? 0) + 1;
        if (appId !== undefined) requestsByApp.set(appId, n);
        const scripted = app?.answer?.(n, bearer ?? "");
        if (scripted)
            return {
                status: scripted.status,
                body: scripted.body,
                ...(scripted.headers ? { headers: scripted.headers } : {}),
                ...(appId ? { appId } : {}),
            };
        if (service === "compliance" && operation.startsWith("EXOBanner")) {
            if (method !== "GET") return error(405, "MethodNotAllowed", "The requested method is not allowed.");
            // The module reads where this redirects to find the tenant's own host.
            return {
                status: 302,
                headers: { location: `https://${org.complianceLabel}.${complianceDomain}${url.pathname}${url.search}` },
                ...(appId ? { appId } : {}),
            };
        }
        if (method !== "POST") return error(405, "MethodNotAllowed", "The requested method is not allowed.");
        if (headers["x-anchormailbox"] !== `${SYSTEM_MAILBOX_ANCHOR}${org.tenantId}`) {
            return error(400, "BadRequest", "The anchor mailbox is missing or is not this organization's.");
        }
        let cmdlet: string | undefined;
        try {
            const input = (JSON.parse(body) as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } }).CmdletInput;
            cmdlet = typeof input?.CmdletName === "string" ? input.CmdletName : undefined;
        } catch {
            cmdlet = undefined;
        }
        const extra = { ...(appId ? { appId } : {}), ...(cmdlet ? { cmdlet } : {}) };
        if (cmdlet === undefined || CMDLETS[cmdlet] !== service) {
            return error(400, "BadRequest", `The term '${cmdlet ?? ""}' is not recognized as the name of a cmdlet.`, extra);
        }
        if (app?.throttledFor !== undefined && n <= app.throttledFor) {
            return {
                ...error(429, "TooManyRequests", "Too many requests; try again later.", extra),
                headers: { "retry-after": String(app.retryAfterSeconds ?? 1) },
            };
        }
        const roles = Array.isArray(claims["roles"]) ? claims["roles"] : [];
        // Without Exchange.ManageAsApp the service refuses the application itself (FACTS.md: a plain "UnAuthorized").
        if (!roles.includes("Exchange.ManageAsApp")) return error(401, "UnAuthorized", "UnAuthorized", extra);
        const wids = (Array.isArray(claims["wids"]) ? claims["wids"] : []).filter(
            (w): w is string => typeof w === "string" && w !== APP_ONLY_WID,
        );
        const reaches = (w: string) =>
            (service === "exchange" ? EXCHANGE_ROLES[w]?.exchangeOnline : EXCHANGE_ROLES[w]?.compliance) === true;
        const replicated = app?.notReplicatedFor === undefined || n > app.notReplicatedFor;
        if (!(replicated && (wids.some(reaches) || app?.roleGroup === true))) {
            if (wids.length > 0 && !wids.some(reaches) && app?.roleGroup !== true) {
                return error(
                    403,
                    "Forbidden",
                    `The role assigned to application ${appId ?? ""} isn't supported in this scenario. Please check online documentation for assigning correct Directory Roles to Azure AD Application for EXO App-Only Authentication.`,
                    extra,
                );
            }
            return error(
                403,
                "Forbidden",
                `The role assigned to application ${appId ?? ""} isn't assigned to any management roles.`,
                extra,
            );
        }
        const value =
            cmdlet === "Get-OrganizationConfig"
                ? [{ Name: org.name, DisplayName: org.displayName, Identity: org.name, Guid: crypto.randomUUID() }]
                : [{ Name: "Organization Management", Identity: "Organization Management", Guid: crypto.randomUUID() }];
        return {
            status: 200,
            body: { "@odata.context": `https://stand-in/adminapi/beta/${org.tenantId}/$metadata#Collection`, value },
            ...extra,
        };
    }

    /** The claims of a token one of the trusted keys signed (RS256) and that has not expired; undefined otherwise. */
    function verifiedClaims(token: string): Record<string, unknown> | undefined {
        const parts = token.split(".");
        if (parts.length !== 3) return undefined;
        try {
            const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as Record<string, unknown>;
            if (header["alg"] !== "RS256") return undefined;
            const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
            const signature = Buffer.from(parts[2], "base64url");
            if (!options.trustedKeys.some((key) => crypto.verify("sha256", signed, key, signature))) return undefined;
            const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
            const now = Date.now() / 1000;
            if (typeof claims["exp"] !== "number" || claims["exp"] <= now) return undefined;
            if (typeof claims["nbf"] === "number" && claims["nbf"] > now + 300) return undefined;
            return claims;
        } catch {
            return undefined;
        }
    }

    const exchange = serve("exchange");
    const compliance = serve("compliance");
    await Promise.all([exchange, compliance].map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))));
    const origin = (s: https.Server) => `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
    return {
        exchangeOrigin: origin(exchange),
        complianceOrigin: origin(compliance),
        register: (app) => apps.set(app.appId, app),
        received,
        close: () =>
            Promise.all([exchange, compliance].map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined),
    };
}
