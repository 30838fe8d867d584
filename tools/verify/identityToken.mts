/**
 * npm run verify, managed identities: the token an Azure resource's identity endpoint issues for one of
 * the stack's identities, through MSAL's ManagedIdentityApplication (msal-node 2.7.0 and later) over
 * verify's network module. MSAL picks the endpoint from the environment (client/ManagedIdentityClient.ts:
 * Service Fabric, App Service, Machine Learning, Cloud Shell, Azure Arc, else IMDS); verify asks MSAL
 * which one it will use and allows that address alone. Supported: IMDS (VMs and scale sets, at
 * 169.254.169.254, or AZURE_POD_IDENTITY_AUTHORITY_HOST) and App Service (Functions, App Service:
 * IDENTITY_ENDPOINT with IDENTITY_HEADER). The others need a secret file (Azure Arc), a custom TLS
 * thumbprint (Service Fabric) or ignore user-assigned identities (Cloud Shell).
 */
import { ManagedIdentityApplication, ManagedIdentitySourceNames } from "@azure/msal-node";
import { UserError } from "../shared/cli.mts";
import { EntraNetwork, msalSystem } from "./entra.mts";
import type { TokenOutcome } from "./outcome.mts";
import { rememberToken } from "../shared/secrets.mts";

/** IMDS's token path (msal-node client/ManagedIdentitySources/Imds.ts; learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token). */
const IMDS_TOKEN_PATH = "/metadata/identity/oauth2/token";
const IMDS_HOST = "http://169.254.169.254";
/**
 * IMDS answers within a second or two on Azure; elsewhere 169.254.169.254 often swallows the connection.
 * Long enough for a first token, short enough to say "not on Azure" soon.
 */
const IDENTITY_TIMEOUT_MS = 20_000;

/** The identity endpoint this host has, as MSAL will call it. */
export interface IdentityEndpoint {
    readonly source: "IMDS" | "App Service";
    /** The token URL, without query. */
    readonly url: string;
    /** App Service's IDENTITY_HEADER: a secret, scrubbed from anything the endpoint says. */
    readonly secret: string | undefined;
}

/** Names of MSAL's sources verify does not call, and why, for the one-line refusal. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
    [ManagedIdentitySourceNames.SERVICE_FABRIC]: "Service Fabric (IDENTITY_SERVER_THUMBPRINT is set)",
    [ManagedIdentitySourceNames.MACHINE_LEARNING]: "Azure Machine Learning (MSI_ENDPOINT and MSI_SECRET are set)",
    [ManagedIdentitySourceNames.CLOUD_SHELL]: "Cloud Shell (MSI_ENDPOINT is set), which signs in as the user, not a managed identity",
    [ManagedIdentitySourceNames.AZURE_ARC]: "Azure Arc (IMDS_ENDPOINT is set, or the Arc agent is installed)",
};

/** The endpoint MSAL will use on this host; a UserError when verify does not support it or a variable is malformed. */
export function identityEndpoint(env: Readonly<Record<string, string | undefined>>): IdentityEndpoint {
    // MSAL reads process.env itself, and keeps its choice for the process: ask it, rather than guess.
    const source = new ManagedIdentityApplication({
        system: { loggerOptions: { loggerCallback: () => undefined } },
    }).getManagedIdentitySource();
    if (source === ManagedIdentitySourceNames.APP_SERVICE) {
        return {
            source: "App Service",
            url: endpointUrl("IDENTITY_ENDPOINT", env["IDENTITY_ENDPOINT"] ?? ""),
            secret: env["IDENTITY_HEADER"],
        };
    }
    if (source === ManagedIdentitySourceNames.DEFAULT_TO_IMDS || source === ManagedIdentitySourceNames.IMDS) {
        const host = env["AZURE_POD_IDENTITY_AUTHORITY_HOST"];
        // MSAL appends the path to the variable as it is (Imds.tryCreate).
        return {
            source: "IMDS",
            url: host ? endpointUrl("AZURE_POD_IDENTITY_AUTHORITY_HOST", `${host}${IMDS_TOKEN_PATH}`) : `${IMDS_HOST}${IMDS_TOKEN_PATH}`,
            secret: undefined,
        };
    }
    throw new UserError(
        `this host's managed identity endpoint is ${UNSUPPORTED[source] ?? source}; verify --managed-identity checks IMDS ` +
            "(VMs, scale sets) and App Service's endpoint (Functions, App Service)",
    );
}

function endpointUrl(variable: string, value: string): string {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new UserError(`${variable} is not a URL, so no managed identity endpoint can be called`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UserError(`${variable} must be an http or https URL`);
    if (url.username || url.password) throw new UserError(`${variable} must not carry a user name or password`);
    return `${url.origin}${url.pathname}`;
}

/**
 * The identity endpoint's address, as MSAL may write it: it canonicalises a URL it validated (lower
 * case, a trailing slash: msal-common UrlString.canonicalizeUri), so AZURE_POD_IDENTITY_AUTHORITY_HOST's
 * token URL ends in "/token/". Same origin, same path but for those two.
 */
function sameEndpoint(url: string, expected: string): boolean {
    try {
        const u = new URL(url);
        const e = new URL(expected);
        const path = (p: string) => p.toLowerCase().replace(/\/+$/, "");
        return u.origin === e.origin && path(u.pathname) === path(e.pathname);
    } catch {
        return false;
    }
}

export interface ManagedIdentityTokenRequest {
    readonly endpoint: IdentityEndpoint;
    /** Exchange Online's resource, e.g. https://outlook.office365.com */
    readonly resource: string;
    /** A user-assigned identity's client id; undefined for the system-assigned one. */
    readonly clientId: string | undefined;
}

/**
 * One token request to the identity endpoint. forceRefresh: MSAL's token cache is static for the process,
 * and a cached token would hide a role granted since the last attempt. MSAL's own retries are off
 * (msalSystem): the retry loop retries, with progress.
 */
export async function requestManagedIdentityToken(r: ManagedIdentityTokenRequest): Promise<TokenOutcome> {
    const network = new EntraNetwork((method, url) => method === "GET" && sameEndpoint(url, r.endpoint.url), {
        service: "the identity endpoint",
        timeoutMs: IDENTITY_TIMEOUT_MS,
        ...(r.endpoint.secret ? { secrets: [r.endpoint.secret] } : {}),
    });
    const app = new ManagedIdentityApplication({
        ...(r.clientId === undefined ? {} : { managedIdentityIdParams: { userAssignedClientId: r.clientId } }),
        system: msalSystem(network),
    });
    try {
        const result = await app.acquireToken({ resource: r.resource, forceRefresh: true });
        if (!result?.accessToken) return { kind: "network", message: "the identity endpoint answered without an access token" };
        rememberToken(result.accessToken);
        return { kind: "token", accessToken: result.accessToken };
    } catch (e) {
        return network.outcomeOfFailure(e);
    }
}
