/**
 * npm run verify, the I/O: the private key (stack output, PEM file or PFX) and the token request to
 * Entra through MSAL. Key bytes, the client assertion and the token never leave this module in an
 * error message: only where they came from.
 */
import {
    ConfidentialClientApplication,
    type INetworkModule,
    LogLevel,
    type NetworkRequestOptions,
    type NetworkResponse,
    ServerError,
} from "@azure/msal-node";
import { type KeyObject, X509Certificate, createPrivateKey } from "node:crypto";
import * as fs from "node:fs";
import forge from "node-forge";
import { PFX_PASSWORD_VARIABLE } from "./pfx.mts";
import type { EntraError, KeyMaterial, StackFacts, TokenOutcome } from "./verify.mts";

export { PFX_PASSWORD_VARIABLE };

/** A key file or key output a person must fix; the message never quotes key material or the password. */
export class KeyError extends Error {}

/** The key in the stack's privateKeyPem output (self-signed stacks). */
export function keyFromOutput(pem: string): KeyMaterial {
    return { key: pemKey(pem, "output privateKeyPem"), origin: "stack output privateKeyPem", certificates: [] };
}

/** A PEM private key (optionally with certificates) or a PKCS#12 (.pfx/.p12) file. */
export function keyFromFile(file: string, password: string | undefined): KeyMaterial {
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(file);
    } catch (e) {
        throw new KeyError(`cannot read --key-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const text = bytes.toString("latin1");
    if (text.includes("-----BEGIN")) {
        const certificates = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].flatMap((m) =>
            readCertificate(m[0]),
        );
        return { key: pemKey(text, file), origin: file, certificates };
    }
    return pfxKey(bytes, file, password);
}

function pemKey(pem: string, origin: string): KeyObject {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
        throw new KeyError(
            `${origin} holds an encrypted PEM key: decrypt it (openssl pkey -in <file> -out <new file>) or pass a PFX with its password in ${PFX_PASSWORD_VARIABLE}`,
        );
    }
    const block = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem);
    if (!block) {
        throw new KeyError(
            `${origin} has no private key block (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); a certificate alone cannot sign`,
        );
    }
    try {
        return createPrivateKey(block[0]);
    } catch {
        throw new KeyError(`${origin} has a private key block that is not a readable key`);
    }
}

function pfxKey(bytes: Buffer, file: string, password: string | undefined): KeyMaterial {
    let p12: forge.pkcs12.Pkcs12Pfx;
    try {
        const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString("binary")));
        p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password ?? "");
    } catch (e) {
        if (/password/i.test((e as Error).message)) {
            throw new KeyError(
                password === undefined
                    ? `${file} is a password-protected PFX: put its password in the environment variable ${PFX_PASSWORD_VARIABLE}`
                    : `${file}: the PFX password in ${PFX_PASSWORD_VARIABLE} is not this file's password`,
            );
        }
        throw new KeyError(`${file} is neither a PEM key nor a PFX (PKCS#12) file`);
    }
    const bags = [
        ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
        ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
    ];
    if (bags.length === 0) throw new KeyError(`${file} has no private key, only certificates: export the PFX with its key`);
    if (bags.length > 1) throw new KeyError(`${file} has ${bags.length} private keys; export a PFX with only the certificate's key`);
    const bag = bags[0];
    let key: KeyObject;
    try {
        // forge decodes RSA keys only; anything else (EC) is read from the DER so the RSA check can name it.
        key = bag.key
            ? createPrivateKey(forge.pki.privateKeyToPem(bag.key))
            : createPrivateKey({ key: Buffer.from(forge.asn1.toDer(bag.asn1).getBytes(), "binary"), format: "der", type: "pkcs8" });
    } catch {
        throw new KeyError(`${file} has a private key that cannot be read`);
    }
    const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
    const certificates = certBags.flatMap((b) => (b.cert ? readCertificate(forge.pki.certificateToPem(b.cert)) : []));
    return { key, origin: file, certificates };
}

function readCertificate(pem: string): X509Certificate[] {
    try {
        return [new X509Certificate(pem)];
    } catch {
        return [];
    }
}

export interface TokenRequest {
    readonly facts: StackFacts;
    readonly key: KeyObject;
    /** e.g. https://login.microsoftonline.com */
    readonly authorityHost: string;
    /** e.g. https://outlook.office365.com */
    readonly resource: string;
}

/**
 * One client-credentials request with a certificate-signed assertion. MSAL is given the
 * authority's metadata so it contacts nothing but the token endpoint (no instance discovery,
 * no OpenID configuration), and a fresh application each time so no cached token hides a change.
 */
export async function requestToken(r: TokenRequest): Promise<TokenOutcome> {
    const origin = new URL(r.authorityHost).origin;
    const host = new URL(origin).host;
    const tenantBase = `${origin}/${r.facts.tenantId}`;
    const network = new FetchClient();
    const app = new ConfidentialClientApplication({
        auth: {
            clientId: r.facts.appId,
            authority: tenantBase,
            knownAuthorities: [host],
            authorityMetadata: JSON.stringify({
                token_endpoint: `${tenantBase}/oauth2/v2.0/token`,
                authorization_endpoint: `${tenantBase}/oauth2/v2.0/authorize`,
                end_session_endpoint: `${tenantBase}/oauth2/v2.0/logout`,
                jwks_uri: `${tenantBase}/discovery/v2.0/keys`,
                issuer: `${tenantBase}/v2.0`,
            }),
            cloudDiscoveryMetadata: JSON.stringify({
                tenant_discovery_endpoint: `${tenantBase}/v2.0/.well-known/openid-configuration`,
                metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
            }),
            clientCertificate: {
                // SHA-256 thumbprint: MSAL then signs PS256 and sends x5t#S256, which Entra prefers over SHA-1.
                thumbprintSha256: r.facts.certificate.fingerprint256.replaceAll(":", ""),
                privateKey: r.key.export({ type: "pkcs8", format: "pem" }).toString(),
                x5c: r.facts.certificatePem,
            },
        },
        system: {
            networkClient: network,
            // Our own loop retries, with progress; MSAL's would hide attempts.
            disableInternalRetries: true,
            loggerOptions: { loggerCallback: () => undefined, piiLoggingEnabled: false, logLevel: LogLevel.Error },
        },
    });
    try {
        const result = await app.acquireTokenByClientCredential({ scopes: [`${r.resource}/.default`], skipCache: true });
        if (!result?.accessToken) return { kind: "network", message: "the token endpoint answered without an access token" };
        return { kind: "token", accessToken: result.accessToken };
    } catch (e) {
        if (network.failure) return { kind: "network", message: network.failure, lasting: network.lasting };
        const status = network.lastStatus ?? 0;
        if (e instanceof ServerError && (e.errorCode || e.errorNo)) {
            const error = entraError(e);
            // Throttling and outages pass; they say nothing about the application.
            if (status === 429 || status >= 500)
                return { kind: "network", message: `Entra answered HTTP ${status}: ${error.description || error.error}` };
            return { kind: "entra", error };
        }
        return {
            kind: "network",
            message: `unexpected answer (HTTP ${status || "none"}): ${(e as { errorCode?: string }).errorCode ?? (e as Error).name}`,
        };
    }
}

/**
 * MSAL's default client drops why a request failed (refused, DNS, an untrusted TLS proxy); this one
 * keeps it for the message, and the status for telling outages from refusals.
 */
class FetchClient implements INetworkModule {
    failure: string | undefined;
    lasting = false;
    lastStatus: number | undefined;

    sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        return this.send<T>(url, "GET", options);
    }

    sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        return this.send<T>(url, "POST", options);
    }

    private async send<T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        let response: Response;
        try {
            response = await fetch(url, {
                method,
                headers: options?.headers ?? {},
                ...(method === "POST" ? { body: options?.body ?? "" } : {}),
                signal: AbortSignal.timeout(60_000),
            });
        } catch (e) {
            this.failure = describeFetchError(e);
            this.lasting = isTlsTrustError(e);
            throw e;
        }
        this.lastStatus = response.status;
        const text = await response.text();
        let body: T;
        try {
            body = JSON.parse(text) as T;
        } catch {
            this.failure = `the answer (HTTP ${response.status}) is not JSON: a proxy or captive portal?`;
            throw new Error(this.failure);
        }
        return { headers: Object.fromEntries(response.headers), body, status: response.status };
    }
}

function isTlsTrustError(e: unknown): boolean {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    return code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO/.test(code);
}

function describeFetchError(e: unknown): string {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError") return "no answer within 60 seconds";
    const cause = err.cause;
    if (isTlsTrustError(e)) {
        return `TLS certificate not trusted (${cause!.code}); behind a TLS-inspecting proxy, point NODE_EXTRA_CA_CERTS at its CA certificate`;
    }
    return cause?.message || cause?.code || err.message;
}

/** MSAL's ServerError → Entra's error, first line of the description only (Trace/Correlation ids follow). */
export function entraError(e: ServerError): EntraError {
    // MSAL's message is "Error(s): <codes> - Timestamp: … - Description: <description> - Correlation ID: …".
    const description = /Description: ([\s\S]*?)(?: - Correlation ID:|$)/.exec(e.errorMessage)?.[1] ?? e.errorMessage;
    const firstLine = description.split(/\r?\n/)[0].trim();
    const code = e.errorNo ? Number(e.errorNo) : Number(/AADSTS(\d+)/.exec(firstLine)?.[1] ?? NaN);
    return { error: e.errorCode, aadsts: Number.isFinite(code) ? code : undefined, description: firstLine };
}
