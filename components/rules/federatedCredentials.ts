/**
 * The rules of exo-cba:federatedCredentials: GitHub's shorthand or an issuer and subject, audiences, and
 * what Entra would refuse or trust too widely (wildcards, pull requests). Loaded on first use (loadRules.ts).
 */
import { type NameRule, forEachNamed } from "./items.ts";
import { type Cloud } from "../clouds.ts";
import { type FederatedCredential, MAX_FEDERATED_CREDENTIALS, type Settings, type Report } from "../settings.ts";
import { federatedCredentialsOf } from "../secretless.ts";
import { hasControlCharacters, show } from "../redaction.ts";
import { isBlank } from "./values.ts";

/** A federated credential's name: Entra asks for at least 3 characters. */
const FEDERATED_NAME: NameRule = {
    pattern: /^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/i,
    needs: "needs a name of 3 to 32 letters, digits or inner hyphens (Entra asks for at least 3); it names the credential and its resource.",
};

/** GitHub owner (user or organisation) and repository names, optionally with the ids of the immutable subject format. */
const GITHUB_REPOSITORY = /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(@[0-9]+)?\/([A-Za-z0-9._-]{1,100})(@[0-9]+)?$/;

const FIELD_MAX = 600;

export function checkFederatedCredentials(s: Settings, cloud: Cloud, err: Report, warn: Report): void {
    const key = "federatedCredentials";
    const list = s.federatedCredentials ?? [];
    if (list.length > MAX_FEDERATED_CREDENTIALS) {
        err(key, `lists ${list.length} credentials; Entra allows at most ${MAX_FEDERATED_CREDENTIALS} on an application.`);
    }
    const resolved = federatedCredentialsOf(s);
    const pairs = new Map<string, string>();
    forEachNamed(list, key, FEDERATED_NAME, "credential", err, (f, i, label) => {
        const r = resolved[i];
        if (f.github !== undefined) {
            if (f.issuer !== undefined || f.subject !== undefined) {
                err(
                    key,
                    `${label} gives github and issuer/subject; use one form: github with environment or branch, or issuer and subject.`,
                );
                return;
            }
            checkGitHub(f, label, key, err);
        } else {
            if (f.environment !== undefined || f.branch !== undefined) {
                err(key, `${label} has environment or branch without github: those belong to the GitHub form (github: <owner>/<repo>).`);
            }
            if (f.issuer === undefined || f.subject === undefined) {
                err(key, `${label} needs issuer and subject, or github with environment or branch.`);
                return;
            }
            checkIssuer(f.issuer, label, key, err);
        }
        checkSubject(r.subject, label, key, err);
        if (f.audiences !== undefined) {
            if (f.audiences.length !== 1) {
                err(
                    key,
                    `${label} audiences must hold exactly one value; Entra accepts a single audience (default ${cloud.federatedAudience}).`,
                );
            } else if (
                isBlank(f.audiences[0]) ||
                f.audiences[0] !== f.audiences[0].trim() ||
                f.audiences[0].length > FIELD_MAX ||
                hasControlCharacters(f.audiences[0])
            ) {
                err(
                    key,
                    `${label} audience must be 1 to ${FIELD_MAX} characters without surrounding spaces or control characters (got ${show(f.audiences[0])}).`,
                );
            } else if (f.audiences[0] !== cloud.federatedAudience) {
                warn(
                    key,
                    `${label} uses audience ${show(f.audiences[0])}; Entra in the ${cloud.title} cloud expects ${cloud.federatedAudience}, which the policy pack also requires unless configured.`,
                );
            }
        }
        const pair = `${r.issuer}\n${r.subject}`;
        const seen = pairs.get(pair);
        if (seen !== undefined) err(key, `${label} has the same issuer and subject as ${seen}; Entra keeps one credential per pair.`);
        pairs.set(pair, label);
    });
}

function checkGitHub(f: FederatedCredential, label: string, key: string, err: Report): void {
    const m = GITHUB_REPOSITORY.exec(f.github ?? "");
    if (!m || m[3] === "." || m[3] === "..") {
        err(
            key,
            `${label} github must be <owner>/<repo> as GitHub spells them (owner: letters, digits and single inner hyphens, at most 39; repository: letters, digits, '.', '-', '_'), got ${show(f.github)}.`,
        );
    }
    if ((f.environment === undefined) === (f.branch === undefined)) {
        err(
            key,
            `${label} needs exactly one of environment (recommended: an environment with required reviewers) or branch; a pull_request subject is never allowed.`,
        );
        return;
    }
    const value = f.environment ?? f.branch ?? "";
    if (f.environment !== undefined) {
        if (isBlank(value) || value.length > 255 || value !== value.trim() || hasControlCharacters(value)) {
            err(
                key,
                `${label} environment must be a GitHub environment name: 1 to 255 characters, no surrounding spaces or control characters (got ${show(value)}).`,
            );
        }
    } else if (/^refs\//.test(value)) {
        err(key, `${label} branch is the branch's name without refs/heads/ (got ${show(value)}).`);
    } else if (
        isBlank(value) ||
        value.length > 255 ||
        /[\s~^:?*[\\]|\.\.|@\{|^[./]|[./]$|\.lock$/.test(value) ||
        hasControlCharacters(value)
    ) {
        // git check-ref-format: what a branch name cannot hold.
        err(key, `${label} branch must be a git branch name (no spaces, ~ ^ : ? * [ \\, '..' or '@{'), got ${show(value)}.`);
    }
}

function checkIssuer(issuer: string, label: string, key: string, err: Report): void {
    let url: URL | undefined;
    try {
        url = new URL(issuer);
    } catch {
        url = undefined;
    }
    // Entra fetches the issuer's signing keys by OpenID Connect discovery, over HTTPS; it refuses an issuer
    // with surrounding whitespace (workload-identity-federation-considerations). The URL parser drops inner
    // tabs and line breaks, so they are looked for in the text itself. An issuer is a bare URL: a user name,
    // password, query or fragment in it is a mistake (or a secret pasted in).
    if (
        !url ||
        url.protocol !== "https:" ||
        issuer !== issuer.trim() ||
        issuer.length > FIELD_MAX ||
        issuer.includes("*") ||
        hasControlCharacters(issuer) ||
        url.username !== "" ||
        url.password !== "" ||
        /[?#]/.test(issuer)
    ) {
        err(
            key,
            `${label} issuer must be an https:// URL of at most ${FIELD_MAX} characters, without wildcards, user name, password, query, fragment or control characters (got ${show(issuer)}).`,
        );
    }
}

function checkSubject(subject: string, label: string, key: string, err: Report): void {
    if (isBlank(subject) || subject !== subject.trim() || subject.length > FIELD_MAX || hasControlCharacters(subject)) {
        err(
            key,
            `${label} subject must be 1 to ${FIELD_MAX} characters without surrounding spaces or control characters (got ${show(subject)}).`,
        );
        return;
    }
    if (subject.includes("*")) {
        err(
            key,
            `${label} subject ${show(subject)} has a wildcard: Entra matches subjects exactly, and a pattern would trust more workloads than meant.`,
        );
    }
    // docs.github.com/actions/reference/security/oidc: a job triggered by a pull request gets "repo:o/r:pull_request".
    if (/(^|:)pull_request(_target)?(:|$)/i.test(subject) || /:ref:refs\/pull\//i.test(subject)) {
        err(
            key,
            `${label} subject ${show(subject)} trusts pull requests: anyone who can open one could get an Exchange Online token. Use an environment with required reviewers, or the main branch.`,
        );
    }
}
