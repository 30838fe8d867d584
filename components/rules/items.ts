/**
 * The readers of list items (the `items` settings of settings.ts: certificate generations, managed
 * identities, federated credentials) and the rule for an item's name. Loaded only for a stack that has
 * such a list (loadRules.ts).
 */
import { type CertificateGeneration, type FederatedCredential, type ManagedIdentity, type Report } from "../settings.ts";
import { isBlank } from "./values.ts";
import { show } from "../redaction.ts";

/** A list item's name and what it must look like. Names of generations and managed identities become part of resource names. */
export interface NameRule {
    readonly pattern: RegExp;
    readonly needs: string;
}

export const NAME: NameRule = {
    pattern: /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/i,
    needs: "needs a name of 1 to 32 letters, digits or inner hyphens; it becomes part of the resource names.",
};

/**
 * What is wrong with a list item's name: not of the rule's form, or one already in `seen` (in any case:
 * it becomes part of resource names). Adds it to `seen`.
 */
function itemNameProblem(name: string, rule: NameRule, seen: Set<string>, item: string): string | undefined {
    const lower = name.toLowerCase();
    const repeated = seen.has(lower);
    seen.add(lower);
    if (!rule.pattern.test(name)) return rule.needs;
    return repeated ? `repeats a name; every ${item} needs its own.` : undefined;
}

/**
 * Visits each item of a list setting with its label (item 2 ("name")), after reporting what is wrong with
 * its name: not of the rule's form, or the name of an earlier item (names become part of resource names).
 */
export function forEachNamed<T extends { readonly name: string }>(
    list: readonly T[],
    key: string,
    rule: NameRule,
    noun: string,
    err: Report,
    visit: (item: T, index: number, label: string) => void,
): void {
    const seen = new Set<string>();
    list.forEach((item, i) => {
        const label = `item ${i} (${show(item.name)})`;
        const problem = itemNameProblem(item.name, rule, seen, noun);
        if (problem) err(key, `${label} ${problem}`);
        visit(item, i, label);
    });
}

/**
 * Reads an item that is an object of known fields (or, where `nameOnly` allows, a bare name). Unknown
 * fields are named, never their values: a key pasted under a wrong field must not be echoed.
 */
function readObjectItem(
    item: unknown,
    index: number,
    fields: readonly string[],
    problems: string[],
    nameOnly: boolean,
): Record<string, unknown> | undefined {
    if (nameOnly && (typeof item === "string" || typeof item === "number")) return { name: String(item) };
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
        problems.push(`item ${index} must be ${nameOnly ? "a name or " : ""}an object with ${fields.join(", ")} (got ${show(item)})`);
        return undefined;
    }
    const o = item as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !fields.includes(k));
    if (unknown.length > 0) {
        problems.push(`item ${index} has unknown field ${unknown.map((k) => show(k)).join(", ")} (allowed: ${fields.join(", ")})`);
    }
    return o;
}

/** An item's fields and its name (a missing one reported), or undefined when the item is not one of the fields' objects. */
function readNamedItem(
    item: unknown,
    index: number,
    fields: readonly string[],
    problems: string[],
    nameOnly: boolean,
): { readonly o: Record<string, unknown>; readonly label: string; readonly name: string } | undefined {
    const o = readObjectItem(item, index, fields, problems, nameOnly);
    if (!o) return undefined;
    const label = `item ${index}`;
    const name = textField(o, "name", label, problems) ?? "";
    if (isBlank(name)) problems.push(`${label} needs a name`);
    return { o, label, name };
}

/** A field that must be text, or a number that `pulumi config set --path` stored for a numeric-looking text. */
function textField(o: Record<string, unknown>, field: string, label: string, problems: string[]): string | undefined {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number") return String(v);
    problems.push(`${label} ${field} must be text (got ${show(v)})`);
    return undefined;
}

/** A field that must be a whole number (or digits as text). */
function wholeField(o: Record<string, unknown>, field: string, label: string, problems: string[]): number | undefined {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v === "number" && Number.isInteger(v)) return v;
    if (typeof v === "string" && /^[0-9]{1,9}$/.test(v)) return Number.parseInt(v, 10);
    problems.push(`${label} ${field} must be a whole number (got ${show(v)})`);
    return undefined;
}

const GENERATION_FIELDS = ["name", "certificatePem", "validityDays", "rsaBits"];

/**
 * exo-cba:certificates: each item is a name ("2027") or an object with a name and, for a supplied
 * certificate, certificatePem, or for a generated one, validityDays and rsaBits. `pulumi config set
 * --path` stores numeric-looking values as numbers, so "2027" may arrive as 2027.
 */
function readGeneration(item: unknown, i: number, problems: string[]): CertificateGeneration {
    const read = readNamedItem(item, i, GENERATION_FIELDS, problems, true);
    if (!read) return { name: "" };
    const { o, label, name } = read;
    const certificatePem = o["certificatePem"];
    if (certificatePem !== undefined && typeof certificatePem !== "string") problems.push(`${label} certificatePem must be text`);
    return {
        name,
        certificatePem: typeof certificatePem === "string" ? certificatePem : undefined,
        validityDays: wholeField(o, "validityDays", label, problems),
        rsaBits: wholeField(o, "rsaBits", label, problems),
    };
}

const MANAGED_IDENTITY_FIELDS = ["name", "objectId", "clientId"];

function readManagedIdentity(item: unknown, i: number, problems: string[]): ManagedIdentity {
    const read = readNamedItem(item, i, MANAGED_IDENTITY_FIELDS, problems, false);
    if (!read) return { name: "", objectId: "" };
    const { o, label, name } = read;
    const objectId = textField(o, "objectId", label, problems) ?? "";
    if (isBlank(objectId)) problems.push(`${label} needs an objectId (the managed identity's service principal object id)`);
    return { name, objectId, clientId: textField(o, "clientId", label, problems) };
}

const FEDERATED_FIELDS = ["name", "issuer", "subject", "audiences", "github", "environment", "branch"];

function readFederatedCredential(item: unknown, i: number, problems: string[]): FederatedCredential {
    const read = readNamedItem(item, i, FEDERATED_FIELDS, problems, false);
    if (!read) return { name: "" };
    const { o, label, name } = read;
    const audiences = o["audiences"];
    if (audiences !== undefined && !(Array.isArray(audiences) && audiences.every((a) => typeof a === "string"))) {
        problems.push(`${label} audiences must be a list of text (got ${show(audiences)})`);
    }
    return {
        name,
        issuer: textField(o, "issuer", label, problems),
        subject: textField(o, "subject", label, problems),
        audiences: Array.isArray(audiences) ? (audiences as string[]) : undefined,
        github: textField(o, "github", label, problems),
        environment: textField(o, "environment", label, problems),
        branch: textField(o, "branch", label, problems),
    };
}

/** The list readers, by the name settings.ts gives them. */
export const readers = {
    generation: readGeneration,
    managedIdentity: readManagedIdentity,
    federatedCredential: readFederatedCredential,
};
