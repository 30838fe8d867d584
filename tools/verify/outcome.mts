/**
 * npm run verify, the vocabulary every part shares: the results and their exit codes, a check row, a
 * cause with its explanation, what one token request came back with, and the report.
 */
import type { FederatedCredentialOutput, ManagedIdentityOutput } from "../../components/outputs.ts";
import type { CloudName } from "../../components/clouds.ts";
import type { NetworkTrust } from "./trust.mts";

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
    // The token service (Entra, GitHub's OIDC endpoint, a managed identity endpoint) could not be reached,
    // or something else answered.
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
    /** How long the service asked to wait before the next attempt (Retry-After). */
    readonly retryAfterMs?: number;
}

/** The read-only cmdlet verify runs in each shell (exchange.mts). */
export const EXCHANGE_CMDLET = "Get-OrganizationConfig";
export const COMPLIANCE_CMDLET = "Get-RoleGroup";

/** What Exchange said when verify asked it (exchange.mts). */
export interface ServiceFacts {
    /** Get-OrganizationConfig's Name, the organization Exchange answered for; undefined when the cmdlet is outside the roles. */
    readonly organization: string | undefined;
    readonly displayName: string | undefined;
    /** The tenant's Security & Compliance host, when that shell was asked too. */
    readonly complianceHost: string | undefined;
    /** The token carried none of the configured directory roles, and Exchange ran the cmdlet all the same: access comes from Exchange role groups. */
    readonly roleGroups: boolean;
}

/** Rows from one group of checks, and the first failure's cause. */
export interface Judgement {
    readonly checks: Check[];
    readonly cause?: Cause;
}

/**
 * A refusal from the token service: Entra's OAuth error answer, or a managed identity endpoint's error
 * (which passes Entra's on, or says in its own words that it has no such identity). Every text is
 * already made safe to print (entra.mts).
 */
export interface EntraError {
    /** OAuth error ("invalid_client", "unauthorized_client", ...); "" when the answer names none. */
    readonly error: string;
    readonly aadsts: number | undefined;
    /** The first line of the description, e.g. "AADSTS700016: Application with identifier ...". */
    readonly description: string;
    /** The HTTP status of the answer. */
    readonly status?: number;
}

/** A request that got no usable answer. */
export interface NetworkFailure {
    readonly kind: "network";
    readonly message: string;
    /** A failure trying again will not change (an untrusted TLS certificate, a redirect). */
    readonly lasting?: boolean;
    /** Why the connection failed, when it did: ECONNREFUSED, ENOTFOUND, TIMEOUT, ...; "not-json" for an answer that is not JSON. */
    readonly code?: string;
    /** Who did not answer, when it is not the sign-in's own token service (GitHub's OIDC endpoint). */
    readonly service?: string;
}

/** What one token request came back with. */
export type TokenOutcome =
    { readonly kind: "token"; readonly accessToken: string } | { readonly kind: "entra"; readonly error: EntraError } | NetworkFailure;

/** The claims verify looks at; the token itself is never kept or shown. */
export interface TokenClaims {
    readonly aud?: unknown;
    readonly tid?: unknown;
    readonly appid?: unknown;
    /** The client in a v2.0 token (appid in v1.0). */
    readonly azp?: unknown;
    /** The object id of the service principal the token is for (a managed identity's is checked). */
    readonly oid?: unknown;
    readonly roles?: unknown;
    readonly wids?: unknown;
    readonly exp?: unknown;
}

/** What one request to Exchange's admin API came back with (exchange.mts). */
export type ExchangeOutcome =
    | { readonly kind: "ran"; readonly value: readonly unknown[] }
    /** The service refused the cmdlet: its status, error code, and message (made safe to print), and Retry-After. */
    | {
          readonly kind: "refused";
          readonly status: number;
          readonly code: string;
          readonly message: string;
          readonly retryAfterMs: number | undefined;
      }
    | NetworkFailure;

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
    /** What Exchange said, when it was asked and ran the cmdlet. */
    readonly service?: ServiceFacts;
}

/** How verify signs in: the stack's certificate, a workload's federated token, or a managed identity. */
export type SignInMode = "certificate" | "federated" | "managed-identity";

/** A managed identity of the stack, as verify names it. */
export type ManagedIdentityFacts = Pick<ManagedIdentityOutput, "name" | "objectId" | "clientId">;

/** Who was checked, as the report names it. */
export interface Subject {
    /** The stack's name when the person gave one (--stack), else undefined. */
    readonly stack: string | undefined;
    readonly mode: SignInMode;
    readonly cloud: CloudName;
    /** The application; undefined when a managed identity signed in. */
    readonly appId: string | undefined;
    readonly tenantId: string;
    readonly organization: string | undefined;
    /** The certificate that signed in; undefined for sign-in modes without one. */
    readonly thumbprint: string | undefined;
    /** The credential the federated token matched (issuer and subject are the token's). */
    readonly federatedCredential?: FederatedCredentialOutput;
    readonly managedIdentity?: ManagedIdentityFacts;
}

export interface Report extends Verdict {
    readonly subject: Subject;
    /** Whom the run's connections trusted, and the proxy they went through (trust.mts). */
    readonly network: NetworkTrust;
}

export interface Progress {
    readonly attempt: number;
    readonly cause: Cause;
    readonly waitedMs: number;
    readonly nextDelayMs: number;
    readonly maxWaitMs: number;
}

export function formatDuration(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)}ms`;
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}
