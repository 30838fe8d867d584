/**
 * The secretless sign-ins: federated credentials (a workload's own token, GitHub's shorthand expanded) and
 * managed identities (grants to the identity's own service principal, no application). What Entra matches
 * a federated token against is decided here once, for the component and the rules alike. Pure.
 */
import type { FederatedCredentialOutput } from "./outputs.ts";
import type { Settings } from "./settings.ts";
import { cloudOf } from "./clouds.ts";

/** GitHub's OIDC issuer (docs.github.com/actions/reference/security/oidc). */
export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * The federated credentials, GitHub shorthand expanded: `repo:<owner>/<repo>:environment:<env>` or
 * `repo:<owner>/<repo>:ref:refs/heads/<branch>`, a ':' in an environment name written %3A as GitHub does.
 * The audience is the cloud's unless one is given.
 */
export function federatedCredentialsOf(s: Pick<Settings, "federatedCredentials" | "cloud">): FederatedCredentialOutput[] {
    const cloud = cloudOf(s);
    return (s.federatedCredentials ?? []).map((f) => {
        const repo = `repo:${f.github ?? ""}`;
        const subject =
            f.github === undefined
                ? (f.subject ?? "")
                : f.environment !== undefined
                  ? `${repo}:environment:${f.environment.replaceAll(":", "%3A")}`
                  : `${repo}:ref:refs/heads/${f.branch ?? ""}`;
        return {
            name: f.name,
            issuer: f.github === undefined ? (f.issuer ?? "") : GITHUB_ISSUER,
            subject,
            audience: f.audiences?.[0] ?? cloud.federatedAudience,
        };
    });
}
