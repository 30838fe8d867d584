/**
 * Reads the text Pulumi hands the program for each setting into the typed value SETTINGS declares, and
 * renders problems with settings as one message. Refuses what no setting holds: unknown keys (with the
 * nearest known one), values too large, tokens and private keys where none belongs. Pure.
 */
import { type Problem, SETTINGS, SETTING_KEYS, type Setting, type SettingKey, type SettingsInput } from "./settings.ts";
import { containsPrivateKey, containsToken, printableLine, show } from "./redaction.ts";
import { parseJson } from "./json.ts";
import { loadRule } from "./rules/loadRules.ts";

/**
 * The largest value any setting takes: three PEM certificates or twenty federated credentials are a few
 * kilobytes. A larger value is a mistake (a whole file pasted), refused before it is parsed.
 */
export const MAX_VALUE_BYTES = 64 * 1024;

/**
 * Reads the strings Pulumi hands the program (`{"displayName": "...", "roles": "[\"...\"]"}`, keys
 * without the namespace) into typed values. Pulumi.yaml gives unset keys the defaults "" and [], which
 * mean "not set" (an explicit `[]` of an items setting is kept: it is a value the rules judge).
 */
export function readSettings(raw: Readonly<Record<string, string>>): { input: SettingsInput; problems: Problem[] } {
    const problems: Problem[] = [];
    const input: Record<string, unknown> = {};
    for (const key of Object.keys(raw).sort()) {
        // Own keys only: "__proto__" or "constructor" are no settings either.
        if (!Object.hasOwn(SETTINGS, key)) {
            problems.push({ key, message: `is not a setting of this project.${suggestKey(key)} Known keys: ${SETTING_KEYS.join(", ")}.` });
        }
    }
    for (const key of SETTING_KEYS) {
        const value = raw[key];
        if (value === undefined) continue;
        if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
            problems.push({
                key,
                message: `is ${Math.ceil(Buffer.byteLength(value) / 1024)} KiB; a setting holds at most ${MAX_VALUE_BYTES / 1024} KiB. Was a whole file pasted?`,
            });
            continue;
        }
        const secret = secretProblem(key, value);
        if (secret !== undefined) {
            problems.push({ key, message: secret });
            continue;
        }
        const parsed = readValue(SETTINGS[key], value);
        if ("message" in parsed) problems.push({ key, message: parsed.message });
        else if (parsed.value !== undefined) input[key] = parsed.value;
    }
    return { input: input, problems };
}

/**
 * A secret where no secret belongs: a token in any setting, a private key in any but the certificate
 * settings (whose rules explain how to give only the public certificate).
 */
function secretProblem(key: SettingKey, value: string): string | undefined {
    if (containsToken(value)) {
        return "holds what looks like a token (a JWT), which never belongs in the configuration: remove it, and revoke the token if it is real.";
    }
    if (key !== "certificatePem" && key !== "certificates" && containsPrivateKey(value)) {
        return "holds a private key, which never belongs in the configuration: remove it, and replace the key if it is in use.";
    }
    return undefined;
}

/** At most this many problems are told of one setting: a pasted blob could otherwise make megabytes of them. */
export const MAX_PROBLEMS_PER_KEY = 25;

function readValue(setting: Setting<unknown>, text: string): { value: unknown } | { message: string } {
    switch (setting.kind) {
        case "string":
            return { value: text === "" && setting.default === undefined ? undefined : text };
        case "integer":
            return /^-?[0-9]{1,9}$/.test(text.trim())
                ? { value: Number.parseInt(text, 10) }
                : { message: `must be a whole number, ${setting.allowed.split(". ")[0]} (got ${show(text)}).` };
        case "boolean":
            return text === "true" || text === "false"
                ? { value: text === "true" }
                : { message: `must be true or false (got ${show(text)}).` };
        case "strings": {
            const list = jsonList(text);
            if (list?.every((item) => typeof item === "string"))
                return { value: list.length === 0 && setting.default === undefined ? undefined : list };
            return { message: `must be a list of strings, written in the stack file as a YAML list (got ${show(text)}${tooDeep(text)}).` };
        }
        case "items": {
            if (text === "") return { value: undefined };
            const list = jsonList(text);
            if (!list) return { message: `must be a list, written in the stack file as a YAML list (got ${show(text)}${tooDeep(text)}).` };
            const problems: string[] = [];
            const read = loadRule("items").readers[setting.reader!];
            const value = list.map((item, i) => read(item, i, problems));
            const told = problems.slice(0, MAX_PROBLEMS_PER_KEY);
            if (problems.length > told.length) told.push(`and ${problems.length - told.length} more`);
            return problems.length > 0 ? { message: `${told.join("; ")}.` } : { value };
        }
    }
}

function jsonList(text: string): unknown[] | undefined {
    const json = parseJson(text);
    return "value" in json && Array.isArray(json.value) ? json.value : undefined;
}

/** ", nested deeper than 64 levels" when that is why `text` was not read, else nothing. */
function tooDeep(text: string): string {
    const json = parseJson(text);
    return "problem" in json && json.problem !== "not JSON" ? `, ${json.problem}` : "";
}

function suggestKey(key: string): string {
    const near = SETTING_KEYS.find((known) => editDistance(known.toLowerCase(), key.toLowerCase()) <= 3);
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

/**
 * Renders problems as one message, one line each. A key is the stack file's (an unknown or misspelt one
 * too), so it is escaped onto its line: a line break in it cannot add a line to the message.
 */
export function describeProblems(title: string, problems: readonly Problem[], keyPrefix = ""): string {
    const perKey = new Map<string, number>();
    const lines: string[] = [];
    for (const p of problems) {
        const n = (perKey.get(p.key) ?? 0) + 1;
        perKey.set(p.key, n);
        if (n <= MAX_PROBLEMS_PER_KEY) lines.push(`  - ${printableLine(`${keyPrefix}${p.key}`)} ${p.message}`);
    }
    for (const [key, n] of perKey) {
        if (n > MAX_PROBLEMS_PER_KEY) {
            lines.push(`  - ${printableLine(`${keyPrefix}${key}`)}: ${n - MAX_PROBLEMS_PER_KEY} more problems like those above`);
        }
    }
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    return `${title} (${count}; nothing was created or changed):\n${lines.join("\n")}`;
}
