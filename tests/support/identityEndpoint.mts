/**
 * A stand-in for an Azure resource's managed identity endpoint, plain HTTP on loopback as the real ones
 * are, in both shapes msal-node calls (client/ManagedIdentitySources):
 * - IMDS (VMs, scale sets): GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]
 *   with `Metadata: true`; reached through AZURE_POD_IDENTITY_AUTHORITY_HOST. Errors as IMDS gives them
 *   (learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#error-handling):
 *   400 bad_request_102 without the header, 400 invalid_request "Identity not found" for an identity the
 *   VM does not have, 400 invalid_resource with Entra's AADSTS500011 for an unknown resource.
 * - App Service (Functions, App Service): GET <IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=…[&client_id=…]
 *   with `X-IDENTITY-HEADER: <IDENTITY_HEADER>`; errors as { statusCode, message } (400 "No User Assigned
 *   or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.", as reported in
 *   Azure-Samples/azure-search-openai-demo #2148).
 * It answers for the identities assigned to "this host" with a token whose oid is the identity's object
 * id, records every request, and can script an answer (a redirect, an echoed header).
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { type RawAnswer, signJwt } from "./tokenEndpoint.mts";

const IMDS_PATH = "/metadata/identity/oauth2/token";
const APP_SERVICE_PATH = "/msi/token";

export interface AssignedIdentity {
    readonly objectId: string;
    /** Every identity has a client id; a user-assigned one is asked for by it. */
    readonly clientId: string;
    /** The resource's system-assigned identity (answered when no client id is asked for); replaces the previous one. */
    readonly system?: boolean;
    /** Claims of the nth token issued for this identity (1-based) over the defaults (roles [Exchange.ManageAsApp], wids []). */
    readonly claims?: (n: number) => Record<string, unknown>;
}

export interface IdentityRequest {
    readonly shape: "imds" | "app-service" | "other";
    readonly path: string;
    readonly query: Readonly<Record<string, string>>;
    readonly metadataHeader: string | undefined;
    /** Whether the App Service secret header was the right one (never the value itself). */
    readonly identityHeaderValid: boolean;
    readonly status: number;
}

export interface IdentityEndpoint {
    /** http://127.0.0.1:<port>: AZURE_POD_IDENTITY_AUTHORITY_HOST. */
    readonly imdsHost: string;
    /** IDENTITY_ENDPOINT and IDENTITY_HEADER of an App Service host. */
    readonly appService: { readonly endpoint: string; readonly header: string };
    assign(identity: AssignedIdentity): void;
    /** The answer to the nth request (1-based), sent as is instead of the endpoint's. */
    answer: ((n: number, request: { query: Readonly<Record<string, string>> }) => RawAnswer | undefined) | undefined;
    readonly received: IdentityRequest[];
    readonly issued: string[];
    /** The public key its tokens are signed with (Entra's, for a real host): what Exchange's stand-in trusts. */
    readonly signingKey: crypto.KeyObject;
    close(): Promise<void>;
}

export async function startIdentityEndpoint(options: { tenantId: string; resources: readonly string[] }): Promise<IdentityEndpoint> {
    const signer = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const header = crypto.randomBytes(18).toString("base64url");
    const identities: AssignedIdentity[] = [];
    const tokensFor = new Map<string, number>();
    const received: IdentityRequest[] = [];
    const issued: string[] = [];
    let requests = 0;

    const endpoint: IdentityEndpoint = {
        imdsHost: "",
        appService: { endpoint: "", header },
        signingKey: signer.publicKey,
        assign: (identity) => {
            // A resource has one system-assigned identity: a new one replaces it.
            if (identity.system) identities.splice(0, identities.length, ...identities.filter((i) => !i.system));
            identities.push(identity);
        },
        answer: undefined,
        received,
        issued,
        close: () => Promise.resolve(),
    };

    const server = http.createServer((req, res) => {
        const u = new URL(req.url ?? "/", "http://127.0.0.1");
        const query = Object.fromEntries(u.searchParams);
        // msal-node writes the IMDS URL it took from AZURE_POD_IDENTITY_AUTHORITY_HOST with a trailing slash.
        const pathname = u.pathname.replace(/\/$/, "");
        const shape = pathname === IMDS_PATH ? "imds" : pathname === APP_SERVICE_PATH ? "app-service" : "other";
        const metadata = typeof req.headers["metadata"] === "string" ? req.headers["metadata"] : undefined;
        const identityHeaderValid = req.headers["x-identity-header"] === header;
        const send = (a: RawAnswer) => {
            received.push({ shape, path: u.pathname, query, metadataHeader: metadata, identityHeaderValid, status: a.status });
            res.writeHead(a.status, { "content-type": "application/json; charset=utf-8", ...a.headers });
            res.end(typeof a.body === "string" ? a.body : JSON.stringify(a.body));
        };
        requests += 1;
        const scripted = endpoint.answer?.(requests, { query });
        if (scripted) return send(scripted);
        if (req.method !== "GET" || shape === "other") return send({ status: 404, body: "Not Found" });

        const imds = shape === "imds";
        const refuse = (status: number, error: string, message: string): RawAnswer =>
            imds
                ? { status, body: { error, error_description: message } }
                : { status, body: { statusCode: status, message, correlationId: crypto.randomUUID() } };
        if (imds && metadata !== "true") return send(refuse(400, "bad_request_102", "Required metadata header not specified"));
        if (!imds && !identityHeaderValid) return send(refuse(401, "unauthorized", "Unauthorized: the X-IDENTITY-HEADER is not valid."));
        if (query["api-version"] !== (imds ? "2018-02-01" : "2019-08-01"))
            return send(refuse(400, "invalid_request", "Invalid api-version."));

        const clientId = query["client_id"];
        const identity =
            clientId !== undefined
                ? identities.find((i) => i.clientId.toLowerCase() === clientId.toLowerCase())
                : (identities.find((i) => i.system) ?? (imds && identities.length === 1 ? identities[0] : undefined));
        if (!identity) {
            return send(
                imds
                    ? refuse(400, "invalid_request", "Identity not found")
                    : refuse(
                          400,
                          "invalid_request",
                          "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.",
                      ),
            );
        }
        const resource = (query["resource"] ?? "").replace(/\/$/, "");
        if (!options.resources.includes(resource)) {
            const message = `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${options.tenantId}.`;
            return send(
                imds
                    ? { status: 400, body: { error: "invalid_resource", error_description: message } }
                    : refuse(400, "invalid_resource", message),
            );
        }
        const n = (tokensFor.get(identity.objectId) ?? 0) + 1;
        tokensFor.set(identity.objectId, n);
        const now = Math.floor(Date.now() / 1000);
        const claims = {
            aud: resource,
            iss: `https://sts.windows.net/${options.tenantId}/`,
            iat: now,
            nbf: now,
            exp: now + 3600,
            appid: identity.clientId,
            idtyp: "app",
            oid: identity.objectId,
            sub: identity.objectId,
            tid: options.tenantId,
            roles: ["Exchange.ManageAsApp"],
            wids: [],
            ...(identity.claims?.(n) ?? {}),
        };
        const token = signJwt({ typ: "JWT", alg: "RS256" }, claims, signer.privateKey, "RS256");
        issued.push(token);
        // IMDS gives expires_on as a string of seconds; MSAL reads either.
        return send({
            status: 200,
            body: {
                access_token: token,
                expires_on: imds ? String(now + 3600) : now + 3600,
                resource,
                token_type: "Bearer",
                client_id: identity.clientId,
            },
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Object.assign(endpoint, {
        imdsHost: base,
        appService: { endpoint: `${base}${APP_SERVICE_PATH}`, header },
        close: async () => {
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    });
    return endpoint;
}

/** A loopback port nothing listens on: an identity endpoint that is not there. */
export async function closedPort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}
