/**
 * npm run verify, the vocabulary every part shares: the results and their exit codes, a check row, a
 * cause with its explanation, what one token request came back with, and the report.
 */

/** The outcome of a run; each has its own exit code (README "Check that it works"). */
export type Result = "verified" | "misconfigured" | "invalid-input" | "not-propagated" | "unreachable";

export const EXIT_CODES: Readonly<Record<Result, number>> = {
    verified: 0,
    // Something waiting will not fix: the explanation says what to change.
    misconfigured: 1,
    // Bad flags, outputs or key file: nothing was checked (the CLI contract's EXIT_INVALID_INPUT).
    "invalid-input": 2,
    // Still failing the way replication delay looks when --max-wait ran out.
    "not-propagated": 3,
    // Entra could not be reached, or answered something that is not Entra's.
    unreachable: 4,
};

export type CheckStatus = "pass" | "fail" | "skip";

/** One row of the result table. */
export interface Check {
    readonly name: string;
    readonly status: CheckStatus;
    readonly detail: string;
}

/** Why a run did not verify, and what to do about it. */
export interface Cause {
    /** Stable identifier, for scripts reading --json. */
    readonly id: string;
    readonly result: Result;
    readonly summary: string;
    readonly why: string;
    readonly fix: string;
    /** Entra's AADSTS error number, when Entra refused. */
    readonly aadsts?: number;
    /** True when replication delay looks exactly like this: verify waits and tries again. */
    readonly retryable?: boolean;
}

/** Rows from one group of checks, and the first failure's cause. */
export interface Judgement {
    readonly checks: Check[];
    readonly cause?: Cause;
}

/** Entra's refusal, from its OAuth error answer; every text already made safe to print (entra.mts). */
export interface EntraError {
    /** OAuth error ("invalid_client", "unauthorized_client", ...). */
    readonly error: string;
    readonly aadsts: number | undefined;
    /** The first line of Entra's description, e.g. "AADSTS700016: Application with identifier ...". */
    readonly description: string;
}

/** What one token request came back with. */
export type TokenOutcome =
    | { readonly kind: "token"; readonly accessToken: string }
    | { readonly kind: "entra"; readonly error: EntraError }
    /** `lasting`: a failure trying again will not change (an untrusted TLS certificate, a redirect). */
    | { readonly kind: "network"; readonly message: string; readonly lasting?: boolean };

/** The claims verify looks at; the token itself is never kept or shown. */
export interface TokenClaims {
    readonly aud?: unknown;
    readonly tid?: unknown;
    readonly appid?: unknown;
    readonly roles?: unknown;
    readonly wids?: unknown;
    readonly exp?: unknown;
}

/** What the retry loop concluded. */
export interface Verdict {
    readonly result: Result;
    readonly exitCode: number;
    readonly attempts: number;
    readonly waitedMs: number;
    readonly checks: Check[];
    readonly cause?: Cause;
    /** The claims that were checked (never the token). */
    readonly claims?: TokenClaims;
}

/** Who was checked, as the report names it. */
export interface Subject {
    /** The stack's name when the person gave one (--stack), else undefined. */
    readonly stack: string | undefined;
    readonly appId: string;
    readonly tenantId: string;
    readonly organization: string | undefined;
    /** The certificate that signed in; undefined for sign-in modes without one. */
    readonly thumbprint: string | undefined;
}

export interface Report extends Verdict {
    readonly subject: Subject;
}
