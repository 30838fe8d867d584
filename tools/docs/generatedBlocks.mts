/**
 * The README's generated blocks, rendered from the declarations they document: the configuration table
 * from SETTINGS, the outputs table from OUTPUTS, the runner table from RUNNERS, the resource diagram
 * from the dev stack's plan; and docs/runners.md's table with its sources. `npm run docs` writes them;
 * tests/docs.test.mts fails when a file is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { ROTATION_ADVICE } from "../../components/rotation.ts";
import { OUTPUTS } from "../../components/outputs.ts";
import { type CertificateForm, MODULE_RELEASES, type Runner, type SignIn, RUNNERS, modulePin } from "../../components/runners.ts";
import { complianceEndpoints, exchangeEnvironment, securityAndCompliance } from "../../components/connect.ts";
import { CLOUDS, CLOUD_NAMES } from "../../components/clouds.ts";
import { type Kind, SETTINGS, SETTING_KEYS } from "../../components/settings.ts";
import { PROJECT_DIR } from "../../engine/engine.mts";
import { makePlan, renderMermaid } from "../plan/offlinePlan.mts";
import { StackConfigError, loadStackConfig } from "../../engine/stackConfig.mts";
import { UserError } from "../shared/cli.mts";

export const README = path.join(PROJECT_DIR, "README.md");
export const RUNNERS_DOC = path.join(PROJECT_DIR, "docs", "runners.md");
export const PROJECT_FILE = path.join(PROJECT_DIR, "Pulumi.yaml");
export const EXPORT_DOC = path.join(PROJECT_DIR, "docs", "export.md");

const KIND_TEXT: Readonly<Record<Kind, string>> = {
    string: "string",
    integer: "integer",
    boolean: "boolean",
    strings: "list of strings",
    items: "list",
};

export function settingsTable(): string {
    const rows = SETTING_KEYS.map((key) => {
        const s = SETTINGS[key];
        return `| \`${key}\` | ${KIND_TEXT[s.kind]} | ${s.defaultText} | ${s.allowed} |`;
    });
    return ["| Key | Type | Default | Allowed |", "|---|---|---|---|", ...rows].join("\n");
}

/** The README's cloud table: each cloud's setting, tenants, provider environment, what its connect lines add, and extra grants. */
export function cloudsTable(): string {
    const rows = CLOUD_NAMES.map((name) => {
        const c = CLOUDS[name];
        const global = name === "global";
        const environment = global ? `not set, or \`${c.azureadEnvironments[0]}\`` : `\`${c.azureadEnvironments[0]}\``;
        const adds = global ? `nothing (\`${c.exchangeEnvironmentName}\`)` : `\`${exchangeEnvironment(name).trim()}\``;
        const granted = c.exchangeOnlineProtection ? "`Exchange.ManageAsApp` of Exchange Online Protection" : "";
        return `| \`${name}\`${global ? " (default)" : ""} | ${c.title} | ${environment} | ${adds} |${granted === "" ? "" : ` ${granted}`} |`;
    });
    return [
        "| `exo-cba:cloud` | Tenants | `azuread:environment` | Connect lines add | Also granted |",
        "|---|---|---|---|---|",
        ...rows,
    ].join("\n");
}

/** docs/export.md's cloud table: what export-cert's Connect-ExchangeOnline and Connect-IPPSSession lines add in each cloud. */
export function exportCloudsTable(): string {
    const rows = CLOUD_NAMES.map((name) => {
        const exo = exchangeEnvironment(name).trim();
        const ipps = complianceEndpoints(name).trim();
        return `| ${name === "global" ? "`global`, or no `cloud` output" : `\`${name}\``} | ${exo === "" ? "nothing" : `\`${exo}\``} | ${ipps === "" ? "nothing" : `\`${ipps}\``} |`;
    });
    return ["| `cloud` | `Connect-ExchangeOnline` adds | `Connect-IPPSSession` adds |", "|---|---|---|", ...rows].join("\n");
}

export function outputsTable(): string {
    const rows = Object.entries(OUTPUTS).map(([name, o]) => `| \`${name}\` | ${o.presence} | ${o.doc} |`);
    return ["| Output | Present | Meaning |", "|---|---|---|", ...rows].join("\n");
}

const CERTIFICATE_TEXT: Readonly<Record<CertificateForm, string>> = { thumbprint: "store", file: "file", object: "object" };
const SIGN_IN_TEXT: Readonly<Record<SignIn, string>> = {
    managedIdentity: "managed identity",
    federated: "federated credential",
    certificate: "certificate",
};

function powershellText(r: Runner): string {
    return r.powershell === "5.1" ? "Windows PowerShell 5.1" : r.powershell;
}

/** Security & Compliance PowerShell there: Windows only, and never as a managed identity (Connect-IPPSSession has no -ManagedIdentity). */
function complianceText(r: Runner): string {
    if (!securityAndCompliance(r.os)) return "–";
    return r.signIn.includes("managedIdentity") ? "✔ (not as a managed identity)" : "✔";
}

/**
 * The runner compatibility table (components/runners.ts): the README's without sources, docs/runners.md's
 * with each row's notes and source.
 */
export function runnersTable(withSources: boolean): string {
    const head = [
        "Host",
        "PowerShell",
        "Pin ExchangeOnlineManagement",
        "Certificate",
        "Exchange Online",
        "Security & Compliance",
        "Sign-in",
    ];
    const rows = RUNNERS.map((r) => {
        const cells = [
            `${r.host}: ${r.variant}`,
            powershellText(r),
            `\`${modulePin(r.powershell)}\``,
            r.certificate.length === 0 ? "–" : r.certificate.map((c) => CERTIFICATE_TEXT[c]).join(", "),
            "✔",
            complianceText(r),
            r.signIn.map((m) => SIGN_IN_TEXT[m]).join(", "),
        ];
        if (withSources) cells.push([r.note, r.source].filter((t) => t !== undefined).join(" "));
        return `| ${cells.join(" | ")} |`;
    });
    const header = withSources ? [...head, "Notes and source"] : head;
    return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows].join("\n");
}

/** Each module line: what it needs, and the release pinned from it (docs/runners.md). */
export function moduleTable(): string {
    const rows = MODULE_RELEASES.map((r, i) => {
        const line =
            i === 0
                ? `${r.lineFrom} (${r.lineFromReleased}) and later`
                : `${r.lineFrom} (${r.lineFromReleased}) to ${r.version} (${r.released})`;
        const needs = `PowerShell ${r.powershell7}.0 (.NET ${r.dotnet})${r.windowsPowerShell ? " or Windows PowerShell 5.1" : ""}`;
        return `| ${line} | ${needs} | \`${r.version}\` |`;
    });
    return ["| ExchangeOnlineManagement | Needs | Newest release, pinned |", "|---|---|---|", ...rows].join("\n");
}

/** The same in one sentence, for the README. */
export function moduleSentence(): string {
    const lines = MODULE_RELEASES.map((r, i) =>
        i === 0 ? `${r.lineFrom} and later need PowerShell ${r.powershell7}` : `${r.lineFrom} to ${r.version} need ${r.powershell7}`,
    );
    const all = MODULE_RELEASES.every((r) => r.windowsPowerShell) ? ", and Windows PowerShell 5.1 runs them all" : "";
    return `ExchangeOnlineManagement ${lines.join(", ")}${all}.`;
}

export async function diagram(projectDir: string = PROJECT_DIR): Promise<string> {
    let config;
    try {
        config = loadStackConfig(projectDir, "dev");
    } catch (e) {
        // The diagram is drawn from the dev stack: a broken stack file is the person's to fix, not a bug.
        if (e instanceof StackConfigError) throw new UserError(`${e.message}; the README's diagram is drawn from it`);
        throw e;
    }
    const plan = await makePlan(config);
    if (plan.errors.length > 0) {
        throw new UserError(
            `the dev stack is refused, so the README's diagram cannot be drawn from it: ${plan.errors.join(" ").replace(/\s+/g, " ")}`,
        );
    }
    return `\`\`\`mermaid\n${renderMermaid(plan)}\`\`\``;
}

/**
 * Pulumi.yaml's `config:` block. Every key gets a default, because the CLI treats a declared key without
 * one as required; "" and [] mean "not set" to the program. Lists of items have no type: Pulumi.yaml
 * cannot declare a list of objects, so the program checks their shape itself.
 */
export function projectConfig(): string {
    const config: Record<string, unknown> = {};
    for (const key of SETTING_KEYS) {
        const s = SETTINGS[key];
        const type = { string: "string", integer: "integer", boolean: "boolean", strings: "array", items: undefined }[s.kind];
        config[key] = {
            ...(type ? { type } : {}),
            ...(s.kind === "strings" ? { items: { type: "string" } } : {}),
            description: s.description,
            default: s.default ?? (s.kind === "strings" ? [] : ""),
        };
    }
    return stringify({ config }, { lineWidth: 0 });
}

/** Pulumi.yaml with its config block rendered anew (the block is the file's last section). */
export function regenerateProjectFile(text: string): string {
    const start = text.search(/^config:\s*$/m);
    if (start < 0) throw new Error("Pulumi.yaml has no config: block");
    return text.slice(0, start) + projectConfig();
}

/** The README's text between `<!-- generated:<name> -->` and `<!-- /generated:<name> -->`, or undefined. */
export function block(readme: string, name: string): string | undefined {
    return new RegExp(`<!-- generated:${name} -->\\n([\\s\\S]*?)\\n<!-- /generated:${name} -->`).exec(readme)?.[1];
}

/** The README with every generated block rendered anew. */
export async function regenerate(readme: string): Promise<string> {
    return replaceBlocks(readme, "README.md", {
        settings: settingsTable(),
        outputs: outputsTable(),
        clouds: cloudsTable(),
        runners: runnersTable(false),
        "module-lines": moduleSentence(),
        diagram: await diagram(),
        rotation: `> ${ROTATION_ADVICE}`,
    });
}

/** docs/export.md with its cloud table rendered anew. */
export function regenerateExportDoc(text: string): string {
    return replaceBlocks(text, "docs/export.md", { clouds: exportCloudsTable() });
}

/** docs/runners.md with its table rendered anew. */
export function regenerateRunnersDoc(text: string): string {
    return replaceBlocks(text, "docs/runners.md", { "runners-sources": runnersTable(true), "module-releases": moduleTable() });
}

function replaceBlocks(text: string, file: string, blocks: Readonly<Record<string, string>>): string {
    let out = text;
    for (const [name, rendered] of Object.entries(blocks)) {
        if (block(out, name) === undefined) throw new Error(`${file} has no <!-- generated:${name} --> block`);
        out = out.replace(
            new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(\\n<!-- /generated:${name} -->)`),
            (_, open: string, close: string) => `${open}${rendered}${close}`,
        );
    }
    return out;
}

export function readReadme(): string {
    return fs.readFileSync(README, "utf8");
}

/** Rewrites the generated blocks of README.md, docs/runners.md and docs/export.md and Pulumi.yaml's config block where they are stale; which file changed. */
export async function updateDocs(): Promise<{ readonly file: string; readonly updated: boolean }[]> {
    const readme = readReadme();
    const project = fs.readFileSync(PROJECT_FILE, "utf8");
    const runners = fs.readFileSync(RUNNERS_DOC, "utf8");
    const exporting = fs.readFileSync(EXPORT_DOC, "utf8");
    const updates: [string, string, string][] = [
        [README, readme, await regenerate(readme)],
        [RUNNERS_DOC, runners, regenerateRunnersDoc(runners)],
        [EXPORT_DOC, exporting, regenerateExportDoc(exporting)],
        [PROJECT_FILE, project, regenerateProjectFile(project)],
    ];
    for (const [file, before, after] of updates) if (after !== before) fs.writeFileSync(file, after);
    return updates.map(([file, before, after]) => ({ file: path.basename(file), updated: after !== before }));
}
