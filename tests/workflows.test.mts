/**
 * The approval gate of the GitHub Actions workflows, as properties of the files: code nobody has
 * approved never runs where a secret, an OIDC token or a write permission is within reach, and the
 * jobs that hold them lean on the right environment. GitHub enforces the environments' own rules
 * (required reviewers, deployment branches); docs/ci.md says how to set them and docs/threat-model.md
 * why. Each rule below is checked against the repository's workflows and shown to catch the edit that
 * would reopen its hole.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { EXIT_INVALID_INPUT } from "../tools/shared/cli.mts";
import { EXPIRY_EXIT } from "../tools/check-expiry/expiry.mts";

const WORKFLOW_DIR = path.resolve(import.meta.dirname, "..", ".github", "workflows");

/** The branch deploy.yml deploys from; the `<stack>` and `expiry` environments admit only it. */
const MAIN = "main";

/**
 * "This run is on the default branch", as GitHub spells it. Scheduled runs are always on the default
 * branch but their event carries no repository, so a workflow with a schedule says so first.
 */
const ON_DEFAULT_BRANCH = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)";
const SCHEDULED_OR_ON_DEFAULT_BRANCH = `github.event_name == 'schedule' || ${ON_DEFAULT_BRANCH}`;

/**
 * The triggers the gate was designed for. pull_request_target, workflow_run, issue_comment and the like
 * run the default branch's workflow with its secrets on events anyone can cause; adding one needs a
 * new look at the threat model, not a pass from this test.
 */
const TRIGGERS: ReadonlySet<string> = new Set(["pull_request", "push", "schedule", "workflow_dispatch"]);

/** The environments the threat model describes, and the triggers whose code each may hold. */
type EnvironmentKind = "deploy" | "preview" | "expiry";
const ENVIRONMENTS: readonly { kind: EnvironmentKind; name: RegExp; triggers: ReadonlySet<string> }[] = [
    // `<stack>`: required reviewers, main only. The stack's name comes from the matrix or destroy's input.
    {
        kind: "deploy",
        name: /^\$\{\{ *(matrix\.stack|github\.event\.inputs\.stack|inputs\.stack) *\}\}$/,
        triggers: new Set(["push", "workflow_dispatch"]),
    },
    // `<stack>-preview`: required reviewers, any branch (pull requests).
    { kind: "preview", name: /^\$\{\{ *matrix\.stack *\}\}-preview$/, triggers: new Set(["pull_request"]) },
    // `expiry`: main only, no reviewers, and so nothing that decrypts or writes state.
    { kind: "expiry", name: /^expiry$/, triggers: new Set(["schedule", "workflow_dispatch"]) },
];

/** Write scopes a job may ask for (and only inside an environment): OIDC, and the preview comment. */
const WRITE_SCOPES: ReadonlySet<string> = new Set(["id-token", "pull-requests"]);

/** Pulumi commands that change state (or the stack), for `run:` scripts. */
const STATE_CHANGING =
    /\bpulumi\s+(up|update|destroy|refresh|import|cancel|state\s|stack\s+(rm|import|rename|change-secrets-provider)|config\s+(set|rm))\b/;

type Rule =
    | "trigger"
    | "default permissions"
    | "write permission"
    | "held outside an environment"
    | "environment"
    | "default branch"
    | "secret scope"
    | "state writer"
    | "passphrase"
    | "state change"
    | "script injection"
    | "runner"
    | "pin"
    | "checkout credentials"
    | "reusable workflow"
    | "type check";

interface Finding {
    readonly rule: Rule;
    readonly where: string;
    readonly message: string;
}

interface Workflow {
    readonly file: string;
    readonly text: string;
    readonly doc: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function readWorkflows(dir: string): Workflow[] {
    const files = fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort();
    return files.map((file) => {
        const text = fs.readFileSync(path.join(dir, file), "utf8");
        // parse() throws on syntax errors and duplicate keys: a second `environment:` cannot hide.
        const doc: unknown = parse(text);
        assert.ok(isObj(doc), `${file} is not a YAML mapping`);
        return { file, text, doc };
    });
}

/** Trigger names, and push's branch filter when there is one. */
function triggers(wf: Workflow): { names: string[]; pushBranches: unknown } {
    const on = wf.doc["on"];
    if (typeof on === "string") return { names: [on], pushBranches: undefined };
    if (Array.isArray(on)) return { names: on.map(String), pushBranches: undefined };
    if (isObj(on)) {
        const push = on["push"];
        return { names: Object.keys(on), pushBranches: isObj(push) ? push : undefined };
    }
    return { names: [], pushBranches: undefined };
}

function jobs(wf: Workflow): [string, Obj][] {
    const all = wf.doc["jobs"];
    return isObj(all) ? Object.entries(all).map(([id, job]) => [id, isObj(job) ? job : {}]) : [];
}

function steps(job: Obj): Obj[] {
    const list = job["steps"];
    return Array.isArray(list) ? list.filter(isObj) : [];
}

/** Every string in a value, with the path to it. */
function strings(value: unknown, at: (string | number)[] = []): [string, (string | number)[]][] {
    if (typeof value === "string") return [[value, at]];
    if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, [...at, i]));
    if (isObj(value)) return Object.entries(value).flatMap(([k, v]) => strings(v, [...at, k]));
    return [];
}

/** Whether a string reads the secrets context: inside ${{ }}, or anywhere in an `if:` (always an expression). */
function readsSecrets(text: string, at: (string | number)[]): boolean {
    const expressions = at[at.length - 1] === "if" ? [text] : [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1] ?? "");
    return expressions.some((e) => /\bsecrets\b/.test(e));
}

function permissionsOf(job: Obj, wf: Workflow): unknown {
    return job["permissions"] ?? wf.doc["permissions"];
}

function writeScopes(permissions: unknown): string[] {
    if (permissions === "write-all") return ["(all)"];
    if (!isObj(permissions)) return [];
    return Object.entries(permissions)
        .filter(([, v]) => v === "write")
        .map(([k]) => k);
}

function environmentName(job: Obj): string | undefined {
    const env = job["environment"];
    if (typeof env === "string") return env;
    if (isObj(env) && typeof env["name"] === "string") return env["name"];
    return undefined;
}

function environmentKind(name: string | undefined): EnvironmentKind | undefined {
    return name === undefined ? undefined : ENVIRONMENTS.find((e) => e.name.test(name))?.kind;
}

/** A job that holds something worth stealing: a secret, or the right to mint an OIDC token. */
function holds(job: Obj, wf: Workflow): boolean {
    const perms = permissionsOf(job, wf);
    const oidc = perms === "write-all" || (isObj(perms) && perms["id-token"] === "write");
    return oidc || strings(job).some(([s, at]) => readsSecrets(s, at));
}

/** The top-level && terms of an `if:` expression, or undefined when a top-level || makes none of them binding. */
function conjuncts(expression: string): string[] | undefined {
    const text = expression.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
    const terms: string[] = [];
    let depth = 0;
    let quoted = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "'") quoted = !quoted;
        if (quoted) continue;
        if (c === "(") depth++;
        if (c === ")") depth--;
        if (depth !== 0) continue;
        if (text.startsWith("||", i)) return undefined;
        if (text.startsWith("&&", i)) {
            terms.push(text.slice(start, i));
            start = i + 2;
        }
    }
    terms.push(text.slice(start));
    return terms.map((t) => unwrap(t.replace(/\s+/g, " ").trim()));
}

/** "(a || b)" → "a || b" when the parentheses enclose the whole term. */
function unwrap(term: string): string {
    if (!term.startsWith("(") || !term.endsWith(")")) return term;
    let depth = 0;
    for (let i = 0; i < term.length - 1; i++) {
        if (term[i] === "(") depth++;
        if (term[i] === ")") depth--;
        if (depth === 0) return term;
    }
    return unwrap(term.slice(1, -1).trim());
}

function runsNpmInstall(step: Obj): boolean {
    return typeof step["run"] === "string" && /\bnpm\s+(ci|install|i)\b/.test(step["run"]);
}

/** Every rule, over a set of workflows. */
function audit(workflows: readonly Workflow[]): Finding[] {
    const findings: Finding[] = [];
    for (const wf of workflows) {
        const find = (rule: Rule, where: string, message: string) => findings.push({ rule, where: `${wf.file}${where}`, message });
        const { names, pushBranches } = triggers(wf);

        for (const name of names) {
            if (!TRIGGERS.has(name)) find("trigger", "", `triggered by ${name}; allowed: ${[...TRIGGERS].join(", ")}`);
        }

        const top = wf.doc["permissions"];
        if (!isObj(top) || Object.values(top).some((v) => v !== "read" && v !== "none")) {
            find("default permissions", "", `top-level permissions must grant read or none only, not ${JSON.stringify(top)}`);
        }

        for (const [key, value] of Object.entries(wf.doc)) {
            if (key !== "jobs" && strings(value, [key]).some(([s, at]) => readsSecrets(s, at))) {
                find("secret scope", ` ${key}`, "secrets outside a job reach every job, and every step of it");
            }
        }

        for (const [id, job] of jobs(wf)) {
            const where = ` job ${id}`;
            const envName = environmentName(job);
            const kind = environmentKind(envName);
            const held = holds(job, wf);

            if (job["uses"] !== undefined) find("reusable workflow", where, "calls a reusable workflow, which these rules cannot see into");

            const runsOn = job["runs-on"];
            if (typeof runsOn !== "string" || !/^(ubuntu|windows|macos)-[\w.-]+$/.test(runsOn)) {
                find("runner", where, `runs on ${JSON.stringify(runsOn)}: a self-hosted runner keeps what one job leaves for the next`);
            }

            for (const scope of writeScopes(job["permissions"])) {
                if (!WRITE_SCOPES.has(scope)) find("write permission", where, `asks for ${scope}: write`);
                else if (envName === undefined) find("write permission", where, `asks for ${scope}: write outside an environment`);
            }

            if (held && envName === undefined) {
                find("held outside an environment", where, "uses secrets or an OIDC token without an environment whose rules hold it");
            }

            if (envName !== undefined) {
                const known = ENVIRONMENTS.find((e) => e.kind === kind);
                if (known === undefined) {
                    find("environment", where, `environment ${envName} is none of <stack>, <stack>-preview, expiry`);
                } else {
                    for (const name of names.filter((n) => !known.triggers.has(n))) {
                        find("environment", where, `the ${known.kind} environment ${envName} must not run on ${name}`);
                    }
                }
            }

            if (held) {
                if (names.includes("push")) {
                    const branches = isObj(pushBranches) ? pushBranches["branches"] : undefined;
                    const others = isObj(pushBranches) && Object.keys(pushBranches).some((k) => k !== "branches");
                    if (!Array.isArray(branches) || branches.length !== 1 || branches[0] !== MAIN || others) {
                        find("default branch", where, `holds secrets on push, so push must be limited to branches: [${MAIN}]`);
                    }
                }
                if (names.includes("workflow_dispatch") || names.includes("schedule")) {
                    const guard = names.includes("schedule") ? SCHEDULED_OR_ON_DEFAULT_BRANCH : ON_DEFAULT_BRANCH;
                    const condition = job["if"];
                    const terms = typeof condition === "string" ? conjuncts(condition) : undefined;
                    if (!terms?.includes(guard)) {
                        find("default branch", where, `can be started on any branch: its if must require (${guard})`);
                    }
                }
            }

            const text = JSON.stringify(job);
            if (kind !== "deploy" && /\bSTATE_AZURE_CLIENT_ID\b/.test(text)) {
                find("state writer", where, "only the <stack> environment's jobs may sign in as the state writer");
            }
            // Reviewers hold the <stack> environment, and the <stack>-preview one for pull requests; a
            // scheduled run cannot wait for them, so the expiry check has to do without.
            const reviewed = kind === "deploy" || (kind === "preview" && names.every((n) => n === "pull_request"));
            if (!reviewed && /\bPULUMI_CONFIG_PASSPHRASE\b/.test(text)) {
                find("passphrase", where, "the passphrase decrypts the private key: only runs a reviewer approved may have it");
            }

            for (const [key, value] of Object.entries(job)) {
                if (key !== "steps" && strings(value, [key]).some(([s, at]) => readsSecrets(s, at))) {
                    find("secret scope", `${where} ${key}`, "secrets at job level reach every step, npm ci's scripts included");
                }
            }

            // The program runs on Node's own type stripping (Pulumi.yaml typescript: false): a type error no longer
            // stops `pulumi preview` or `up`, so the job checks the types itself before it runs either.
            let typeChecked = false;
            steps(job).forEach((step, i) => {
                const at = `${where} step ${i + 1}`;
                const command =
                    typeof step["uses"] === "string" && step["uses"].startsWith("pulumi/actions@") && isObj(step["with"])
                        ? step["with"]["command"]
                        : undefined;
                const script = typeof step["run"] === "string" ? step["run"] : "";
                if (/\bnpm\s+run\s+(-s\s+)?typecheck\b/.test(script)) typeChecked = true;
                if ((command === "preview" || command === "up" || /(^|[;&|(]\s*)pulumi\s+(preview|up)\b/m.test(script)) && !typeChecked) {
                    find(
                        "type check",
                        at,
                        "runs the program (pulumi preview or up) before npm run typecheck: a type error would not stop it",
                    );
                }
                for (const [key, value] of Object.entries(step)) {
                    const secret = strings(value, [key]).some(([s, p]) => readsSecrets(s, p));
                    if (secret && (key !== "env" || runsNpmInstall(step))) {
                        find("secret scope", `${at} ${key}`, "secrets belong in the env of the steps that run Pulumi, never npm ci");
                    }
                }

                // A stack name from a pull request's `npm run -s stacks`, pasted into a script, would be code.
                if (typeof step["run"] === "string" && step["run"].includes("${{")) {
                    find("script injection", at, "values reach scripts through env, never pasted in with ${{ }}");
                }

                const uses = step["uses"];
                if (kind !== "deploy") {
                    const pulumiCommand =
                        typeof uses === "string" && uses.startsWith("pulumi/actions@") && isObj(step["with"])
                            ? step["with"]["command"]
                            : undefined;
                    const run = typeof step["run"] === "string" ? step["run"] : "";
                    if ((pulumiCommand !== undefined && pulumiCommand !== "preview") || STATE_CHANGING.test(run)) {
                        find("state change", at, "changes state outside the <stack> environment");
                    }
                }

                if (typeof uses === "string" && !uses.startsWith("./") && !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(uses)) {
                    find("pin", at, `${uses} is not pinned to a full commit`);
                }
                if (typeof uses === "string" && uses.startsWith("actions/checkout@")) {
                    const persist = isObj(step["with"]) ? step["with"]["persist-credentials"] : undefined;
                    if (persist !== false && persist !== "false") {
                        find("checkout credentials", at, "persist-credentials: false keeps the GITHUB_TOKEN out of .git/config");
                    }
                }
            });
        }

        // Dependabot rewrites the SHA and the version comment together; a pin without one is unreadable.
        wf.text.split("\n").forEach((line, i) => {
            const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
            if (m && !m[1]?.startsWith("./") && !/^\s+#\s*v\d/.test(m[2] ?? "")) {
                find("pin", ` line ${i + 1}`, `${m[1] ?? ""} has no "# v<version>" comment`);
            }
        });
    }
    return findings;
}

function only(rule: Rule, findings: readonly Finding[]): Finding[] {
    return findings.filter((f) => f.rule === rule);
}

const REPOSITORY = readWorkflows(WORKFLOW_DIR);

/** The repository's workflows with one edit applied to a copy of one file. */
function edited(file: string, edit: (doc: Obj) => void): Workflow[] {
    return REPOSITORY.map((wf) => {
        if (wf.file !== file) return wf;
        const doc = structuredClone(wf.doc);
        edit(doc);
        return { ...wf, doc };
    });
}

function editedText(file: string, edit: (text: string) => string): Workflow[] {
    return REPOSITORY.map((wf) => (wf.file === file ? { ...wf, text: edit(wf.text) } : wf));
}

function job(doc: Obj, id: string): Obj {
    const found = (doc["jobs"] as Obj)[id];
    assert.ok(isObj(found), `no job ${id}`);
    return found;
}

function step(doc: Obj, jobId: string, match: (s: Obj) => boolean): Obj {
    const found = steps(job(doc, jobId)).find(match);
    assert.ok(found, `no such step in job ${jobId}`);
    return found;
}

const named = (name: string) => (s: Obj) => s["name"] === name;
const uses = (prefix: string) => (s: Obj) => typeof s["uses"] === "string" && s["uses"].startsWith(prefix);

/** Asserts that the edit makes `rule` report at `where` (a prefix), and that the repository's files are clean of it. */
function catches(rule: Rule, workflows: readonly Workflow[], where: string): void {
    const found = only(rule, audit(workflows)).map((f) => f.where);
    assert.ok(
        found.some((w) => w.startsWith(where)),
        `expected a "${rule}" finding at ${where}, got ${JSON.stringify(found)}`,
    );
}

describe("the workflows the gate is checked on", () => {
    // Without this, a wrong path would make every rule below hold for no workflow at all.
    it("are all five, parsed", () => {
        assert.deepEqual(
            REPOSITORY.map((wf) => wf.file),
            ["checks.yml", "deploy.yml", "destroy.yml", "expiry.yml", "preview.yml"],
        );
    });
    it("hold secrets in exactly the jobs the threat model names", () => {
        const held = REPOSITORY.flatMap((wf) => jobs(wf).flatMap(([id, j]) => (holds(j, wf) ? [`${wf.file} ${id}`] : [])));
        assert.deepEqual(held, ["deploy.yml deploy", "destroy.yml destroy", "expiry.yml expiry", "preview.yml preview"]);
    });
});

describe("only the triggers the gate was designed for (never pull_request_target)", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("trigger", audit(REPOSITORY)), []));
    it("catches pull_request_target", () => {
        catches(
            "trigger",
            edited("preview.yml", (d) => ((d["on"] as Obj)["pull_request_target"] = null)),
            "preview.yml",
        );
    });
    it("catches workflow_run", () => {
        catches(
            "trigger",
            edited("checks.yml", (d) => ((d["on"] as Obj)["workflow_run"] = { workflows: ["checks"] })),
            "checks.yml",
        );
    });
});

describe("permissions default to read", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("default permissions", audit(REPOSITORY)), []));
    it("catches write-all at the top", () => {
        catches(
            "default permissions",
            edited("deploy.yml", (d) => (d["permissions"] = "write-all")),
            "deploy.yml",
        );
    });
    it("catches a write scope at the top", () => {
        catches(
            "default permissions",
            edited("checks.yml", (d) => (d["permissions"] = { contents: "write" })),
            "checks.yml",
        );
    });
    it("catches a workflow without top-level permissions (the repository default may be write)", () => {
        catches(
            "default permissions",
            edited("checks.yml", (d) => delete d["permissions"]),
            "checks.yml",
        );
    });
});

describe("write permissions only for OIDC and the preview comment, only inside an environment", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("write permission", audit(REPOSITORY)), []));
    it("catches contents: write in the preview job", () => {
        catches(
            "write permission",
            edited("preview.yml", (d) => ((job(d, "preview")["permissions"] as Obj)["contents"] = "write")),
            "preview.yml job preview",
        );
    });
    it("catches pull-requests: write in the plan job, which runs a pull request's code in no environment", () => {
        catches(
            "write permission",
            edited("preview.yml", (d) => (job(d, "plan")["permissions"] = { "pull-requests": "write" })),
            "preview.yml job plan",
        );
    });
});

describe("every job with secrets or an OIDC token runs in an environment", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("held outside an environment", audit(REPOSITORY)), []));
    it("catches the deploy job without its environment", () => {
        catches(
            "held outside an environment",
            edited("deploy.yml", (d) => delete job(d, "deploy")["environment"]),
            "deploy.yml job deploy",
        );
    });
    it("catches a secret in the plan job", () => {
        const wfs = edited("preview.yml", (d) => {
            step(d, "plan", named("Offline plan"))["env"] = { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" };
        });
        catches("held outside an environment", wfs, "preview.yml job plan");
    });
    it("catches an OIDC token for the stacks job", () => {
        const wfs = edited("preview.yml", (d) => (job(d, "stacks")["permissions"] = { contents: "read", "id-token": "write" }));
        catches("held outside an environment", wfs, "preview.yml job stacks");
    });
});

describe("pull requests reach only the reviewed <stack>-preview environment; each environment runs only its triggers", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("environment", audit(REPOSITORY)), []));
    it("catches the preview job in the deploy environment", () => {
        catches(
            "environment",
            edited("preview.yml", (d) => (job(d, "preview")["environment"] = "${{ matrix.stack }}")),
            "preview.yml job preview",
        );
    });
    it("catches a pull request's job in the expiry environment, which has no reviewers", () => {
        catches(
            "environment",
            edited("preview.yml", (d) => (job(d, "plan")["environment"] = "expiry")),
            "preview.yml job plan",
        );
    });
    it("catches the expiry check in the preview environment, as it was", () => {
        catches(
            "environment",
            edited("expiry.yml", (d) => (job(d, "expiry")["environment"] = "${{ matrix.stack }}-preview")),
            "expiry.yml job expiry",
        );
    });
    it("catches an environment the threat model does not describe", () => {
        catches(
            "environment",
            edited("deploy.yml", (d) => (job(d, "deploy")["environment"] = "production")),
            "deploy.yml job deploy",
        );
    });
    it("catches deploy on pull requests", () => {
        catches(
            "environment",
            edited("deploy.yml", (d) => ((d["on"] as Obj)["pull_request"] = null)),
            "deploy.yml job deploy",
        );
    });
});

describe("every job that runs the program checks its types first", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("type check", audit(REPOSITORY)), []));
    for (const [file, jobId] of [
        ["deploy.yml", "deploy"],
        ["preview.yml", "preview"],
    ] as const) {
        it(`catches ${file}'s ${jobId} job without npm run typecheck`, () => {
            catches(
                "type check",
                edited(file, (d) => {
                    const j = job(d, jobId);
                    j["steps"] = steps(j).filter((st) => !(typeof st["run"] === "string" && st["run"].includes("typecheck")));
                }),
                `${file} job ${jobId}`,
            );
        });
    }
});

describe("jobs with secrets that can be started by hand, or on push, run the default branch's code only", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("default branch", audit(REPOSITORY)), []));
    it("catches destroy without its guard", () => {
        catches(
            "default branch",
            edited("destroy.yml", (d) => delete job(d, "destroy")["if"]),
            "destroy.yml job destroy",
        );
    });
    it("catches expiry without its guard", () => {
        catches(
            "default branch",
            edited("expiry.yml", (d) => (job(d, "expiry")["if"] = "needs.stacks.outputs.stacks != '[]'")),
            "expiry.yml job expiry",
        );
    });
    it("catches a guard that an || makes optional", () => {
        const wfs = edited("destroy.yml", (d) => (job(d, "destroy")["if"] = `${ON_DEFAULT_BRANCH} || github.actor == 'someone'`));
        catches("default branch", wfs, "destroy.yml job destroy");
    });
    it("catches the guard on one side of an || inside parentheses", () => {
        const wfs = edited(
            "expiry.yml",
            (d) => (job(d, "expiry")["if"] = `(github.event_name == 'workflow_dispatch' || ${ON_DEFAULT_BRANCH})`),
        );
        catches("default branch", wfs, "expiry.yml job expiry");
    });
    it("catches deploy on pushes to any branch", () => {
        catches(
            "default branch",
            edited("deploy.yml", (d) => (d["on"] = { push: null })),
            "deploy.yml job deploy",
        );
    });
    it("catches deploy on pushes of tags as well", () => {
        catches(
            "default branch",
            edited("deploy.yml", (d) => (d["on"] = { push: { branches: [MAIN], tags: ["*"] } })),
            "deploy.yml job deploy",
        );
    });
});

describe("secrets reach only the steps that run Pulumi, never npm ci", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("secret scope", audit(REPOSITORY)), []));
    it("catches the passphrase in the deploy job's env", () => {
        const wfs = edited(
            "deploy.yml",
            (d) => ((job(d, "deploy")["env"] as Obj)["PULUMI_CONFIG_PASSPHRASE"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"),
        );
        catches("secret scope", wfs, "deploy.yml job deploy env");
    });
    it("catches the passphrase on npm ci", () => {
        const wfs = edited("deploy.yml", (d) => {
            step(d, "deploy", (s) => s["run"] === "npm ci")["env"] = {
                PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
            };
        });
        catches("secret scope", wfs, "deploy.yml job deploy step");
    });
    it("catches a secret written into a script", () => {
        const wfs = edited(
            "deploy.yml",
            (d) => (step(d, "deploy", named("Log in to the state backend"))["run"] = "pulumi login ${{ secrets.PULUMI_ACCESS_TOKEN }}"),
        );
        catches("secret scope", wfs, "deploy.yml job deploy step");
    });
    it("catches a secret in the workflow's env", () => {
        catches(
            "secret scope",
            edited("checks.yml", (d) => (d["env"] = { T: "${{ secrets.PULUMI_ACCESS_TOKEN }}" })),
            "checks.yml env",
        );
    });
});

describe("only the <stack> environment signs in as the state writer", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("state writer", audit(REPOSITORY)), []));
    it("catches the preview signing in as the writer, as it did", () => {
        const wfs = edited("preview.yml", (d) => {
            (step(d, "preview", uses("azure/login@"))["with"] as Obj)["client-id"] =
                "${{ vars.STATE_AZURE_CLIENT_ID || vars.ARM_CLIENT_ID }}";
        });
        catches("state writer", wfs, "preview.yml job preview");
    });
});

describe("the expiry check gets nothing that decrypts the state", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("passphrase", audit(REPOSITORY)), []));
    it("catches the passphrase given to check-expiry, as it was", () => {
        const wfs = edited("expiry.yml", (d) => {
            const check = step(d, "expiry", named("Check the certificates' expiry"));
            check["env"] = { ...(check["env"] as Obj), PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" };
        });
        catches("passphrase", wfs, "expiry.yml job expiry");
    });
});

describe("state changes only in the <stack> environment", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("state change", audit(REPOSITORY)), []));
    it("catches pulumi up in the preview job", () => {
        catches(
            "state change",
            edited("preview.yml", (d) => ((step(d, "preview", named("pulumi preview"))["with"] as Obj)["command"] = "up")),
            "preview.yml job preview",
        );
    });
    it("catches pulumi refresh in a script of the expiry job", () => {
        catches(
            "state change",
            edited("expiry.yml", (d) => (step(d, "expiry", named("Log in to the state backend"))["run"] = "pulumi refresh --yes")),
            "expiry.yml job expiry",
        );
    });
});

describe("no expression is pasted into a script", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("script injection", audit(REPOSITORY)), []));
    it("catches the stack name from the pull request's matrix in the plan script", () => {
        const wfs = edited("preview.yml", (d) => {
            const plan = step(d, "plan", named("Offline plan"));
            plan["run"] = String(plan["run"]).replace('"$STACK"', '"${{ matrix.stack }}"');
        });
        catches("script injection", wfs, "preview.yml job plan");
    });
});

describe("GitHub-hosted runners only", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("runner", audit(REPOSITORY)), []));
    it("catches a self-hosted runner", () => {
        catches(
            "runner",
            edited("preview.yml", (d) => (job(d, "plan")["runs-on"] = ["self-hosted", "linux"])),
            "preview.yml job plan",
        );
    });
});

describe("actions pinned to a full commit, with the version beside it", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("pin", audit(REPOSITORY)), []));
    it("catches a tag", () => {
        catches(
            "pin",
            edited("deploy.yml", (d) => (step(d, "deploy", uses("pulumi/actions@"))["uses"] = "pulumi/actions@v7")),
            "deploy.yml job deploy",
        );
    });
    it("catches a shortened commit", () => {
        catches(
            "pin",
            edited("checks.yml", (d) => (step(d, "checks", uses("actions/checkout@"))["uses"] = "actions/checkout@3d3c42e")),
            "checks.yml job checks",
        );
    });
    it("catches a pin without its version comment", () => {
        catches(
            "pin",
            editedText("checks.yml", (t) => t.replace(/(actions\/checkout@[0-9a-f]{40}) # v[\d.]+/, "$1")),
            "checks.yml line",
        );
    });
});

describe("checkout leaves no GITHUB_TOKEN behind", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("checkout credentials", audit(REPOSITORY)), []));
    it("catches a checkout that persists credentials", () => {
        catches(
            "checkout credentials",
            edited("checks.yml", (d) => (step(d, "checks", uses("actions/checkout@"))["with"] = {})),
            "checks.yml job checks",
        );
    });
});

describe("no reusable workflows the rules cannot see into", () => {
    it("holds for the repository's workflows", () => assert.deepEqual(only("reusable workflow", audit(REPOSITORY)), []));
    it("catches a job that calls one", () => {
        const wfs = edited(
            "deploy.yml",
            (d) => ((d["jobs"] as Obj)["elsewhere"] = { uses: "./.github/workflows/other.yml", secrets: "inherit" }),
        );
        catches("reusable workflow", wfs, "deploy.yml job elsewhere");
    });
});

/**
 * What the expiry workflow and docs/ci.md say check-expiry's exit codes mean, held to the codes the tool
 * returns (tools/check-expiry/expiry.mts EXPIRY_EXIT, and EXIT_INVALID_INPUT for outputs it cannot use). Each
 * "(exit N)" is read with the words before it in its clause: a renewal window, an expired certificate,
 * or outputs that cannot be read or used.
 */
describe("the expiry check's exit codes, where the workflow and docs/ci.md describe them", () => {
    const CODES: Record<"renew" | "expired" | "invalid", number> = {
        renew: EXPIRY_EXIT.renew,
        expired: EXPIRY_EXIT.expired,
        invalid: EXIT_INVALID_INPUT,
    };
    /** Each "(exit N)" with what the clause before it describes; undefined when it names none or several. */
    function described(text: string): { meaning: keyof typeof CODES | undefined; code: number; clause: string }[] {
        return [...text.matchAll(/\(exit (\d+)\)/g)].map((m) => {
            // The clause: back to the last punctuation or the previous "(exit N)", comment markers dropped.
            const before = text.slice(0, m.index).replace(/\s*#\s*/g, " ");
            const start = Math.max(...[",", ".", ":", ";", ")"].map((c) => before.lastIndexOf(c)));
            const clause = before.slice(start + 1);
            const meanings = (
                [
                    ["renew", /renewal window|renew/i],
                    ["expired", /expired/i],
                    ["invalid", /cannot (?:read|use)|could not be (?:read|used)|unusable/i],
                ] as const
            ).filter(([, pattern]) => pattern.test(clause));
            return { meaning: meanings.length === 1 ? meanings[0][0] : undefined, code: Number(m[1]), clause: clause.trim() };
        });
    }
    const header = (text: string): string =>
        text
            .split("\n")
            .filter((line) => line.startsWith("#"))
            .join("\n");

    for (const [file, text] of [
        ["expiry.yml", header(REPOSITORY.find((wf) => wf.file === "expiry.yml")!.text)],
        ["docs/ci.md", fs.readFileSync(path.resolve(import.meta.dirname, "..", "docs", "ci.md"), "utf8")],
    ] as const) {
        it(`${file} gives every exit code the meaning check-expiry gives it`, () => {
            const found = described(text);
            assert.ok(found.length > 0, `${file} describes no exit code`);
            for (const f of found) {
                assert.ok(f.meaning !== undefined, `${file}: cannot tell what "(exit ${f.code})" after "${f.clause}" is about`);
                assert.equal(f.code, CODES[f.meaning], `${file}: "${f.clause} (exit ${f.code})"; check-expiry exits ${CODES[f.meaning]}`);
            }
            assert.deepEqual(
                [...new Set(found.map((f) => f.meaning))].sort(),
                ["expired", "invalid", "renew"],
                `${file} describes every failure`,
            );
        });
    }
    it("catches the expired certificate described as exit 2, as it was", () => {
        const found = described(
            "# A tenant inside its renewal window (exit 1)\n# or with an expired certificate (exit 2) fails its own job.",
        );
        assert.deepEqual(
            found.map((f) => [f.meaning, f.code === CODES[f.meaning!]]),
            [
                ["renew", true],
                ["expired", false],
            ],
        );
    });
});
