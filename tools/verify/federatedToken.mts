/**
 * npm run verify, federated tokens: the workload's own token (a JWT its platform issued: GitHub Actions,
 * Azure DevOps, a Kubernetes service account), read from a file or asked of GitHub Actions' OIDC
 * endpoint, which Entra takes as the application's client assertion. Entra checks its signature with
 * the issuer's published keys; verify does not (that would be one more address to contact): it reads
 * the claims to say which credential is tried and to catch an expired token or a wrong audience before
 * anything is sent. The token is a secret: no message quotes it, only its issuer, subject and audience.
 */
import { parseJson } from "../../components/json.ts";
import { UserError, readInputFile } from "../shared/cli.mts";
import { EntraNetwork, sameAddress } from "./entra.mts";
import type { NetworkFailure } from "./outcome.mts";
import { rememberToken } from "../shared/secrets.mts";
import { oneLine } from "./report.mts";

/** A workload token is one or two kilobytes; reading stops here (`--federated-token-file /dev/zero`). */
export const MAX_FEDERATED_TOKEN_BYTES = 64 * 1024;

/**
 * GitHub Actions gives a job with `permissions: id-token: write` these two variables: a URL to ask for
 * an OIDC token and a bearer token to ask with (actions/toolkit packages/core/src/oidc-utils.ts).
 */
export const GITHUB_REQUEST_URL_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_URL";
export const GITHUB_REQUEST_TOKEN_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/** The claims verify reads from a federated token. */
export interface FederatedClaims {
    readonly iss: string;
    readonly sub: string;
    /** `aud` as a list (a JWT may carry one string or several). */
    readonly aud: readonly string[];
    /** Seconds since the epoch. */
    readonly exp: number;
}

export interface FederatedToken {
    /** The token itself: sent to Entra, never printed. */
    readonly token: string;
    readonly claims: FederatedClaims;
}

/** Where GitHub Actions hands out OIDC tokens, checked. */
export interface GitHubOidc {
    readonly requestUrl: string;
    readonly requestToken: string;
}

/**
 * The latest expiry a token can have, in seconds since the epoch (RFC 7519 NumericDate): the end of
 * year 9999, the last instant RFC 3339 can write. Anything later (1e300) is not a time to report.
 */
const LATEST_EXP = 253_402_300_799;

/** The claims of a federated token, or what is wrong with it in a few words (never quoting it). */
export function federatedClaims(token: string): FederatedClaims | string {
    const parts = token.split(".");
    if (parts.length !== 3 || !parts.every((p, i) => /^[A-Za-z0-9_-]*$/.test(p) && (i === 2 || p !== ""))) {
        return "is not a JWT (three base64url parts separated by dots)";
    }
    const json = (part: string): Record<string, unknown> | string => {
        const parsed = parseJson(Buffer.from(part, "base64url").toString("utf8"));
        if ("problem" in parsed) return parsed.problem === "not JSON" ? "not a JSON object" : `JSON ${parsed.problem}`;
        const v = parsed.value;
        return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : "not a JSON object";
    };
    const header = json(parts[0]);
    if (typeof header === "string") return `is not a JWT: its header is ${header}`;
    const p = json(parts[1]);
    if (typeof p === "string") return `is not a JWT: its payload is ${p}`;
    const iss = p["iss"];
    const sub = p["sub"];
    const aud = p["aud"];
    const exp = p["exp"];
    if (typeof iss !== "string" || iss === "") return "has no iss (issuer) claim";
    if (typeof sub !== "string" || sub === "") return "has no sub (subject) claim";
    const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
    if (audiences.length === 0) return "has no aud (audience) claim";
    if (exp === undefined) return "has no exp (expiry) claim";
    if (typeof exp !== "number" || !Number.isFinite(exp) || exp < 0 || exp > LATEST_EXP) {
        return `has an exp (expiry) claim that is not a time: it must be seconds since 1970-01-01T00:00:00Z, at most ${LATEST_EXP} (9999-12-31T23:59:59Z)`;
    }
    return { iss, sub, aud: audiences, exp };
}

/** A token from a file (a path, or "-" for standard input), read under a size cap; a UserError names the file. */
export async function federatedTokenFromFile(file: string): Promise<FederatedToken> {
    const what = "--federated-token-file";
    const bytes = await readInputFile(file, what, MAX_FEDERATED_TOKEN_BYTES);
    const where = `${what} ${file === "-" ? "standard input" : file}`;
    // Files written by `echo` or a secret store end with a newline; the token is what is between.
    const token = bytes.toString("utf8").trim();
    if (token === "") throw new UserError(`${where} is empty; expected the workload's token (a JWT)`);
    rememberToken(token);
    const claims = federatedClaims(token);
    if (typeof claims === "string") throw new UserError(`${where} ${claims}; expected the workload's token (a JWT)`);
    return { token, claims };
}

/**
 * GitHub Actions' request URL and token from the environment. The URL must be https (the request
 * carries a bearer token) and may not carry a user name or password; neither value is ever quoted.
 */
export function gitHubOidc(env: Readonly<Record<string, string | undefined>>): GitHubOidc {
    const requestUrl = env[GITHUB_REQUEST_URL_VARIABLE];
    const requestToken = env[GITHUB_REQUEST_TOKEN_VARIABLE];
    if (!requestUrl || !requestToken) {
        throw new UserError(
            `--federated asks GitHub Actions for the workload's token, but ${GITHUB_REQUEST_URL_VARIABLE} and ` +
                `${GITHUB_REQUEST_TOKEN_VARIABLE} are not both set: give the job \`permissions: id-token: write\`, ` +
                "or pass the token with --federated-token-file <file>",
        );
    }
    let url: URL;
    try {
        url = new URL(requestUrl);
    } catch {
        throw new UserError(`${GITHUB_REQUEST_URL_VARIABLE} is not a URL; GitHub Actions sets it to an https URL`);
    }
    if (url.protocol !== "https:" || url.username || url.password) {
        throw new UserError(
            `${GITHUB_REQUEST_URL_VARIABLE} must be an https URL without a user name or password (verify sends ${GITHUB_REQUEST_TOKEN_VARIABLE} there)`,
        );
    }
    return { requestUrl: url.href, requestToken };
}

/** Who answers GitHub's token requests, for messages: the origin only, never the path or query. */
export function gitHubService(oidc: GitHubOidc): string {
    return `GitHub's OIDC endpoint at ${new URL(oidc.requestUrl).origin}`;
}

/**
 * Asks GitHub for a token with `audience` (the credential's): GET <request URL>&audience=<audience>,
 * the request token as bearer (actions/toolkit oidc-utils.ts; answer `{ "value": <JWT> }`). Through
 * verify's network module: that address only, no redirect (the bearer token would follow it), a
 * bounded answer, the request token scrubbed from anything the server says.
 */
export async function requestGitHubToken(oidc: GitHubOidc, audience: string): Promise<FederatedToken | NetworkFailure> {
    const service = gitHubService(oidc);
    const url = new URL(oidc.requestUrl);
    url.searchParams.set("audience", audience);
    const network = new EntraNetwork((method, address) => method === "GET" && sameAddress(address, oidc.requestUrl), {
        service: "GitHub's OIDC endpoint",
        secrets: [oidc.requestToken],
    });
    const failure = (message: string, lasting = false): NetworkFailure => ({ kind: "network", message, lasting, service });
    let answer: { status: number; body: unknown };
    try {
        answer = await network.sendGetRequestAsync<unknown>(url.href, {
            headers: { authorization: `Bearer ${oidc.requestToken}`, accept: "application/json" },
        });
    } catch {
        const outcome = network.outcomeOfFailure();
        return failure(outcome.kind === "network" ? outcome.message : "no answer", outcome.kind === "network" && outcome.lasting === true);
    }
    if (answer.status !== 200) {
        const said = network.refusal ? `: ${network.refusal.description || network.refusal.error}` : "";
        // A refused request token or missing permission does not change by asking again; an outage might.
        return failure(`GitHub's OIDC endpoint answered HTTP ${answer.status}${said}`, answer.status < 500 && answer.status !== 429);
    }
    const value = (answer.body as { value?: unknown }).value;
    if (typeof value !== "string" || value === "") return failure("GitHub's OIDC endpoint answered without a token (no value)", true);
    rememberToken(value);
    const claims = federatedClaims(value);
    if (typeof claims === "string") return failure(`GitHub's OIDC endpoint answered with a value that ${oneLine(claims)}`, true);
    return { token: value, claims };
}
