/**
 * Stack configuration the way the Pulumi CLI prepares it for a program
 * (pulumi/pulumi sdk/go/common/workspace: mergeConfig, validateStackConfigValue):
 * Pulumi.<stack>.yaml values, project defaults from Pulumi.yaml for keys the stack leaves out,
 * a missing-key error for declared keys without a default, type checks for declared keys, and every
 * value handed over as a string (lists and maps as JSON text).
 *
 * Secure values are never decrypted: they are passed as "[secret]" and listed in `secureKeys`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { printableLine, show } from "../components/redaction.ts";
import { STACK_NAME_RULE, isStackName } from "../components/stackNames.ts";
import { SECRET, sortKeys } from "./wireValues.mts";

/** Stack and project files are a few kilobytes; a larger one is not read (nor a 30 MB value in one). */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;

export interface ResolvedConfig {
    readonly project: string;
    readonly stack: string;
    /** "namespace:key" → the string the program receives. */
    readonly config: Record<string, string>;
    /** Keys whose value is secret (PULUMI_CONFIG_SECRET_KEYS). */
    readonly secretKeys: string[];
    /** Keys whose value is encrypted in the stack file and was not decrypted. */
    readonly secureKeys: string[];
    /** Keys whose value came from a Pulumi.yaml default. */
    readonly defaultedKeys: string[];
    /** Top-level keys of the stack file that look like settings outside `config:`, which the CLI ignores (strayKeys()). */
    readonly strayKeys?: string[];
    /** The stack file's problems the CLI passes over in silence, one line each, naming the file: for the plan's warnings. */
    readonly warnings?: string[];
}

/**
 * A configuration problem, worded as the CLI words it. `unreadable`: the file itself could not be
 * read or parsed (as opposed to configuration the CLI refuses).
 */
export class StackConfigError extends Error {
    readonly unreadable: boolean;
    constructor(message: string, unreadable = false) {
        super(message);
        this.unreadable = unreadable;
    }
}

interface ConfigSchema {
    readonly type?: string;
    readonly default?: unknown;
    readonly value?: unknown;
    readonly items?: ConfigSchema;
    readonly secret?: boolean;
}

export interface ProjectFile {
    readonly name: string;
    readonly config?: Record<string, unknown>;
    /** `runtime: nodejs`, or `{ name: nodejs, options: { typescript, nodeargs, tsconfig, ... } }`. */
    readonly runtime?: unknown;
}

/** How the nodejs language host starts the program: Pulumi.yaml's runtime options, read as it reads them. */
export interface RuntimeOptions {
    /** Register ts-node (PULUMI_NODEJS_TYPESCRIPT=true); default true. */
    readonly typescript: boolean;
    /** `nodeargs`, split as a shell would (the host uses google/shlex): Node's own arguments, before the run script. */
    readonly nodeargs: readonly string[];
}

/**
 * Pulumi.yaml's runtime options as the language host reads them (pulumi/pulumi
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go, parseOptions and RunPlugin): typescript defaults to true
 * and must be a boolean, nodeargs must be a string. Other options (packagemanager, ...) do not change how
 * the program runs.
 */
export function runtimeOptions(project: ProjectFile): RuntimeOptions {
    const runtime = project.runtime;
    const options =
        runtime !== null && typeof runtime === "object" && !Array.isArray(runtime) ? (runtime as { options?: unknown }).options : undefined;
    const o = options !== null && typeof options === "object" && !Array.isArray(options) ? (options as Record<string, unknown>) : {};
    if (o["typescript"] !== undefined && typeof o["typescript"] !== "boolean") {
        throw new StackConfigError("Pulumi.yaml: typescript option must be a boolean", true);
    }
    if (o["nodeargs"] !== undefined && typeof o["nodeargs"] !== "string") {
        throw new StackConfigError("Pulumi.yaml: nodeargs option must be a string", true);
    }
    return {
        typescript: o["typescript"] ?? true,
        nodeargs: shellWords(o["nodeargs"] ?? ""),
    };
}

/**
 * Words as google/shlex splits them (the language host's nodeargs): white space separates, single quotes keep
 * everything, double quotes keep all but a backslash before a double quote or backslash, and a backslash
 * outside quotes keeps the next character.
 */
export function shellWords(text: string): string[] {
    const words: string[] = [];
    let word = "";
    let started = false;
    let quote: "'" | '"' | undefined;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quote === "'") {
            if (c === "'") quote = undefined;
            else word += c;
        } else if (quote === '"') {
            if (c === '"') quote = undefined;
            else if (c === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) word += text[++i];
            else word += c;
        } else if (c === "'" || c === '"') {
            quote = c;
            started = true;
        } else if (c === "\\") {
            if (i + 1 < text.length) word += text[++i];
            started = true;
        } else if (/\s/.test(c)) {
            if (started) words.push(word);
            word = "";
            started = false;
        } else {
            word += c;
            started = true;
        }
    }
    if (quote !== undefined) throw new StackConfigError("Pulumi.yaml: nodeargs has an unclosed quote", true);
    if (started) words.push(word);
    return words;
}

export function readProjectFile(projectDir: string): ProjectFile {
    const file = path.join(projectDir, "Pulumi.yaml");
    const project = parseYaml(readFileCapped(file), "Pulumi.yaml");
    if (typeof project["name"] !== "string") throw new StackConfigError(`${file} has no project name`, true);
    return project as unknown as ProjectFile;
}

/** Reads Pulumi.<stack>.yaml from the project directory and resolves it. */
export function loadStackConfig(projectDir: string, stack: string): ResolvedConfig {
    if (!isStackName(stack)) {
        throw new StackConfigError(`a stack name is ${STACK_NAME_RULE} (got ${JSON.stringify(stack.slice(0, 100))})`, true);
    }
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new StackConfigError(
            `no stack configuration file ${path.basename(file)} in ${projectDir} (stacks: ${listStacks(projectDir).join(", ") || "none"})`,
            true,
        );
    }
    return resolveStackConfig(readProjectFile(projectDir), stack, readFileCapped(file), path.basename(file));
}

/** A file's text, refused when it is not a regular file or larger than MAX_STACK_FILE_BYTES. */
export function readFileCapped(file: string): string {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new StackConfigError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : (code ?? "error")}`, true);
    }
    if (stat.isDirectory()) throw new StackConfigError(`${file} is a directory, not a stack configuration file`, true);
    if (!stat.isFile()) throw new StackConfigError(`${file} is not a regular file`, true);
    if (stat.size > MAX_STACK_FILE_BYTES) {
        throw new StackConfigError(
            `${file} is ${Math.ceil(stat.size / 1024)} KiB; a stack configuration file is at most ${MAX_STACK_FILE_BYTES / 1024} KiB`,
            true,
        );
    }
    return decodeYamlText(fs.readFileSync(file), path.basename(file));
}

/**
 * A stack or project file's bytes as the text the Pulumi CLI reads. The CLI strips a UTF-8 byte order
 * mark (pulumi/pulumi sdk/go/common/workspace/loaders.go, readFileStripUTF8BOM) and hands the rest to
 * gopkg.in/yaml.v3 (sdk/go/common/encoding/marshal.go), whose reader (readerc.go,
 * yaml_parser_determine_encoding and yaml_parser_update_buffer, v3.0.1) decodes UTF-16 after a byte order
 * mark of either order, takes everything else for UTF-8, and stops at an invalid UTF-8 or UTF-16 sequence
 * ("invalid leading UTF-8 octet", "incomplete UTF-16 character", ...) and at a character YAML does not
 * allow in a file ("control characters are not allowed"). The same here, in one line naming the file
 * (`fileName`), so nothing is ever planned with replacement characters in place of what the file holds.
 */
export function decodeYamlText(bytes: Buffer, fileName: string): string {
    const refuse = (what: string) => new StackConfigError(`${fileName} ${what}`, true);
    let text: string;
    if (bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) {
        // yaml.v3 would take this for UTF-16 and stop at the NUL that follows.
        throw refuse("is UTF-32, which the Pulumi CLI does not read; save it as UTF-8");
    } else if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
        const body = Buffer.from(bytes.subarray(2));
        if (body.length % 2 !== 0) throw refuse("is not valid UTF-16: it ends in the middle of a character; save it as UTF-8");
        text = (bytes[0] === 0xfe ? body.swap16() : body).toString("utf16le");
        const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(text);
        if (lone) throw refuse(`is not valid UTF-16: a lone surrogate at line ${lineAt(text, lone.index)}; save it as UTF-8`);
    } else if (looksLikeUtf16(bytes)) {
        throw refuse(
            "looks like UTF-16 without a byte order mark, which the Pulumi CLI reads as UTF-8 and refuses; save it as UTF-8 (or UTF-16 with a byte order mark)",
        );
    } else {
        const bad = firstInvalidUtf8(bytes);
        if (bad !== -1) {
            const line = bytes.subarray(0, bad).filter((b) => b === 0x0a).length + 1;
            const byte = bytes[bad].toString(16).toUpperCase().padStart(2, "0");
            throw refuse(`is not valid UTF-8 (byte 0x${byte} at line ${line}), which the Pulumi CLI refuses too; save it as UTF-8`);
        }
        text = bytes.toString("utf8");
        if (text.startsWith("\ufeff")) text = text.slice(1);
    }
    const control = NOT_IN_YAML.exec(text);
    if (control) {
        const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
        const before = text.slice(0, control.index);
        const column = Array.from(before.slice(before.lastIndexOf("\n") + 1)).length + 1;
        throw refuse(
            `holds U+${code} (${code.startsWith("FFF") ? "a non-character" : "a control character"}) at line ${lineAt(text, control.index)}, column ${column}, which YAML does not allow in a file ` +
                'and the Pulumi CLI refuses; if it is meant, write it as an escape in a double-quoted string ("\\e", "\\u001b")',
        );
    }
    return text;
}

/**
 * What YAML 1.2 does not allow in a file (c-printable's complement, checked by yaml.v3 as it reads): C0
 * controls but tab, line feed and carriage return, DEL, C1 controls but NEL, U+FFFE and U+FFFF.
 */
// eslint-disable-next-line no-control-regex
const NOT_IN_YAML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

/** UTF-16 without a byte order mark: a NUL in the first two bytes, where a stack file has ASCII. */
function looksLikeUtf16(bytes: Buffer): boolean {
    return bytes.length >= 2 && (bytes[0] === 0 || bytes[1] === 0);
}

function lineAt(text: string, index: number): number {
    return text.slice(0, index).split("\n").length;
}

/**
 * The offset of the first byte that does not begin a valid UTF-8 sequence (RFC 3629: no overlong forms,
 * no surrogates, nothing beyond U+10FFFF; a sequence cut off at the end counts), or -1.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length;) {
        const lead = bytes[i];
        if (lead < 0x80) {
            i++;
            continue;
        }
        const extra = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
        if (extra === 0 || i + extra >= bytes.length) return i;
        let code = lead & (0x3f >> extra);
        for (let k = 1; k <= extra; k++) {
            const next = bytes[i + k];
            if ((next & 0xc0) !== 0x80) return i;
            code = (code << 6) | (next & 0x3f);
        }
        const least = [0, 0x80, 0x800, 0x10000][extra];
        if (code < least || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
        i += extra + 1;
    }
    return -1;
}

/**
 * Parses a YAML file whose top level must be a mapping (or empty). Syntax errors, duplicate keys (the
 * CLI's Go YAML refuses them too) and alias bombs become one line naming the file and the place.
 */
export function parseYaml(text: string, fileName: string): Record<string, unknown> {
    let doc: unknown;
    try {
        // merge: the CLI's gopkg.in/yaml.v3 applies << merge keys (decode.go, d.merge), so a stack file may
        // build config: from an anchor; without it the plan would show defaults where `pulumi up` deploys the
        // merged values. logLevel "error": errors still throw, but the library's warnings, which would print raw lines
        // of the file to the terminal, stay quiet.
        doc = parse(text, { uniqueKeys: true, maxAliasCount: 100, merge: true, logLevel: "error" });
    } catch (e) {
        const err = e as Error & { linePos?: { line: number; col: number }[] };
        const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : "";
        const what = /alias count/i.test(err.message)
            ? "too many YAML aliases (refused as a resource exhaustion attack)"
            : e instanceof RangeError || /Maximum call stack size exceeded/.test(err.message)
              ? // The parser recurses per level and says so in its own error (the CLI's yaml.v3 stops at 10,000): nothing a stack file needs.
                "nested too deeply (hundreds of levels of lists or maps) to read; no stack file needs more than a few"
              : (err.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        throw new StackConfigError(`${fileName} is not valid YAML${where}: ${what}`, true);
    }
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== "object" || Array.isArray(doc)) {
        throw new StackConfigError(
            `${fileName} must hold a YAML mapping (keys such as config:), not ${Array.isArray(doc) ? "a list" : `a ${typeof doc}`}`,
            true,
        );
    }
    return doc as Record<string, unknown>;
}

/**
 * A stack's settings file: Pulumi.<stack> plus the extension of the project file (pulumi/pulumi
 * sdk/go/common/workspace/paths.go, ProjectStackPath: `filepath.Ext(projPath)`). This project's file is
 * Pulumi.yaml, so Pulumi.<stack>.yml is never read. The first group is the stack's name.
 */
export const STACK_FILE = /^Pulumi\.(.*)\.yaml$/s;

/** The stacks that have a Pulumi.<stack>.yaml in the project directory. */
export function listStacks(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map((f) => STACK_FILE.exec(f)?.[1])
        .filter((s): s is string => s !== undefined && s !== "")
        .sort();
}

/** Resolves a stack file's text against the project file. */
export function resolveStackConfig(
    project: ProjectFile,
    stack: string,
    stackYaml: string,
    fileName = `Pulumi.${stack}.yaml`,
): ResolvedConfig {
    const doc = parseYaml(stackYaml, fileName) as { config?: unknown; environment?: unknown };
    if (doc.config !== undefined && doc.config !== null && (typeof doc.config !== "object" || Array.isArray(doc.config))) {
        throw new StackConfigError(`${fileName}: config must be a mapping of keys to values`, true);
    }
    if (doc.environment !== undefined) {
        throw new StackConfigError(`stack ${stack} imports Pulumi ESC environments, which cannot be read offline`);
    }
    const stray = strayKeys(doc, project);
    const values = new Map<string, unknown>();
    for (const [rawKey, value] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
        values.set(configKey(rawKey, project.name, fileName), value);
    }

    const declared = Object.entries(project.config ?? {})
        .map(([key, spec]) => [key, schemaOf(key, spec, project.name)] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const missing: string[] = [];
    const defaulted: string[] = [];
    for (const [key, schema] of declared) {
        const full = key.includes(":") ? key : `${project.name}:${key}`;
        const has = values.has(full);
        const fallback = schema.value ?? schema.default;
        if (!has && fallback === undefined && full.startsWith(`${project.name}:`)) missing.push(key);
        else if (!has && fallback !== undefined) {
            values.set(full, fallback);
            defaulted.push(full);
        }
    }
    if (missing.length > 0) {
        const quoted = missing.map((k) => `'${k}'`);
        const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
        throw new StackConfigError(`Stack '${stack}' is missing configuration ${missing.length === 1 ? "value" : "values"} ${list}`);
    }
    for (const [key, schema] of declared) {
        const full = key.includes(":") ? key : `${project.name}:${key}`;
        const value = values.get(full);
        if (defaulted.includes(full) || value === undefined || schema.type === undefined || containsSecure(value)) continue;
        if (!matchesType(schema, value)) {
            throw new StackConfigError(
                `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${typeName(schema)}'`,
            );
        }
    }

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const secureKeys: string[] = [];
    for (const key of [...values.keys()].sort()) {
        const value = values.get(key);
        if (containsSecure(value)) {
            secretKeys.push(key);
            secureKeys.push(key);
            // Nothing here can decrypt it: the program gets the marker the plan shows for a secret.
            config[key] = SECRET;
        } else {
            config[key] = toConfigString(key, value);
        }
    }
    const file = printableLine(fileName);
    const declaredKeys = new Set(Object.keys(project.config ?? {}));
    const warnings = stray.map((key) => {
        const known = STACK_FILE_KEYS.find((k) => k === key.toLowerCase());
        if (known !== undefined) {
            return `${file}: stray key ${show(key)}: the Pulumi CLI reads ${known}: in lower case only, and ignores this key with everything under it; rename it ${known}`;
        }
        if (!key.includes(":") && !declaredKeys.has(key)) {
            return `${file}: stray key ${show(key)}: it holds settings, but it is not config: (whatever it looks like), so the Pulumi CLI ignores it with everything under it; write config: in plain ASCII`;
        }
        return `${file}: stray key ${show(key)}: it is not under config:, so the Pulumi CLI ignores it: the setting is what config: gives it, else its default; indent it under config:`;
    });
    return { project: project.name, stack, config, secretKeys, secureKeys, defaultedKeys: defaulted.sort(), strayKeys: stray, warnings };
}

/**
 * The top-level keys the CLI reads from a stack file: the fields of ProjectStack (pulumi/pulumi
 * sdk/go/common/workspace/project.go), matched in this letter case only by gopkg.in/yaml.v3. Any other
 * key is dropped in silence when the file is read into that struct (loaders.go, LoadProjectStackBytes).
 */
const STACK_FILE_KEYS = ["secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment"] as const;

/**
 * Top-level keys that look like settings the person meant to put under `config:` (and the CLI ignores): a
 * `namespace:key`, a key Pulumi.yaml declares (config: takes those without their namespace), a key the
 * CLI reads written in another letter case (`Config:`), or any other key holding a mapping of settings
 * (`cоnfig:` with a Cyrillic letter, `config :`). Other unknown keys (a holder of YAML anchors, say)
 * are left alone, as the CLI leaves them. Sorted.
 */
export function strayKeys(doc: Record<string, unknown>, project: ProjectFile): string[] {
    const declared = new Set(Object.keys(project.config ?? {}));
    const setting = (key: string) => key.includes(":") || declared.has(key);
    // A mapping that holds settings, under a key that only looks like config: (a Cyrillic "о", a trailing space,
    // a no-break space): the CLI ignores it all the same.
    const holdsSettings = (value: unknown) =>
        value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).some(setting);
    return Object.keys(doc)
        .filter((key) => !(STACK_FILE_KEYS as readonly string[]).includes(key))
        .filter((key) => setting(key) || (STACK_FILE_KEYS as readonly string[]).includes(key.toLowerCase()) || holdsSettings(doc[key]))
        .sort();
}

function schemaOf(key: string, spec: unknown, projectName: string): ConfigSchema {
    const namespaced = !key.includes(":") || key.startsWith(`${projectName}:`);
    // Shorthand: a bare value is the default of a project key, the value of another namespace's key.
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) return namespaced ? { default: spec } : { value: spec };
    return spec;
}

function isSecure(v: unknown): boolean {
    return (
        v !== null &&
        typeof v === "object" &&
        !Array.isArray(v) &&
        Object.keys(v).length === 1 &&
        typeof (v as { secure?: unknown }).secure === "string"
    );
}

function containsSecure(v: unknown): boolean {
    if (isSecure(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecure);
    if (v !== null && typeof v === "object") return Object.values(v).some(containsSecure);
    return false;
}

/** workspace/project.go ValidateConfigValue. */
function matchesType(schema: ConfigSchema, value: unknown): boolean {
    switch (schema.type) {
        case "string":
            return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
        case "integer":
            if (typeof value === "number") return Number.isInteger(value);
            return typeof value === "string" && /^[+-]?[0-9]+$/.test(value);
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "array":
            return (
                Array.isArray(value) &&
                (schema.items === undefined || value.every((item) => matchesType(schema.items as ConfigSchema, item)))
            );
        case "object":
            return value !== null && typeof value === "object" && !Array.isArray(value);
        case undefined:
        default:
            // Untyped keys, and types this emulation does not know, are left to the program.
            return true;
    }
}

function typeName(schema: ConfigSchema): string {
    return schema.type === "array" && schema.items ? `array<${typeName(schema.items)}>` : String(schema.type);
}

/** How the CLI hands a value to the program: strings as they are, everything else as JSON. */
/**
 * A stack file's key as the CLI reads it (sdk/go/common/resource/config/key.go, ParseKey): without a
 * namespace the project's (workspace/loaders.go rewrites those first), `<namespace>:<name>`, or the old
 * `<namespace>:config:<name>`, which means `<namespace>:<name>`. Anything else the CLI refuses.
 */
function configKey(key: string, projectName: string, fileName: string): string {
    const parts = key.split(":");
    if (parts.length === 1) return `${projectName}:${key}`;
    if (parts.length === 2) return key;
    if (parts.length === 3 && parts[1] === "config" && parts[0] !== "" && parts[2] !== "") return `${parts[0]}:${parts[2]}`;
    throw new StackConfigError(
        `${printableLine(fileName)}: could not parse ${show(key)} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
        true,
    );
}

/**
 * A value as the program receives it: strings as they are, numbers and booleans as the CLI writes them
 * (JSON), lists and maps as JSON. A number JSON cannot write (.inf, .nan), anywhere in the value, makes the
 * CLI fail (config/object.go MarshalString → "json: unsupported value"): refused here too, naming the key.
 */
function toConfigString(key: string, value: unknown): string {
    if (hasNonFinite(value)) {
        throw new StackConfigError(
            `configuration key ${show(key)} holds .inf or .nan, which the Pulumi CLI cannot pass on (JSON has no such number); quote it if it is text`,
            true,
        );
    }
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return JSON.stringify(sortKeys(value));
}

function hasNonFinite(value: unknown): boolean {
    if (typeof value === "number") return !Number.isFinite(value);
    if (value === null || typeof value !== "object") return false;
    return Object.values(value).some(hasNonFinite);
}
