/**
 * Stack configuration (namespace `exo-cba`): typed parsing, unknown-key detection and the
 * component's rules, all reported in one error before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RENEW_BEFORE_DAYS } from "./expiry.ts";
import {
    type AccessSettings,
    type CertificateGeneration,
    DEFAULT_DISPLAY_NAME,
    DEFAULT_ROLES,
    DEFAULT_RSA_BITS,
    DEFAULT_VALIDITY_DAYS,
    type Problem,
    checkSettings,
    describeProblems,
    show,
} from "./validation.ts";

export const CONFIG_NAMESPACE = "exo-cba";

type Kind = "string" | "integer" | "boolean" | "string-array" | "generations";

/** Every key the program reads, with its type. Pulumi.yaml declares the same keys. */
export const CONFIG_KEYS: Readonly<Record<keyof AccessSettings, Kind>> = {
    displayName: "string",
    organization: "string",
    roles: "string-array",
    allowGlobalAdministrator: "boolean",
    certValidityDays: "integer",
    certRsaBits: "integer",
    certificatePem: "string",
    owners: "string-array",
    certificates: "generations",
    renewBeforeDays: "integer",
    keyVaultId: "string",
    keyVaultSecretName: "string",
    keyVaultReaderPrincipalIds: "string-array",
};

export interface ParsedConfig {
    /** Present only when there are no errors. */
    readonly settings: AccessSettings | undefined;
    readonly errors: Problem[];
    readonly warnings: Problem[];
}

/**
 * Parses the raw strings Pulumi hands the program (`{"displayName": "...", "roles": "[\"...\"]"}`,
 * keys without the namespace) and checks every rule. `now` is only used to tell whether a supplied
 * certificate is currently valid.
 */
export function parseConfig(raw: Readonly<Record<string, string>>, now: Date): ParsedConfig {
    const errors: Problem[] = [];
    const values: Record<string, unknown> = {};
    for (const key of Object.keys(raw).sort()) {
        if (!(key in CONFIG_KEYS)) {
            errors.push({
                key,
                message: `is not a setting of this project.${suggestKey(key)} Known keys: ${Object.keys(CONFIG_KEYS).join(", ")}.`,
            });
        }
    }
    for (const [key, kind] of Object.entries(CONFIG_KEYS)) {
        const text = raw[key];
        if (text === undefined) continue;
        const parsed = parseValue(kind, text);
        if (parsed.ok) values[key] = parsed.value;
        else errors.push({ key, message: parsed.message });
    }
    // Pulumi.yaml gives optional keys the defaults "" and [] (a declared key without a default is
    // required by the CLI), so empty means "not set".
    const optional = <T>(value: T | undefined): T | undefined =>
        value === "" || (Array.isArray(value) && value.length === 0) ? undefined : value;
    const certificates = values["certificates"] as CertificateGeneration[] | "" | undefined;
    const settings: AccessSettings = {
        displayName: (values["displayName"] as string | undefined) ?? DEFAULT_DISPLAY_NAME,
        organization: optional(values["organization"] as string | undefined),
        roles: (values["roles"] as string[] | undefined) ?? DEFAULT_ROLES,
        allowGlobalAdministrator: (values["allowGlobalAdministrator"] as boolean | undefined) ?? false,
        certValidityDays: (values["certValidityDays"] as number | undefined) ?? DEFAULT_VALIDITY_DAYS,
        certRsaBits: (values["certRsaBits"] as number | undefined) ?? DEFAULT_RSA_BITS,
        certificatePem: optional(values["certificatePem"] as string | undefined),
        owners: optional(values["owners"] as string[] | undefined),
        // "" (the Pulumi.yaml default) is "not set"; an explicit [] is an error the rules report.
        certificates: certificates === "" ? undefined : certificates,
        renewBeforeDays: (values["renewBeforeDays"] as number | undefined) ?? DEFAULT_RENEW_BEFORE_DAYS,
        keyVaultId: optional(values["keyVaultId"] as string | undefined),
        keyVaultSecretName: optional(values["keyVaultSecretName"] as string | undefined),
        keyVaultReaderPrincipalIds: optional(values["keyVaultReaderPrincipalIds"] as string[] | undefined),
    };
    // Rules run on every value that parsed, so type errors and rule errors arrive together.
    const checked = checkSettings(settings, now);
    const failedKeys = new Set(errors.map((e) => e.key));
    errors.push(...checked.errors.filter((e) => !failedKeys.has(e.key)));
    return { settings: errors.length === 0 ? settings : undefined, errors, warnings: checked.warnings };
}

/**
 * Reads the `exo-cba` namespace of the stack configuration and returns validated settings,
 * or throws one error that lists every problem.
 */
export function loadSettings(): AccessSettings {
    const prefix = `${CONFIG_NAMESPACE}:`;
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
    }
    const { settings, errors } = parseConfig(raw, new Date());
    if (!settings) {
        throw new pulumi.RunError(
            `${describeProblems(`Invalid configuration for stack "${pulumi.getStack()}"`, errors, prefix)}\n` +
                `Fix with: pulumi config set ${prefix}<key> <value>   (lists: pulumi config set --path '${prefix}roles[0]' '<role>')`,
        );
    }
    return settings;
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function parseValue(kind: Kind, text: string): Parsed {
    switch (kind) {
        case "generations":
            return text === "" ? { ok: true, value: "" } : parseGenerations(text);
        case "string":
            return { ok: true, value: text };
        case "integer":
            return /^-?[0-9]+$/.test(text.trim())
                ? { ok: true, value: Number.parseInt(text, 10) }
                : { ok: false, message: `must be a whole number (got ${show(text)}).` };
        case "boolean":
            return text === "true" || text === "false"
                ? { ok: true, value: text === "true" }
                : { ok: false, message: `must be true or false (got ${show(text)}).` };
        case "string-array": {
            let value: unknown;
            try {
                value = JSON.parse(text);
            } catch {
                value = undefined;
            }
            if (Array.isArray(value) && value.every((item) => typeof item === "string")) return { ok: true, value };
            return {
                ok: false,
                message: `must be a list of strings, written in the stack file as a YAML list (got ${show(text)}).`,
            };
        }
    }
}

const GENERATION_FIELDS = ["name", "certificatePem", "validityDays", "rsaBits"];

/**
 * exo-cba:certificates: a list whose items are a name ("2027") or an object with a name and, for
 * a supplied certificate, certificatePem, or for a generated one, validityDays and rsaBits.
 * `pulumi config set --path` stores numeric-looking values as numbers, so "2027" may arrive as 2027.
 */
function parseGenerations(text: string): Parsed {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        value = undefined;
    }
    if (!Array.isArray(value)) {
        return { ok: false, message: `must be a list of certificate generations, oldest first (got ${show(text)}).` };
    }
    const problems: string[] = [];
    const generations = value.map((item: unknown, i): CertificateGeneration => {
        if (typeof item === "string" || typeof item === "number") {
            if (String(item) === "") problems.push(`item ${i} needs a name`);
            return { name: String(item) };
        }
        if (item === null || typeof item !== "object" || Array.isArray(item)) {
            problems.push(`item ${i} must be a name or an object with a name (got ${show(item)})`);
            return { name: "" };
        }
        const o = item as Record<string, unknown>;
        const unknown = Object.keys(o).filter((k) => !GENERATION_FIELDS.includes(k));
        if (unknown.length > 0)
            problems.push(`item ${i} has unknown field ${unknown.join(", ")} (allowed: ${GENERATION_FIELDS.join(", ")})`);
        const name = typeof o["name"] === "string" || typeof o["name"] === "number" ? String(o["name"]) : "";
        if (name === "") problems.push(`item ${i} needs a name`);
        const pem = o["certificatePem"];
        if (pem !== undefined && typeof pem !== "string") problems.push(`item ${i} certificatePem must be text`);
        const int = (field: string): number | undefined => {
            const v = o[field];
            if (v === undefined) return undefined;
            if (typeof v === "number" && Number.isInteger(v)) return v;
            if (typeof v === "string" && /^[0-9]+$/.test(v)) return Number.parseInt(v, 10);
            problems.push(`item ${i} ${field} must be a whole number (got ${show(v)})`);
            return undefined;
        };
        return {
            name,
            certificatePem: typeof pem === "string" ? pem : undefined,
            validityDays: int("validityDays"),
            rsaBits: int("rsaBits"),
        };
    });
    return problems.length > 0 ? { ok: false, message: `${problems.join("; ")}.` } : { ok: true, value: generations };
}

function suggestKey(key: string): string {
    const near = Object.keys(CONFIG_KEYS).find((known) => editDistance(known.toLowerCase(), key.toLowerCase()) <= 3);
    return near ? ` Did you mean ${near}?` : "";
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}
