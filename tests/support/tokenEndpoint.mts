/**
 * A stand-in for Entra ID's v2.0 token endpoint in the client-credentials flow with a certificate
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow and
 * .../certificate-credentials) or a federated token (learn.microsoft.com/entra/workload-id/
 * workload-identity-federation): HTTPS on loopback under a CA made here with openssl, so a client
 * trusts it through NODE_EXTRA_CA_CERTS with TLS verification intact.
 *
 * It checks a certificate's client assertion as Entra does (signature against the certificate
 * registered for the client id, RS256 or PS256; x5t / x5t#S256 naming that certificate; aud = this
 * token endpoint; iss = sub = client id; nbf/exp), and a federated token as Entra does: an issuer one
 * of the application's federated credentials names, signed RS256 by a key that issuer publishes (found
 * through its OpenID configuration and JWKS, fetched over HTTPS like Entra), in its time range, with a
 * credential's exact subject and its audience. It answers with a signed access token or an
 * Entra-shaped error. A registration can also script a hostile answer (a redirect, escape sequences,
 * an echoed assertion), and a second origin records anything a client is lured to. Everything it
 * received and issued is recorded, so tests can prove none of it was printed or sent elsewhere.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { openssl, tempDir } from "./harness.mts";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The user agent of the endpoint's own requests to an issuer (its OpenID configuration and keys). */
export const ENDPOINT_USER_AGENT = "exo-cba test token endpoint";

/** A federated identity credential on an application, as Entra matches it. */
export interface FederatedRegistration {
    readonly issuer: string;
    readonly subject: string;
    readonly audience: string;
    /**
     * Requests presenting a token this credential would match that are answered AADSTS70021 first, as
     * while a new credential replicates. @default 0
     */
    readonly replicatedAfter?: number;
}

export interface Registration {
    readonly tenantId: string;
    readonly clientId: string;
    /** Certificates registered as the application's key credentials. */
    readonly certificates: readonly string[];
    /** Federated identity credentials on the application. @default none */
    readonly federatedCredentials?: readonly FederatedRegistration[];
    /** The clock skew allowed on a federated token's exp and nbf. @default 300 */
    readonly federatedSkewSeconds?: number;
    /** Requests answered with AADSTS700016 before the application "replicates". @default 0 */
    readonly unknownForFirst?: number;
    /**
     * Claims of the nth access token issued to this client (1-based), over the defaults
     * (aud Exchange Online, tid, appid, roles [Exchange.ManageAsApp], wids []). A claim set to
     * undefined is left out.
     */
    readonly claims?: (n: number) => Record<string, unknown>;
    /**
     * The answer to the nth request from this client (1-based), sent as is instead of Entra's, e.g. a
     * redirect or an error text with escape sequences; undefined lets the endpoint answer normally.
     * `form` is what the client posted (its client assertion included).
     */
    readonly answer?: (n: number, form: Readonly<Record<string, string>>) => RawAnswer | undefined;
}

/** An HTTP answer as a hostile or broken server would send it. */
export interface RawAnswer {
    readonly status: number;
    readonly headers?: Readonly<Record<string, string>>;
    /** A string is sent as is; anything else as JSON. */
    readonly body: unknown;
}

export interface ReceivedRequest {
    readonly method: string;
    readonly path: string;
    readonly form: Readonly<Record<string, string>>;
    readonly status: number;
    /** The AADSTS code answered, if an error. */
    readonly aadsts?: number;
}

export interface TokenEndpoint {
    /** https://127.0.0.1:<port>: what --authority-host takes. */
    readonly authorityHost: string;
    /** PEM file of the CA that signed the server certificate: NODE_EXTRA_CA_CERTS for clients. */
    readonly caFile: string;
    readonly caPem: string;
    /** The server's key and certificate (127.0.0.1, any port): other stand-ins serve with them, trusted through the same CA. */
    readonly tls: { readonly key: string; readonly cert: string };
    register(app: Registration): void;
    /** Every request, in order. */
    readonly received: ReceivedRequest[];
    /** Every access token issued, in order. */
    readonly issued: string[];
    /** Every client assertion received, in order. */
    readonly assertions: string[];
    /** Another origin (another port) that records every request it gets and answers 400: where a redirect can point. */
    readonly elsewhere: { readonly origin: string; readonly received: ReceivedRequest[] };
    /** POSTs a form to a path of the endpoint, trusting only its CA. */
    post(pathname: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
    /** The public key access tokens are signed with, as Entra publishes its keys: what Exchange's stand-in trusts. */
    readonly signingKey: crypto.KeyObject;
    close(): Promise<void>;
}

// Entra tolerates some clock skew on assertions.
const SKEW_SECONDS = 300;

export async function startTokenEndpoint(options: { tenants: readonly string[]; resources?: readonly string[] }): Promise<TokenEndpoint> {
    const { caPem, caFile, keyPem, certPem } = makeServerCertificate();
    const resources = options.resources ?? ["https://outlook.office365.com"];
    const tenants = new Set(options.tenants.map((t) => t.toLowerCase()));
    const apps = new Map<string, Registration>();
    const requestsByClient = new Map<string, number>();
    const tokensByClient = new Map<string, number>();
    const received: ReceivedRequest[] = [];
    const issued: string[] = [];
    const assertions: string[] = [];
    const signer = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const federatedSeen = new Map<FederatedRegistration, number>();
    let base = "";

    const server = https.createServer({ key: keyPem, cert: certPem }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const pathname = new URL(req.url ?? "/", base).pathname;
            const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
            if (form["client_assertion"]) assertions.push(form["client_assertion"]);
            void handle(req.method ?? "", pathname, form).then((answer) => {
                received.push({
                    method: req.method ?? "",
                    path: pathname,
                    form,
                    status: answer.status,
                    ...(answer.aadsts ? { aadsts: answer.aadsts } : {}),
                });
                res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", ...answer.headers });
                res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
            });
        });
    });

    const elsewhereReceived: ReceivedRequest[] = [];
    const elsewhere = https.createServer({ key: keyPem, cert: certPem }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
            if (form["client_assertion"]) assertions.push(form["client_assertion"]);
            elsewhereReceived.push({ method: req.method ?? "", path: new URL(req.url ?? "/", base).pathname, form, status: 400 });
            res.writeHead(400, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify({ error: "invalid_request", error_description: "AADSTS900144: nothing here." }));
        });
    });

    interface Answer {
        status: number;
        headers?: Readonly<Record<string, string>>;
        body: unknown;
        aadsts?: number;
    }

    function fail(status: number, error: string, aadsts: number, message: string): Answer {
        const traceId = crypto.randomUUID();
        const correlationId = crypto.randomUUID();
        const timestamp = new Date()
            .toISOString()
            .replace("T", " ")
            .replace(/\.\d+Z$/, "Z");
        return {
            status,
            aadsts,
            body: {
                error,
                error_description: `AADSTS${aadsts}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
                error_codes: [aadsts],
                timestamp,
                trace_id: traceId,
                correlation_id: correlationId,
                error_uri: `${base}/error?code=${aadsts}`,
            },
        };
    }

    async function handle(method: string, pathname: string, form: Record<string, string>): Promise<Answer> {
        const m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(pathname);
        if (method !== "POST" || !m)
            return { status: 404, body: { error: "not_found", error_description: `nothing at ${method} ${pathname}` } };
        const tenant = decodeURIComponent(m[1]);
        if (!tenants.has(tenant.toLowerCase())) {
            return fail(
                400,
                "invalid_request",
                90002,
                `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
            );
        }
        if (form["grant_type"] !== "client_credentials") {
            return fail(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${form["grant_type"] ?? ""}'.`);
        }
        const clientId = form["client_id"] ?? "";
        const app = apps.get(`${tenant.toLowerCase()}/${clientId.toLowerCase()}`);
        const seen = (requestsByClient.get(clientId) ?? 0) + 1;
        requestsByClient.set(clientId, seen);
        const scripted = app?.answer?.(seen, form);
        if (scripted) return scripted;
        if (!app || seen <= (app.unknownForFirst ?? 0)) {
            return fail(
                400,
                "unauthorized_client",
                700016,
                `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
            );
        }
        if (form["client_assertion_type"] !== JWT_BEARER || !form["client_assertion"]) {
            return fail(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_assertion' of type 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
            );
        }
        const scope = form["scope"] ?? "";
        const resource = resources.find((r) => scope === `${r}/.default`);
        if (!resource) {
            return fail(
                400,
                "invalid_resource",
                500011,
                `The resource principal named ${scope.replace(/\/\.default$/, "")} was not found in the tenant named ${tenant}.`,
            );
        }
        const rejected = isFederated(form["client_assertion"])
            ? await checkFederatedToken(form["client_assertion"], app)
            : checkAssertion(form["client_assertion"], app, `${base}/${tenant}/oauth2/v2.0/token`);
        if (rejected) return rejected;

        const n = (tokensByClient.get(clientId) ?? 0) + 1;
        tokensByClient.set(clientId, n);
        const now = Math.floor(Date.now() / 1000);
        const claims = {
            aud: resource,
            iss: `https://sts.windows.net/${tenant}/`,
            iat: now,
            nbf: now,
            exp: now + 3599,
            appid: clientId,
            appidacr: "2",
            idp: `https://sts.windows.net/${tenant}/`,
            oid: crypto.randomUUID(),
            sub: crypto.randomUUID(),
            tid: tenant,
            roles: ["Exchange.ManageAsApp"],
            wids: [],
            ver: "1.0",
            ...(app.claims?.(n) ?? {}),
        };
        const token = signJwt({ typ: "JWT", alg: "RS256" }, claims, signer.privateKey, "RS256");
        issued.push(token);
        return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token } };
    }

    function checkAssertion(assertion: string, app: Registration, audience: string): Answer | undefined {
        const invalidJwt = () => fail(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
        const parts = assertion.split(".");
        if (parts.length !== 3) return invalidJwt();
        let header: Record<string, unknown>, payload: Record<string, unknown>;
        try {
            header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as Record<string, unknown>;
            payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
        } catch {
            return invalidJwt();
        }
        if (header["alg"] !== "RS256" && header["alg"] !== "PS256") return invalidJwt();
        const certs = app.certificates.map((pem) => new crypto.X509Certificate(pem));
        const used =
            typeof header["x5t#S256"] === "string" ? { alg: "sha256", value: header["x5t#S256"] } : { alg: "sha1", value: header["x5t"] };
        const cert = certs.find((c) => crypto.createHash(used.alg).update(c.raw).digest("base64url") === used.value);
        const keyNotFound = (reason: string) =>
            fail(
                401,
                "invalid_client",
                700027,
                `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - ${reason}, Thumbprint of key used by client: '${typeof used.value === "string" ? Buffer.from(used.value, "base64url").toString("hex").toUpperCase() : ""}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
            );
        if (!cert) return keyNotFound("The key was not found.");
        const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
        const signature = Buffer.from(parts[2], "base64url");
        const ok =
            header["alg"] === "RS256"
                ? crypto.verify("sha256", signed, cert.publicKey, signature)
                : crypto.verify(
                      "sha256",
                      signed,
                      { key: cert.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
                      signature,
                  );
        if (!ok) {
            return fail(
                401,
                "invalid_client",
                700027,
                `Client assertion failed signature validation. [Reason - Key was found, but use of the key to verify the signature failed., Thumbprint of key used by client: '${crypto.createHash("sha1").update(cert.raw).digest("hex").toUpperCase()}']`,
            );
        }
        if (payload["aud"] !== audience) {
            return fail(
                401,
                "invalid_client",
                700023,
                `Client assertion audience claim does not match Realm issuer. Expected '${audience}'.`,
            );
        }
        if (payload["iss"] !== app.clientId || payload["sub"] !== app.clientId) {
            return fail(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
        }
        const now = Math.floor(Date.now() / 1000);
        const exp = payload["exp"];
        const nbf = payload["nbf"];
        if (typeof exp !== "number" || exp + SKEW_SECONDS < now || (typeof nbf === "number" && nbf - SKEW_SECONDS > now)) {
            return fail(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
        }
        return undefined;
    }

    /** A certificate's assertion is issued by the client itself (iss = client id); a federated token by an https issuer. */
    function isFederated(assertion: string): boolean {
        const payload = decodePart(assertion.split(".")[1] ?? "");
        return typeof payload?.["iss"] === "string" && payload["iss"].startsWith("https://");
    }

    async function checkFederatedToken(token: string, app: Registration): Promise<Answer | undefined> {
        const invalidJwt = () => fail(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
        const parts = token.split(".");
        const header = decodePart(parts[0] ?? "");
        const payload = decodePart(parts[1] ?? "");
        if (parts.length !== 3 || !header || !payload) return invalidJwt();
        // "Only issuers that provide tokens signed using the RS256 algorithm are supported" (Entra's considerations page).
        if (header["alg"] !== "RS256") return invalidJwt();
        const iss = String(payload["iss"]);
        const sub = typeof payload["sub"] === "string" ? payload["sub"] : "";
        const audiences = typeof payload["aud"] === "string" ? [payload["aud"]] : Array.isArray(payload["aud"]) ? payload["aud"] : [];
        const credentials = app.federatedCredentials ?? [];
        // A credential that has not replicated yet is unknown to this sign-in server.
        const wouldMatch = credentials.filter((c) => c.issuer === iss && c.subject === sub && audiences.includes(c.audience));
        for (const c of wouldMatch) federatedSeen.set(c, (federatedSeen.get(c) ?? 0) + 1);
        const replicated = credentials.filter((c) => (federatedSeen.get(c) ?? 0) > (c.replicatedAfter ?? 0) || !wouldMatch.includes(c));
        const notYet = wouldMatch.some((c) => !replicated.includes(c));
        const invalidClient = (code: number, message: string) => fail(401, "invalid_client", code, message);
        const noRecord = () =>
            fail(
                400,
                "invalid_request",
                70021,
                `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${audiences.join(",")}'.`,
            );
        const byIssuer = replicated.filter((c) => c.issuer === iss);
        if (byIssuer.length === 0) {
            if (notYet) return noRecord();
            return invalidClient(700211, `No matching federated identity record found for presented assertion issuer '${iss}'.`);
        }

        const keys = await issuerKeys(iss);
        const jwk = keys?.find((k) => k["kid"] === header["kid"]);
        if (!jwk) {
            return invalidClient(
                7000272,
                `The certificate with identifier ${String(header["kid"])} used to sign the federated credential could not be found in the metadata of identity provider ${iss}.`,
            );
        }
        const signed = crypto.verify(
            "sha256",
            Buffer.from(`${parts[0]}.${parts[1]}`),
            crypto.createPublicKey({ key: jwk, format: "jwk" }),
            Buffer.from(parts[2], "base64url"),
        );
        // Entra documents no code for a federated token's bad signature; 50013 is its signature failure for other assertions.
        if (!signed) return invalidClient(50013, "Assertion failed signature validation.");

        const skew = app.federatedSkewSeconds ?? SKEW_SECONDS;
        const now = Math.floor(Date.now() / 1000);
        const exp = payload["exp"];
        const nbf = payload["nbf"];
        if (typeof exp !== "number" || exp + skew < now || (typeof nbf === "number" && nbf - skew > now)) {
            const at = (s: unknown) => (typeof s === "number" ? new Date(s * 1000).toISOString() : "?");
            return invalidClient(
                700024,
                `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${at(nbf)}, expiry time of assertion ${at(exp)}.`,
            );
        }
        const bySubject = byIssuer.filter((c) => c.subject === sub);
        if (bySubject.length === 0) {
            if (notYet) return noRecord();
            if (byIssuer.some((c) => c.subject.toLowerCase() === sub.toLowerCase())) {
                return invalidClient(
                    7002138,
                    `No matching federated identity record found for presented assertion subject '${sub}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison.`,
                );
            }
            return invalidClient(
                700213,
                `No matching federated identity record found for presented assertion subject '${sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
            );
        }
        if (!bySubject.some((c) => audiences.includes(c.audience))) {
            if (notYet) return noRecord();
            return invalidClient(
                700212,
                `No matching federated identity record found for presented assertion audience '${audiences.join(",")}'.`,
            );
        }
        return undefined;
    }

    /** The issuer's signing keys, found as Entra finds them: its OpenID configuration names the JWKS. */
    async function issuerKeys(issuer: string): Promise<Record<string, unknown>[] | undefined> {
        const config = await getJson(`${issuer}/.well-known/openid-configuration`);
        const jwksUri = config?.["jwks_uri"];
        if (typeof jwksUri !== "string") return undefined;
        const jwks = await getJson(jwksUri);
        return Array.isArray(jwks?.["keys"]) ? (jwks["keys"] as Record<string, unknown>[]) : undefined;
    }

    function getJson(url: string): Promise<Record<string, unknown> | undefined> {
        return new Promise((resolve) => {
            const req = https.get(url, { ca: caPem, headers: { "user-agent": ENDPOINT_USER_AGENT } }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    try {
                        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
                    } catch {
                        resolve(undefined);
                    }
                });
            });
            req.on("error", () => resolve(undefined));
        });
    }

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    const elsewhereOrigin = `https://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;

    return {
        authorityHost: base,
        signingKey: signer.publicKey,
        caFile,
        caPem,
        tls: { key: keyPem, cert: certPem },
        register(app) {
            apps.set(`${app.tenantId.toLowerCase()}/${app.clientId.toLowerCase()}`, app);
        },
        received,
        issued,
        assertions,
        elsewhere: { origin: elsewhereOrigin, received: elsewhereReceived },
        post(pathname, form) {
            return new Promise((resolve, reject) => {
                const body = new URLSearchParams(form).toString();
                const req = https.request(
                    `${base}${pathname}`,
                    { method: "POST", ca: caPem, headers: { "content-type": "application/x-www-form-urlencoded" } },
                    (res) => {
                        const chunks: Buffer[] = [];
                        res.on("data", (c: Buffer) => chunks.push(c));
                        res.on("end", () =>
                            resolve({
                                status: res.statusCode ?? 0,
                                body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>,
                            }),
                        );
                    },
                );
                req.on("error", reject);
                req.end(body);
            });
        },
        async close() {
            for (const s of [server, elsewhere]) {
                s.closeAllConnections();
                await new Promise<void>((resolve) => s.close(() => resolve()));
            }
        },
    };
}

function decodePart(part: string): Record<string, unknown> | undefined {
    try {
        const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
        return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/** A compact JWS; RS256 or PS256 (salt = digest length, as Entra and jsonwebtoken use). */
export function signJwt(
    header: Record<string, unknown>,
    payload: Record<string, unknown>,
    key: crypto.KeyObject,
    alg: "RS256" | "PS256",
): string {
    const data = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    const signature =
        alg === "RS256"
            ? crypto.sign("sha256", Buffer.from(data), key)
            : crypto.sign("sha256", Buffer.from(data), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    return `${data}.${signature.toString("base64url")}`;
}

/** A CA and a server certificate for 127.0.0.1 signed by it, made by openssl. */
function makeServerCertificate(): { caPem: string; caFile: string; keyPem: string; certPem: string } {
    const dir = tempDir("token-endpoint-");
    const f = (name: string) => path.join(dir, name);
    openssl([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=exo-cba test token endpoint CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"]);
    fs.writeFileSync(
        f("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    );
    openssl([
        "x509",
        "-req",
        "-in",
        f("server.csr"),
        "-CA",
        f("ca.pem"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        f("server.pem"),
        "-extfile",
        f("server.ext"),
    ]);
    return {
        caPem: fs.readFileSync(f("ca.pem"), "utf8"),
        caFile: f("ca.pem"),
        keyPem: fs.readFileSync(f("server.key"), "utf8"),
        certPem: fs.readFileSync(f("server.pem"), "utf8"),
    };
}
