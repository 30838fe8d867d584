/**
 * The offline plan: what `pulumi up` would create for a stack, read from a recording of the real
 * program run in preview mode against a tenant whose values are all placeholders.
 */
import { inspectCertificate } from "../../components/certificate.ts";
import { EXCHANGE_APIS, MANAGE_AS_APP_ROLE, SUPPORTED_ROLES } from "../../components/microsoft.ts";
import { REDACTED_KEY, REDACTED_TOKEN, printable, printableJson, printableLine, redactSecrets } from "../../components/redaction.ts";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_NAMESPACE } from "../../components/settings.ts";
import { isFullStackName } from "../../components/stackNames.ts";
import { type Evaluation, PROJECT_DIR, type RecordedResource, evaluate, programConfigEnvironment } from "../../engine/engine.mts";
import { type ResolvedConfig, loadStackConfig } from "../../engine/stackConfig.mts";
import { FROM_TENANT, FROM_TENANT_DOMAIN, type TenantData, placeholderTenant } from "../../engine/tenant.mts";
import { COMPUTED, SECRET, type Value, isSecret, isUnknown, redact, sortKeys } from "../../engine/wireValues.mts";

export interface PlanConfigEntry {
    /** Shortened as values are, when over LONG_VALUE_CHARS. */
    readonly key: string;
    /** Secrets redacted; a value over LONG_VALUE_CHARS shortened (shortValue). */
    readonly value: string;
    /** Where the value comes from: the stack file, a Pulumi.yaml default, or an encrypted stack value. */
    readonly source: "stack" | "default" | "secure";
}

export interface PlanResource {
    readonly type: string;
    readonly name: string;
    /** Logical name of the parent ("" for the stack). */
    readonly parent: string;
    readonly inputs: Record<string, Value>;
    /** Review aids: what an id means, what a certificate is. */
    readonly notes: string[];
    /** Logical names of the resources this one waits for. */
    readonly dependsOn: string[];
    /** Names the resource had before (aliases): an upgrade keeps the existing resource. */
    readonly aliases: string[];
}

export interface Plan {
    readonly project: string;
    readonly stack: string;
    readonly config: PlanConfigEntry[];
    /** In tree order: each parent before its children, siblings by name. */
    readonly resources: PlanResource[];
    readonly outputs: Record<string, Value>;
    readonly warnings: string[];
    readonly errors: string[];
}

/**
 * The longest string Linux passes to a program as one argument or environment variable: MAX_ARG_STRLEN,
 * 32 pages of 4 KiB, counting "NAME=" and the closing NUL (include/uapi/linux/binfmts.h; fs/exec.c
 * copy_strings refuses a longer one and execve fails with E2BIG).
 */
export const MAX_ENVIRONMENT_STRING_BYTES = 32 * 4096;

/**
 * Why the program cannot be started with this configuration at all, or undefined when it can. The Pulumi
 * CLI hands a nodejs program its whole configuration in one environment variable, PULUMI_CONFIG
 * (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, execRuntime: `env = append(env,
 * pulumiConfigVar+"="+config)`), so on Linux values of more than about 128 KiB together stop `pulumi up`
 * before the program runs, and the stack file's own 1 MiB cap does not prevent that. `file` names the
 * stack file in the message.
 */
export function unstartableProblem(config: ResolvedConfig, file: string): string | undefined {
    for (const [name, value] of Object.entries(programConfigEnvironment(config))) {
        const bytes = Buffer.byteLength(`${name}=${value}`) + 1;
        if (bytes <= MAX_ENVIRONMENT_STRING_BYTES) continue;
        const longest = Object.entries(config.config).reduce((a, b) => (Buffer.byteLength(b[1]) > Buffer.byteLength(a[1]) ? b : a));
        return (
            `${file}: the configuration makes ${name} ${bytes} bytes (${kib(bytes)}), ` +
            `over the ${MAX_ENVIRONMENT_STRING_BYTES} bytes (${kib(MAX_ENVIRONMENT_STRING_BYTES)}) Linux allows one environment variable; ` +
            "the Pulumi CLI hands the program its whole configuration in it, so `pulumi up` could not start the program either: " +
            `shorten the values (the longest is ${shortValue(longest[0])}, ${kib(Buffer.byteLength(longest[1]))})`
        );
    }
    return undefined;
}

function kib(bytes: number): string {
    return `${Math.ceil(bytes / 1024)} KiB`;
}

/** Runs the program in preview against the placeholder tenant and builds the plan. */
export async function makePlan(config: ResolvedConfig, options: { projectDir?: string } = {}): Promise<Plan> {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const tenant = placeholderTenant(
        EXCHANGE_APIS.map((api) => ({ appId: api.appId, displayName: api.title })),
        MANAGE_AS_APP_ROLE,
    );
    const home = await homeDeployment(config, projectDir, tenant);
    const ev = await evaluate({
        config,
        tenant,
        preview: true,
        compileCache: true,
        projectDir,
        ...(home?.deployment ? { otherStacks: { [home.name]: home.deployment } } : {}),
    });
    const plan = planOf(config, ev);
    return home ? { ...plan, warnings: [home.note, ...plan.warnings] } : plan;
}

/**
 * A customer stack's home, when it is a stack of this project: deployed from its own stack file against a
 * placeholder tenant of its own, so that the customer's plan has outputs to read (a plan has no backend).
 * A home elsewhere stays unknown, and the plan says what `pulumi preview` would: it cannot be read.
 */
async function homeDeployment(
    config: ResolvedConfig,
    projectDir: string,
    tenant: TenantData,
): Promise<{ name: string; deployment: Evaluation | undefined; note: string } | undefined> {
    const name = config.config[`${CONFIG_NAMESPACE}:home`];
    if (name === undefined || !isFullStackName(name)) return undefined;
    const [, project, stack] = name.split("/") as [string, string, string];
    if (project !== config.project || stack === config.stack || !fs.existsSync(path.join(projectDir, `Pulumi.${stack}.yaml`))) {
        return undefined;
    }
    const failing = {
        name,
        deployment: undefined,
        note: `${CONFIG_NAMESPACE}:home: the home stack's own plan fails, so it has no outputs to read here: npm run plan -- --stack ${stack} says why.`,
    };
    let homeConfig: ResolvedConfig;
    try {
        homeConfig = loadStackConfig(projectDir, stack);
    } catch {
        return failing;
    }
    // A deployment needs the directory's role templates, which a preview's placeholder tenant never reads.
    const roleTemplates = SUPPORTED_ROLES.map((r) => ({ id: r.templateId, displayName: r.name }));
    const deployment = await evaluate({
        config: homeConfig,
        tenant: { ...tenant, tenantId: HOME_TENANT_ID, roleTemplates },
        preview: false,
        compileCache: true,
        projectDir,
    });
    if (deployment.failed) return failing;
    return {
        name,
        deployment,
        note: `${CONFIG_NAMESPACE}:home: the home stack's outputs are simulated from Pulumi.${stack}.yaml (npm run plan -- --stack ${stack}); \`pulumi preview\` reads them from its last deployment.`,
    };
}

/** The tenant id of a home stack's simulated deployment: any other than the customer's placeholder. */
const HOME_TENANT_ID = "00000000-0000-4000-8000-000000000001";

/** Every string in `value` with the placeholder tenant's domain shown as what it stands for. */
function fromTenant<T>(value: T): T {
    if (typeof value === "string") return value.replaceAll(FROM_TENANT_DOMAIN, FROM_TENANT) as T;
    if (Array.isArray(value)) return value.map(fromTenant) as T;
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromTenant(v)])) as T;
    }
    return value;
}

export function planOf(config: ResolvedConfig, ev: Evaluation): Plan {
    const byUrn = new Map(ev.recording.resources.map((r) => [r.urn, r]));
    const nameOf = (urn: string) => byUrn.get(urn)?.name ?? urn;
    const resources: PlanResource[] = [];
    const visit = (parent: string) => {
        const children = ev.recording.resources
            .filter((r) => r.parent === parent)
            .sort((a, b) => compare(a.name, b.name) || compare(a.type, b.type));
        for (const r of children) {
            resources.push(planResource(r, nameOf));
            visit(r.urn);
        }
    };
    visit("");
    // Whatever the program or a configuration value holds, a plan never carries a private key or a token:
    // a fork's pull request copies it into a public job summary.
    const errors = ev.errors.map(redactSecrets);
    if (ev.failed && errors.length === 0) errors.push(redactSecrets(`the program exited with code ${ev.exitCode}: ${ev.stderr.trim()}`));
    return {
        project: config.project,
        stack: config.stack,
        config: Object.keys(config.config)
            .sort()
            .map((key) => ({
                // A key is the person's too: a pasted blob there is shortened like one in a value.
                key: shortValue(key),
                value: configValue(config.config[key] ?? ""),
                source: config.secureKeys.includes(key) ? "secure" : config.defaultedKeys.includes(key) ? "default" : "stack",
            })),
        resources: fromTenant(resources),
        outputs: ev.outputs ? fromTenant(sortKeys(redact(ev.outputs)) as Record<string, Value>) : {},
        // The stack file's own (stray keys the CLI ignores) first, as the CLI reads the file before it runs the program.
        warnings: fromTenant([...(config.warnings ?? []), ...ev.warnings].map(redactSecrets)),
        errors: fromTenant(errors),
    };
}

/** A PEM certificate in a value, as written or inside JSON text (its newlines escaped), with the space around it. */
const CERTIFICATE_IN_VALUE = /\s*-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----(?:\s|\\n)*/g;

/**
 * A configuration value for the plan: each certificate in it summarised (as inputs' are: public, but a
 * screenful), and then shortValue.
 */
function configValue(value: string): string {
    const summarised = value.replace(CERTIFICATE_IN_VALUE, (block) => `[${describeCertificate(block.trim().replaceAll("\\n", "\n"))}]`);
    return shortValue(summarised, Buffer.byteLength(value));
}

/**
 * A configuration value longer than this is shown shortened: a pasted file must not flood the plan
 * (a job summary, a pull-request comment). Real values stay whole: a Key Vault's resource id, a list
 * of roles or of a few federated credentials.
 */
export const LONG_VALUE_CHARS = 256;
/** How much of a long value is shown. */
const SHOWN_CHARS = 80;
const MARKERS = new RegExp([REDACTED_KEY, REDACTED_TOKEN].map((m) => m.replace(/[[\]]/g, "\\$&")).join("|"), "g");

/**
 * A value for the plan: secrets redacted first (so no part of one survives the cut), then, when long,
 * its first SHOWN_CHARS characters and its size (`bytes`, by default its own): "aaaa… (98 KiB)". A cut
 * never splits a redaction marker or a surrogate pair.
 */
export function shortValue(value: string, bytes = Buffer.byteLength(value)): string {
    const redacted = redactSecrets(value);
    if (redacted.length <= LONG_VALUE_CHARS) return redacted;
    let end = SHOWN_CHARS;
    // Markers in the order they occur: one the cut would split is kept whole.
    for (const m of redacted.matchAll(MARKERS)) if (m.index < end) end = Math.max(end, m.index + m[0].length);
    if (/[\ud800-\udbff]/.test(redacted.charAt(end - 1))) end++;
    return `${redacted.slice(0, end)}… (${bytes < 1024 ? `${bytes} bytes` : `${Math.ceil(bytes / 1024)} KiB`})`;
}

function planResource(r: RecordedResource, nameOf: (urn: string) => string): PlanResource {
    const inputs: Record<string, Value> = {};
    const notes: string[] = [];
    for (const key of Object.keys(r.inputs).sort()) {
        const value = r.inputs[key];
        const from = (r.propertyDependencies[key] ?? []).map(nameOf).sort();
        inputs[key] = show(value, from, notes);
    }
    notes.push(...notesFor(r));
    return {
        type: r.type,
        name: r.name,
        parent: r.parent ? nameOf(r.parent) : "",
        inputs,
        notes,
        dependsOn: [...new Set(r.dependencies.map(nameOf))].sort(),
        aliases: r.aliases.map((a) => a.urn ?? a.name ?? "").filter((a) => a !== ""),
    };
}

/** Redacts a value for display; unknowns name the resources they come from. */
function show(v: Value, from: string[], notes: string[]): Value {
    if (isSecret(v)) return SECRET;
    if (isUnknown(v)) return from.length > 0 ? `${COMPUTED} from ${from.join(", ")}` : COMPUTED;
    if (typeof v === "string" && v.includes("-----BEGIN CERTIFICATE-----")) {
        notes.push(describeCertificate(v));
        return "[certificate, see note]";
    }
    if (Array.isArray(v)) return v.map((item) => show(item, from, notes));
    if (v !== null && typeof v === "object") {
        const out: Record<string, Value> = {};
        for (const k of Object.keys(v).sort()) out[k] = show(v[k], from, notes);
        return out;
    }
    return v;
}

function describeCertificate(pem: string): string {
    try {
        const f = inspectCertificate(pem);
        return `certificate ${f.subject.replaceAll("\n", ", ")}, thumbprint ${f.thumbprint}, valid until ${f.notAfter}`;
    } catch {
        return "certificate (unreadable)";
    }
}

/** What an id or number means, for a reviewer. */
function notesFor(r: RecordedResource): string[] {
    const notes: string[] = [];
    const inputs = r.inputs;
    const role = SUPPORTED_ROLES.find((x) => x.templateId === inputs["roleId"]);
    if (role) notes.push(`role ${role.name}`);
    const api = EXCHANGE_APIS.find((a) => a.appId === inputs["apiClientId"]);
    if (api) notes.push(`API ${api.title}, permission ${MANAGE_AS_APP_ROLE}`);
    if (r.type === "azuread:index/appRoleAssignment:AppRoleAssignment") {
        // The plan's tenant is placeholders only: the resource's name says which API it grants.
        const granted = EXCHANGE_APIS.find((a) => a.suffix !== "" && r.name.endsWith(a.suffix)) ?? EXCHANGE_APIS[0];
        notes.push(`admin consent: ${MANAGE_AS_APP_ROLE} on ${granted.title}`);
    }
    if (r.type === "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential") {
        notes.push("sign-in with a token from that issuer for that subject; nothing secret is stored");
    }
    const hours = inputs["validityPeriodHours"];
    if (typeof hours === "number") notes.push(`valid ${hours / 24} days from creation`);
    if (inputs["directoryScopeId"] === "/") notes.push("scope: the whole tenant");
    return notes;
}

/** Stable JSON; control and invisible characters written as \uXXXX (the same JSON value), secrets redacted once more. */
export function renderJson(plan: Plan): string {
    return `${printableJson(sortKeys(plan as unknown as Value), 2)}\n`;
}

/**
 * The plan as a person reads it (a terminal, a pull request's job summary). Every name and value is
 * escaped onto its own line (printableLine): a line break in a setting's name or a resource's cannot add a
 * line such as "Resources: 9 to create". Errors and warnings are the program's and the CLI's own messages,
 * several lines each, which quote what a person supplied escaped already; they are made printable line by line.
 */
export function renderText(plan: Plan): string {
    const lines: string[] = [];
    lines.push(`Plan for stack ${one(plan.stack)} of ${one(plan.project)}: what \`pulumi up\` would create in a new stack.`);
    lines.push("Offline: no tenant was contacted and nothing was changed.");
    lines.push("");
    lines.push("Configuration:");
    const keys = plan.config.map((c) => one(c.key));
    const width = Math.max(0, ...keys.map((k) => k.length));
    plan.config.forEach((c, i) => {
        const shown = c.source === "secure" ? SECRET : c.value === "" ? '""' : inline(c.value);
        lines.push(
            `    ${keys[i].padEnd(width)}  ${shown}${c.source === "default" ? "   (default)" : c.source === "secure" ? "   (encrypted, not read)" : ""}`,
        );
    });
    lines.push("");
    if (plan.errors.length > 0) {
        lines.push("Errors (pulumi preview would stop here):");
        for (const e of plan.errors) lines.push(...indent(`error: ${e}`, 4));
        warningLines(plan, lines);
        return `${lines.map(printable).join("\n")}\n`;
    }
    const created = plan.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
    lines.push(`Resources: ${created.length} to create`);
    const depth = new Map<string, number>([["", -1]]);
    for (const r of plan.resources) {
        const d = (depth.get(r.parent) ?? -1) + 1;
        depth.set(r.name, d);
        const pad = " ".repeat(4 + d * 4);
        lines.push(`${pad}+ ${one(r.type)}  ${one(r.name)}`);
        for (const alias of r.aliases) lines.push(`${pad}      (was ${one(alias)})`);
        for (const [k, v] of Object.entries(r.inputs)) lines.push(`${pad}      ${one(k)}: ${inline(v)}`);
        for (const note of r.notes) lines.push(`${pad}      # ${one(note)}`);
    }
    lines.push("");
    lines.push("Outputs:");
    for (const [k, v] of Object.entries(plan.outputs)) lines.push(`    ${one(k)}: ${inline(v)}`);
    warningLines(plan, lines);
    lines.push("");
    lines.push(
        `${FROM_TENANT}: read from the tenant by \`pulumi preview\`. ${COMPUTED}: known once \`pulumi up\` creates it. ${SECRET}: secret.`,
    );
    return `${lines.map(printable).join("\n")}\n`;
}

/** A name or value for one line of the text plan: control characters, line breaks and tabs escaped, secrets redacted. */
function one(text: string): string {
    return printableLine(text);
}

function warningLines(plan: Plan, lines: string[]): void {
    if (plan.warnings.length === 0) return;
    lines.push("");
    lines.push("Warnings:");
    for (const w of plan.warnings) lines.push(...indent(`warning: ${w}`, 4));
}

/**
 * A Mermaid flowchart: parents contain children (solid), dependencies dotted. Node ids are made from
 * names (mermaidIds); labels are quoted, every character outside a plain set written as Mermaid's
 * entity code (mermaidText), so no name can end its label or add a node or an edge.
 */
export function renderMermaid(plan: Plan): string {
    const id = mermaidIds();
    const lines = ["flowchart TD"];
    for (const r of plan.resources) {
        const parts = [shortType(r.type), r.name, ...r.notes.filter((n) => n.startsWith("role ") || n.startsWith("API "))];
        lines.push(`    ${id(r.name)}["${parts.map(mermaidText).join("<br/>")}"]`);
    }
    for (const r of plan.resources) if (r.parent) lines.push(`    ${id(r.parent)} --> ${id(r.name)}`);
    for (const r of plan.resources) {
        for (const dep of r.dependsOn) if (dep !== r.parent) lines.push(`    ${id(dep)} -.-> ${id(r.name)}`);
    }
    return `${lines.join("\n")}\n`;
}

/**
 * Words Mermaid's flowchart lexer takes for a statement wherever a line or a token starts with them
 * (mermaid-js/mermaid packages/mermaid/src/diagrams/flowchart/parser/flow.jison): an id that begins with
 * one would not be read as a node.
 */
const MERMAID_KEYWORDS =
    /^(?:style|default|linkstyle|interpolate|classdef|class|href|click|call|flowchart|graph|subgraph|end|direction|acctitle|accdescr)/i;

/**
 * Node ids from names: letters and digits kept, anything else "_" (readable in the Markdown: exo_api_access),
 * "n_" before an id that a digit, "_" or a keyword starts, and a number after one another name took.
 */
function mermaidIds(): (name: string) => string {
    const ids = new Map<string, string>();
    const taken = new Set<string>();
    return (name) => {
        const known = ids.get(name);
        if (known !== undefined) return known;
        let base = name.replace(/[^A-Za-z0-9]/g, "_");
        if (base === "" || /^[0-9_]/.test(base) || MERMAID_KEYWORDS.test(base)) base = `n_${base}`;
        let id = base;
        for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
        ids.set(name, id);
        taken.add(id);
        return id;
    };
}

/**
 * Text for a quoted Mermaid label: escaped onto one line (printableLine), then every character but letters,
 * digits, space and . , : / _ ( ) + = - written as Mermaid's entity code #<decimal>; (a quote, a bracket, a
 * pipe, HTML, a backtick that would start Markdown), and the space in "direction TB", which the lexer takes
 * for a statement anywhere in a line.
 */
function mermaidText(text: string): string {
    return Array.from(printableLine(text))
        .map((c) => (/^[A-Za-z0-9 .,:/_()+=-]$/.test(c) ? c : `#${c.codePointAt(0)};`))
        .join("")
        .replace(/(direction)(\s+)(?=TB|BT|RL|LR|TD)/g, (_, word: string, space: string) => `${word}${space.replaceAll(" ", "#32;")}`);
}

/** "azuread:index/servicePrincipal:ServicePrincipal" → "azuread.ServicePrincipal". */
function shortType(type: string): string {
    const parts = type.split(":");
    if (parts.length !== 3) return type;
    const [pkg, , name] = parts;
    return pkg === "pulumi" || pkg === "exo-cba" ? type : `${pkg}.${name}`;
}

/** One line per value: certificates are summarised, everything else as JSON unless a plain string; escaped (one()). */
function inline(v: Value): string {
    if (typeof v === "string" && v.includes("-----BEGIN CERTIFICATE-----")) return one(`[${describeCertificate(v)}]`);
    return one(typeof v === "string" && !v.includes("\n") ? v : JSON.stringify(v));
}

function indent(text: string, n: number): string[] {
    return text.split("\n").map((l) => " ".repeat(n) + l);
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
