/**
 * npm run verify, the token request: one client-credentials request to Entra's token endpoint through
 * MSAL, with a certificate's client assertion or a workload's federated token, over a network module of
 * our own. Every request verify makes goes through that module (EntraNetwork): MSAL's, given it with
 * msalSystem() and never its default one, and verify's own (GitHub's OIDC endpoint), so that it
 * contacts nothing but the addresses its sign-in mode allows, it follows no redirect (a 307 would
 * re-post the signed client assertion to whatever origin the answer names), it reads at most
 * MAX_ANSWER_BYTES, and everything a server says is made safe to print before it leaves this module.
 * Key bytes, client assertions, federated tokens, request secrets and the token never appear in a message.
 */
import {
    ConfidentialClientApplication,
    type INetworkModule,
    LogLevel,
    type NetworkRequestOptions,
    type NetworkResponse,
    type NodeSystemOptions,
} from "@azure/msal-node";
import type { KeyObject, X509Certificate } from "node:crypto";
import { parseJson } from "../../components/json.ts";
import { UserError } from "../shared/cli.mts";
import type { EntraError, NetworkFailure, TokenOutcome } from "./outcome.mts";
import { rememberToken, tokenSegments } from "../shared/secrets.mts";
import { oneLine } from "./report.mts";

/** A token answer is a few kilobytes; anything this large is not Entra's. */
export const MAX_ANSWER_BYTES = 1024 * 1024;
const TIMEOUT_MS = 60_000;
/** Server texts are cut to this many characters for a report line. */
const SERVER_TEXT_CHARS = 400;

/**
 * How the application proves itself: a client assertion MSAL signs with the certificate's key, or one
 * the workload already has (a federated token: GitHub's, Azure DevOps', a Kubernetes service account's),
 * sent as is (RFC 7523 jwt-bearer; learn.microsoft.com/entra/workload-id/workload-identity-federation).
 */
export type ClientCredential =
    | {
          readonly kind: "certificate";
          readonly certificate: X509Certificate;
          readonly certificatePem: string;
          readonly key: KeyObject;
      }
    | { readonly kind: "assertion"; readonly assertion: string };

export interface AppTokenRequest {
    /** An https origin, e.g. https://login.microsoftonline.com */
    readonly authorityHost: string;
    /** An https origin, e.g. https://outlook.office365.com */
    readonly resource: string;
    readonly tenantId: string;
    readonly clientId: string;
    readonly credential: ClientCredential;
}

/** The v2.0 token endpoint of a tenant: the one address an app-only sign-in talks to. */
export function tokenEndpoint(authorityHost: string, tenantId: string): string {
    return `${authorityHost}/${tenantId}/oauth2/v2.0/token`;
}

/**
 * One app-only token request. MSAL is given the authority's metadata so it contacts nothing but the
 * token endpoint (no instance discovery, no OpenID configuration), and a fresh application each time
 * so no cached token hides a change.
 */
export async function requestAppToken(r: AppTokenRequest): Promise<TokenOutcome> {
    const host = new URL(r.authorityHost).host;
    const tenantBase = `${r.authorityHost}/${r.tenantId}`;
    const endpoint = tokenEndpoint(r.authorityHost, r.tenantId);
    const network = new EntraNetwork((method, url) => method === "POST" && sameAddress(url, endpoint));
    const credential = r.credential;
    const app = new ConfidentialClientApplication({
        auth: {
            clientId: r.clientId,
            authority: tenantBase,
            knownAuthorities: [host],
            authorityMetadata: JSON.stringify({
                token_endpoint: endpoint,
                authorization_endpoint: `${tenantBase}/oauth2/v2.0/authorize`,
                end_session_endpoint: `${tenantBase}/oauth2/v2.0/logout`,
                jwks_uri: `${tenantBase}/discovery/v2.0/keys`,
                issuer: `${tenantBase}/v2.0`,
            }),
            cloudDiscoveryMetadata: JSON.stringify({
                tenant_discovery_endpoint: `${tenantBase}/v2.0/.well-known/openid-configuration`,
                metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
            }),
            ...(credential.kind === "certificate"
                ? {
                      clientCertificate: {
                          // SHA-256 thumbprint: MSAL then signs PS256 and sends x5t#S256, which Entra prefers over SHA-1.
                          thumbprintSha256: credential.certificate.fingerprint256.replaceAll(":", ""),
                          privateKey: credential.key.export({ type: "pkcs8", format: "pem" }).toString(),
                          x5c: credential.certificatePem,
                      },
                  }
                : // A string, not a callback: one request per application, and the retry loop brings a fresh token.
                  { clientAssertion: credential.assertion }),
        },
        system: msalSystem(network),
    });
    try {
        const result = await app.acquireTokenByClientCredential({ scopes: [`${r.resource}/.default`], skipCache: true });
        if (!result?.accessToken) return { kind: "network", message: "the token endpoint answered without an access token" };
        rememberToken(result.accessToken);
        return { kind: "token", accessToken: result.accessToken };
    } catch (e) {
        return network.outcomeOfFailure(e);
    }
}

/**
 * MSAL's system options for every application verify creates: our network module, no retries of
 * MSAL's own (the retry loop retries, with progress), no logging (MSAL's logs can hold PII).
 */
export function msalSystem(network: EntraNetwork): NodeSystemOptions {
    return {
        networkClient: network,
        disableInternalRetries: true,
        loggerOptions: { loggerCallback: () => undefined, piiLoggingEnabled: false, logLevel: LogLevel.Error },
    };
}

/** Which requests a sign-in mode may make: everything else is refused before it leaves the machine. */
export type AllowedRequest = (method: "GET" | "POST", url: string) => boolean;

export interface NetworkOptions {
    /** Who answers, for messages: "Entra" (the default), "the identity endpoint", ... */
    readonly service?: string;
    /** @default 60 seconds */
    readonly timeoutMs?: number;
    /** Values sent that must never come back out (a request's bearer token, an identity header): removed from server texts. */
    readonly secrets?: readonly string[];
}

/**
 * MSAL's INetworkModule over fetch, and verify's own requests. It keeps what MSAL's default client
 * drops: why a request failed (refused, DNS, an untrusted TLS proxy), the HTTP status (throttling and
 * outages are not refusals), and the service's error answer, read from the body itself.
 */
export class EntraNetwork implements INetworkModule {
    /** Why the last request got no usable answer, in words for the report. */
    failure: string | undefined;
    /** The failure is one trying again will not change. */
    lasting = false;
    /** How the last request failed, when it did: a connection error's code, TIMEOUT, "not-json", "redirect", "too-large". */
    failureCode: string | undefined;
    status: number | undefined;
    /** The OAuth (or identity endpoint) error in the last answer, made safe to print. */
    refusal: EntraError | undefined;
    readonly service: string;
    private readonly allowed: AllowedRequest;
    private readonly timeoutMs: number;
    /** What was sent that must never come back out (client assertions, request secrets): removed from server texts. */
    private readonly sent: { value: string; marker: string }[] = [];

    constructor(allowed: AllowedRequest, options: NetworkOptions = {}) {
        this.allowed = allowed;
        this.service = options.service ?? "Entra";
        this.timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
        for (const secret of options.secrets ?? []) this.willSend(secret, "[secret redacted]");
    }

    /**
     * A value a request carries: it, and each of its segments alone (a JWT's header, payload or
     * signature: a server can echo any one without the dots), are removed from what the server says,
     * and never printed by the report either (rememberToken).
     */
    private willSend(value: string, marker: string): void {
        if (value === "") return;
        rememberToken(value);
        for (const v of [value, ...tokenSegments(value)]) if (!this.sent.some((s) => s.value === v)) this.sent.push({ value: v, marker });
        // Longest first: the whole value goes before any segment of it.
        this.sent.sort((a, b) => b.value.length - a.value.length);
    }

    sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        return this.send<T>(url, "GET", options);
    }

    sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        return this.send<T>(url, "POST", options);
    }

    /**
     * One request, never following a redirect: the answer is reported instead (RFC 9110 15.4.8: a 307 repeats
     * the POST, assertion included). A request that gets no answer fails with the reason.
     */
    private async fetchOnce(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response> {
        try {
            const response = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(this.timeoutMs) });
            this.status = response.status;
            return response;
        } catch (e) {
            throw this.fail(describeFetchError(e, this.timeoutMs), isTlsTrustError(e), fetchErrorCode(e));
        }
    }

    /** A redirect's Location ("" when it has none), its body discarded; undefined for any other answer. */
    private async redirection(response: Response): Promise<string | undefined> {
        if (response.status < 300 || response.status >= 400) return undefined;
        await response.body?.cancel();
        return response.headers.get("location") ?? "";
    }

    private fail(message: string, lasting = false, code?: string): Error {
        this.failure = message;
        this.lasting = lasting;
        this.failureCode = code;
        return new Error(message);
    }

    private async send<T>(url: string, method: "GET" | "POST", options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        if (!this.allowed(method, url)) {
            throw this.fail(`a request for ${method} ${oneLine(originOf(url))}, which verify does not contact`, true, "not-allowed");
        }
        const body = method === "POST" ? (options?.body ?? "") : undefined;
        if (body) {
            const assertion = new URLSearchParams(body).get("client_assertion");
            if (assertion) this.willSend(assertion, "[client assertion redacted]");
        }
        const response = await this.fetchOnce(url, { method, headers: options?.headers ?? {}, ...(body !== undefined ? { body } : {}) });
        const location = await this.redirection(response);
        if (location !== undefined) {
            throw this.fail(
                `unexpected answer: a redirect (HTTP ${response.status}${location ? ` to ${oneLine(originOf(location, url), 120)}` : ""}); ` +
                    "verify follows no redirects, so nothing was sent there",
                true,
                "redirect",
            );
        }
        return this.jsonAnswer<T>(response);
    }

    /**
     * A GET whose answer is meant to be a redirect (Security & Compliance names the tenant's own host that
     * way): its Location is returned, never followed. Any other answer is read as send() reads one.
     */
    async readRedirect(
        url: string,
        headers: Record<string, string>,
    ): Promise<{ readonly status: number; readonly location?: string; readonly body?: Record<string, unknown> }> {
        if (!this.allowed("GET", url)) {
            throw this.fail(`a request for GET ${oneLine(originOf(url))}, which verify does not contact`, true, "not-allowed");
        }
        const response = await this.fetchOnce(url, { method: "GET", headers });
        const location = await this.redirection(response);
        if (location !== undefined) return { status: response.status, ...(location ? { location } : {}) };
        const answer = await this.jsonAnswer<Record<string, unknown>>(response);
        return { status: answer.status, body: answer.body };
    }

    /** An answer's body as the JSON object it must be, within the size and depth limits. */
    private async jsonAnswer<T>(response: Response): Promise<NetworkResponse<T>> {
        const text = await this.readAnswer(response);
        const json = parseJson(text);
        if ("problem" in json) {
            throw this.fail(
                json.problem === "not JSON"
                    ? `unexpected answer (HTTP ${response.status}), not JSON: a proxy or captive portal?`
                    : `unexpected answer (HTTP ${response.status}), JSON ${json.problem}: not ${this.service}'s`,
                false,
                "not-json",
            );
        }
        const parsed = json.value;
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
            throw this.fail(`unexpected answer (HTTP ${response.status}), not a JSON object`, false, "not-json");
        }
        this.refusal = response.status >= 400 ? this.errorAnswer(parsed as Record<string, unknown>, response.status) : undefined;
        return { headers: Object.fromEntries(response.headers), body: parsed as T, status: response.status };
    }

    /** The body as text, refusing more than MAX_ANSWER_BYTES (an endless answer cannot exhaust memory). */
    private async readAnswer(response: Response): Promise<string> {
        const chunks: Uint8Array[] = [];
        let size = 0;
        try {
            for await (const chunk of response.body ?? []) {
                size += chunk.length;
                // Leaving the loop cancels the stream: nothing more is read.
                if (size > MAX_ANSWER_BYTES) {
                    throw this.fail(
                        `unexpected answer (HTTP ${response.status}) larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`,
                        true,
                        "too-large",
                    );
                }
                chunks.push(chunk);
            }
        } catch (e) {
            if (this.failure) throw e;
            throw this.fail(describeFetchError(e, this.timeoutMs), false, fetchErrorCode(e));
        }
        return Buffer.concat(chunks).toString("utf8");
    }

    /**
     * The error in an answer: Entra's OAuth shape ({ error, error_description, error_codes }, which IMDS
     * passes on), App Service's identity endpoint's ({ statusCode, message }; older ones capitalise
     * them), or an { error: { code, message } } object. Undefined when the body says nothing.
     */
    private errorAnswer(body: Record<string, unknown>, status: number): EntraError | undefined {
        const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
        const nested = body["error"] !== null && typeof body["error"] === "object" ? (body["error"] as Record<string, unknown>) : {};
        const error = text(body["error"]) ?? text(nested["code"]) ?? "";
        const description =
            text(body["error_description"]) ?? text(body["message"]) ?? text(body["Message"]) ?? text(nested["message"]) ?? "";
        if (error === "" && description === "") return undefined;
        // Entra's description continues with Trace ID, Correlation ID and Timestamp lines: the first line says it.
        const firstLine = this.said(description.split(/\r?\n/)[0] ?? "");
        const codes = body["error_codes"];
        const listed = Array.isArray(codes) && Number.isSafeInteger(codes[0]) ? (codes[0] as number) : undefined;
        const quoted = /^AADSTS(\d{1,9}):/.exec(firstLine)?.[1];
        return { error: this.said(error, 80), aadsts: listed ?? (quoted ? Number(quoted) : undefined), description: firstLine, status };
    }

    /**
     * A server's text for a report: what we sent removed (whole, and each segment alone), tokens
     * redacted, control characters escaped, one line, shortened (after the removal, so no part of a
     * value is left by the cut).
     */
    said(text: string, max = SERVER_TEXT_CHARS): string {
        let scrubbed = text;
        for (const { value, marker } of this.sent) scrubbed = scrubbed.replaceAll(value, marker);
        return oneLine(scrubbed, max);
    }

    /** What a failed request means, from what this module saw on the wire (`e`: what MSAL threw, if MSAL made it). */
    outcomeOfFailure(e?: unknown): TokenOutcome {
        if (this.failure) return this.networkFailure(this.failure, this.lasting, this.failureCode);
        const status = this.status ?? 0;
        if (this.refusal) {
            // Throttling and outages pass; they say nothing about the application.
            if (status === 429 || status >= 500) {
                return this.networkFailure(`${this.service} answered HTTP ${status}: ${this.refusal.description || this.refusal.error}`);
            }
            return { kind: "entra", error: this.refusal };
        }
        // MSAL's own error codes ("invalid_grant", ...) are its constants, not the server's text.
        const code = (e as { errorCode?: unknown } | undefined)?.errorCode;
        return this.networkFailure(
            `unexpected answer (HTTP ${status || "none"})${typeof code === "string" && code ? `: ${oneLine(code, 80)}` : ""}`,
        );
    }

    private networkFailure(message: string, lasting = false, code?: string): NetworkFailure {
        return { kind: "network", message, ...(lasting ? { lasting } : {}), ...(code ? { code } : {}) };
    }
}

/** The same scheme, host, port and path (the query is free: MSAL and the services put parameters there). */
export function sameAddress(url: string, expected: string): boolean {
    try {
        const u = new URL(url);
        const e = new URL(expected);
        return u.origin === e.origin && u.pathname === e.pathname;
    } catch {
        return false;
    }
}

/** Scheme, host and port of a URL (relative ones resolved against `base`): never its path or query, which can carry anything. */
export function originOf(url: string, base?: string): string {
    try {
        return new URL(url, base).origin;
    } catch {
        return "an unreadable address";
    }
}

function isTlsTrustError(e: unknown): boolean {
    const code = (e as { cause?: { code?: unknown } }).cause?.code;
    return typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO/.test(code);
}

/** The error code of a failed connection (ECONNREFUSED, ENOTFOUND, ...), TIMEOUT, or undefined. */
function fetchErrorCode(e: unknown): string | undefined {
    const err = e as Error & { cause?: { code?: unknown } };
    if (err.name === "TimeoutError") return "TIMEOUT";
    return typeof err.cause?.code === "string" ? err.cause.code : undefined;
}

function describeFetchError(e: unknown, timeoutMs: number): string {
    const err = e as Error & { cause?: { code?: unknown; message?: unknown } };
    if (err.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} seconds`;
    const code = typeof err.cause?.code === "string" ? err.cause.code : undefined;
    if (isTlsTrustError(e)) {
        return `TLS certificate not trusted (${code}); behind a TLS-inspecting proxy, point NODE_EXTRA_CA_CERTS at its CA certificate`;
    }
    const message = typeof err.cause?.message === "string" ? err.cause.message : undefined;
    return oneLine(message || code || err.message || "the request failed", 200);
}

/** An https URL reduced to its origin (--authority-host, --resource): Entra and Exchange Online are addressed by host. */
export function httpsOrigin(flag: string, text: string, example: string): string {
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw new UserError(`${flag} must be an https URL such as ${example} (got ${JSON.stringify(oneLine(text, 80))})`);
    }
    // Not quoted: a user name or password in the URL must not reach the output.
    if (url.username || url.password) throw new UserError(`${flag} must not carry a user name or password`);
    if (url.protocol !== "https:") throw new UserError(`${flag} must use https (got ${JSON.stringify(oneLine(text, 80))})`);
    if (url.pathname !== "/" || url.search || url.hash) {
        throw new UserError(`${flag} is a host only, without a path (got ${JSON.stringify(oneLine(text, 80))})`);
    }
    return url.origin;
}
