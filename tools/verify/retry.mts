/**
 * npm run verify, the retry loop: run the local checks, then ask for a token until it passes, a cause
 * waiting cannot fix appears, or --max-wait runs out. It knows nothing of certificates or MSAL: the
 * local checks, the token request and the explanations are arguments, so every sign-in mode shares it,
 * and the clock and sleep are arguments too, so the schedule is testable as is.
 */
import { type TokenExpectation, checkToken, decodeClaims, skipped, skippedTokenChecks } from "./checks.mts";
import { type SignInContext, serviceAt, unreachable, unreadableToken } from "./entraErrors.mts";
import {
    type Cause,
    type Check,
    EXIT_CODES,
    type EntraError,
    type Judgement,
    type NetworkFailure,
    type Result,
    type ServiceFacts,
    type TokenClaims,
    type TokenOutcome,
    type Verdict,
    type Progress,
} from "./outcome.mts";

export const DEFAULT_MAX_WAIT_MS = 15 * 60_000;
export const DEFAULT_FIRST_DELAY_MS = 10_000;
/** Backoff doubles from the first delay up to this. */
export const MAX_DELAY_MS = 2 * 60_000;
/** Connection failures in a row before giving up on reaching Entra at all. */
export const MAX_NETWORK_FAILURES = 3;

export interface LoopOptions {
    /**
     * Checks before the token service is asked, at the instant the run starts; a cause here stops the run.
     * They need no network, except to fetch what the sign-in presents (GitHub's OIDC token).
     */
    readonly checkLocally: (now: Date) => Judgement | Promise<Judgement>;
    /** Asks for a token; called once per attempt. */
    readonly requestToken: () => Promise<TokenOutcome>;
    /** What the token must carry. */
    readonly expect: TokenExpectation;
    /** What a refusal means (entraErrors.mts explainEntraError, or a sign-in mode's own catalogue). */
    readonly explain: (error: EntraError) => Cause;
    /** What no answer means; `retryable` says whether the loop would try again. @default entraErrors.mts unreachable */
    readonly explainUnreachable?: (failure: NetworkFailure, retryable: boolean) => Cause;
    /** Names the sign-in service in network causes. */
    readonly context: SignInContext;
    /**
     * After the token passes (or lacks only the configured directory roles): ask the service itself with it
     * (exchange.mts). Without it, the token is the last thing checked (--token-only).
     */
    readonly askService?: (accessToken: string) => Promise<ServiceJudgement>;
    readonly maxWaitMs: number;
    readonly firstDelayMs: number;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly onProgress?: (p: Progress) => void;
}

/** The service's rows, and what it said when it ran the cmdlet. */
export interface ServiceJudgement extends Judgement {
    readonly ran?: Omit<ServiceFacts, "roleGroups">;
}

/**
 * A token that carries none of the configured directory roles, and fails nothing else: what a token of an
 * application with access through Exchange role groups looks like. One that carries some of them but not all
 * is waited for instead (the stack asked for each).
 */
function lacksAllRoles(token: Judgement): boolean {
    const roles = token.checks.filter((c) => c.name.startsWith("role "));
    const failed = token.checks.filter((c) => c.status === "fail");
    return (
        token.cause?.id === "directory-role-missing" &&
        roles.length > 0 &&
        roles.every((c) => c.status === "fail") &&
        failed.length === roles.length
    );
}

export async function retryUntilVerified(o: LoopOptions): Promise<Verdict> {
    const now = o.now ?? Date.now;
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const started = now();
    const verdict = (
        result: Result,
        checks: Check[],
        attempts: number,
        cause?: Cause,
        claims?: TokenClaims,
        service?: ServiceFacts,
    ): Verdict => ({
        result,
        exitCode: EXIT_CODES[result],
        attempts,
        waitedMs: now() - started,
        checks,
        ...(cause ? { cause } : {}),
        ...(claims ? { claims } : {}),
        ...(service ? { service } : {}),
    });

    const local = await o.checkLocally(new Date(started));
    if (local.cause) {
        return verdict(
            local.cause.result,
            [...local.checks, skipped("sign-in", "not attempted: fix the problem above first")],
            0,
            local.cause,
        );
    }

    let delay = o.firstDelayMs;
    let networkFailures = 0;
    for (let attempt = 1; ; attempt++) {
        const outcome = await o.requestToken();
        let judged: Judgement & { claims?: TokenClaims; service?: ServiceFacts };
        if (outcome.kind === "token") {
            networkFailures = 0;
            let claims: TokenClaims;
            try {
                claims = decodeClaims(outcome.accessToken);
            } catch (e) {
                const cause = unreadableToken((e as Error).message, o.context);
                return verdict(
                    "unreachable",
                    [...local.checks, { name: "sign-in", status: "fail", detail: cause.summary }],
                    attempt,
                    cause,
                );
            }
            let token = checkToken(claims, o.expect);
            const serviceChecks: Check[] = [];
            let service: ServiceFacts | undefined;
            if (o.askService && (token.cause === undefined || lacksAllRoles(token))) {
                const asked = await o.askService(outcome.accessToken);
                serviceChecks.push(...asked.checks);
                const roleGroups = token.cause !== undefined && asked.ran !== undefined && asked.cause === undefined;
                if (asked.ran) service = { ...asked.ran, roleGroups };
                if (roleGroups) {
                    // Microsoft's "custom role groups" option: Exchange runs the cmdlet for the application's role group
                    // membership, and such a token carries no directory role (FACTS.md, Runner compatibility).
                    token = {
                        checks: token.checks.map((c) =>
                            c.status === "fail" && c.name.startsWith("role ")
                                ? {
                                      name: c.name,
                                      status: "skip",
                                      detail: "not in the token's wids: Exchange ran the cmdlet through an Exchange role group",
                                  }
                                : c,
                        ),
                    };
                } else if (token.cause === undefined && asked.cause) {
                    token = { checks: token.checks, cause: asked.cause };
                }
            }
            judged = {
                checks: [
                    {
                        name: "sign-in",
                        status: "pass",
                        detail: `${o.context.tokenService} issued an app-only token for ${o.expect.resource} (attempt ${attempt})`,
                    },
                    ...token.checks,
                    ...serviceChecks,
                ],
                ...(token.cause ? { cause: token.cause } : {}),
                claims,
                ...(service ? { service } : {}),
            };
        } else if (outcome.kind === "entra") {
            networkFailures = 0;
            judged = {
                checks: [
                    { name: "sign-in", status: "fail", detail: outcome.error.description || outcome.error.error },
                    ...skippedTokenChecks(o.expect, "no token"),
                ],
                cause: o.explain(outcome.error),
            };
        } else {
            networkFailures++;
            const retryable = !outcome.lasting && networkFailures < MAX_NETWORK_FAILURES;
            judged = {
                checks: [
                    { name: "sign-in", status: "fail", detail: `no answer from ${outcome.service ?? serviceAt(o.context)}` },
                    ...skippedTokenChecks(o.expect, "no token"),
                ],
                cause: o.explainUnreachable ? o.explainUnreachable(outcome, retryable) : unreachable(outcome, o.context, retryable),
            };
        }

        const checks = [...local.checks, ...judged.checks];
        if (!judged.cause) return verdict("verified", checks, attempt, undefined, judged.claims, judged.service);
        const waited = now() - started;
        // A service that asks to be left alone longer than the wait has left is not asked again before the end.
        const asked = judged.cause.retryAfterMs ?? 0;
        if (!judged.cause.retryable || waited >= o.maxWaitMs || asked > o.maxWaitMs - waited) {
            return verdict(judged.cause.result, checks, attempt, judged.cause, judged.claims, judged.service);
        }
        const next = Math.min(Math.max(delay, asked), o.maxWaitMs - waited);
        o.onProgress?.({ attempt, cause: judged.cause, waitedMs: waited, nextDelayMs: next, maxWaitMs: o.maxWaitMs });
        await sleep(next);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "15m", "30s", "1h30m", "250ms" or "0" to milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
    if (/^0+$/.test(text)) return 0;
    if (!/^(\d{1,9}(ms|s|m|h))+$/.test(text)) return undefined;
    let total = 0;
    for (const m of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(m[1]) * UNITS[m[2]];
    return total;
}
