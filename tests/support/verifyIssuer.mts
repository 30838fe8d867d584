/**
 * A stand-in OIDC issuer for federated sign-ins, HTTPS on loopback with the token endpoint's server
 * certificate (so one CA trusts both): it publishes its OpenID configuration and JWKS, which the
 * stand-in token endpoint fetches as Entra does, signs workload tokens RS256 with its published key,
 * and answers GitHub Actions' token request the way the runner's endpoint does (actions/toolkit
 * packages/core/src/oidc-utils.ts: GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=<aud> with
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN as bearer, answer `{ "value": <JWT> }`). Every request and every
 * token it issued is recorded, so tests can prove what was asked and that no token was printed.
 */
import * as crypto from "node:crypto";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { ENDPOINT_USER_AGENT, type RawAnswer, signJwt } from "./tokenEndpoint.mts";

const REQUEST_PATH = "/_apis/distributedtask/hubs/Actions/idtoken";

export interface IssuerRequest {
    readonly method: string;
    readonly path: string;
    readonly query: Readonly<Record<string, string>>;
    /** The stand-in token endpoint fetching keys, rather than the client under test. */
    readonly byTokenEndpoint: boolean;
    /** The Authorization header sent, if any. */
    readonly authorization: string | undefined;
    readonly status: number;
}

export interface TokenClaimsSpec {
    readonly sub: string;
    readonly aud: string | readonly string[];
    /** Seconds from now. @default 300 */
    readonly expiresIn?: number;
    /** Sign with a key the issuer does not publish. */
    readonly unpublishedKey?: boolean;
}

export interface Issuer {
    /** https://127.0.0.1:<port>: the `iss` of its tokens, and what a federated credential names. */
    readonly url: string;
    /** A workload token, RS256 with the published key unless told otherwise. */
    sign(claims: TokenClaimsSpec): string;
    /** GitHub Actions' variables: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
    readonly gitHub: { readonly requestUrl: string; readonly requestToken: string };
    /** The subject of the tokens the GitHub endpoint issues (a job's: repo:<owner>/<repo>:environment:<env>). */
    gitHubSubject: string;
    /** The answer to the nth GitHub token request (1-based) instead of the endpoint's, e.g. a redirect. */
    gitHubAnswer: ((n: number) => RawAnswer | undefined) | undefined;
    /** Every request, in order. */
    readonly received: IssuerRequest[];
    /** Every token signed, in order. */
    readonly issued: string[];
    close(): Promise<void>;
}

export async function startIssuer(options: { tls: { key: string; cert: string }; gitHubSubject: string }): Promise<Issuer> {
    const published = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const unpublished = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const kid = crypto
        .createHash("sha256")
        .update(published.publicKey.export({ type: "spki", format: "der" }))
        .digest("base64url");
    const requestToken = `ghs-request-${crypto.randomBytes(24).toString("hex")}`;
    const received: IssuerRequest[] = [];
    const issued: string[] = [];
    let url = "";
    let gitHubRequests = 0;

    const sign = (c: TokenClaimsSpec): string => {
        const now = Math.floor(Date.now() / 1000);
        const token = signJwt(
            { alg: "RS256", typ: "JWT", kid: c.unpublishedKey ? `${kid}-other` : kid },
            { iss: url, sub: c.sub, aud: c.aud, iat: now, nbf: now, exp: now + (c.expiresIn ?? 300), jti: crypto.randomUUID() },
            c.unpublishedKey ? unpublished.privateKey : published.privateKey,
            "RS256",
        );
        issued.push(token);
        return token;
    };

    const issuer: Issuer = {
        url: "",
        sign,
        gitHub: { requestUrl: "", requestToken },
        gitHubSubject: options.gitHubSubject,
        gitHubAnswer: undefined,
        received,
        issued,
        close: () => Promise.resolve(),
    };

    const server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
        const u = new URL(req.url ?? "/", url);
        const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
            received.push({
                method: req.method ?? "",
                path: u.pathname,
                query: Object.fromEntries(u.searchParams),
                byTokenEndpoint: req.headers["user-agent"] === ENDPOINT_USER_AGENT,
                authorization: req.headers.authorization,
                status,
            });
            res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
            res.end(typeof body === "string" ? body : JSON.stringify(body));
        };
        if (req.method === "GET" && u.pathname === "/.well-known/openid-configuration") {
            return answer(200, { issuer: url, jwks_uri: `${url}/.well-known/jwks`, id_token_signing_alg_values_supported: ["RS256"] });
        }
        if (req.method === "GET" && u.pathname === "/.well-known/jwks") {
            return answer(200, { keys: [{ ...published.publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] });
        }
        if (req.method === "GET" && u.pathname === REQUEST_PATH) {
            gitHubRequests += 1;
            const scripted = issuer.gitHubAnswer?.(gitHubRequests);
            if (scripted) return answer(scripted.status, scripted.body, { ...scripted.headers });
            if (req.headers.authorization !== `Bearer ${requestToken}`) return answer(401, { message: "Unauthorized" });
            // GitHub's default audience is the repository owner's URL (docs.github.com, OIDC reference).
            const aud = u.searchParams.get("audience") ?? "https://github.com/contoso";
            return answer(200, { count: 1, value: sign({ sub: issuer.gitHubSubject, aud }) });
        }
        return answer(404, { message: "Not Found" });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Object.assign(issuer, {
        url,
        // The runner's URL already has a query: the toolkit appends "&audience=...".
        gitHub: { requestUrl: `${url}${REQUEST_PATH}?api-version=2.0`, requestToken },
        close: async () => {
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    });
    return issuer;
}
