/**
 * The run's secrets, in one place: every value a tool knows to be secret (a PFX password from the
 * environment or the prompt, the environment's credentials, every token and assertion verify sent or
 * received) is registered here, and everything any tool prints, to either stream or to a summary file,
 * goes through hideSecrets() on its way out (cli.mts runTool filters both streams). components/redaction.ts
 * recognises secrets by their shape (key blocks, JWTs); this knows them by value, so a password typed into
 * the wrong option, or a token segment in a shape nobody could guess, is hidden all the same.
 */
import { REDACTED_TOKEN, printable, printableLine } from "../../components/redaction.ts";

/** What replaces a PFX password in anything printed. */
export const REDACTED_PASSWORD = "[PFX password redacted]";
/** What replaces any other secret of the environment. */
export const REDACTED_SECRET = "[secret redacted]";

/**
 * The environment variable a PFX password comes from, for every tool: a command-line argument would
 * show in `ps` and shell history.
 */
export const PFX_PASSWORD_VARIABLE = "EXO_CBA_PFX_PASSWORD";

/**
 * Variables whose values are credentials wherever the tools run: the Pulumi backend's, the azuread and
 * azure-native providers' (ARM_*, and the Azure SDKs' AZURE_*), GitHub Actions' and Azure Pipelines'
 * tokens, and an Azure host's identity endpoint secret. None is needed by a tool to be printed.
 */
export const SECRET_VARIABLES = [
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_ACCESS_TOKEN",
    "ARM_CLIENT_SECRET",
    "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "ARM_OIDC_TOKEN",
    "ARM_OIDC_REQUEST_TOKEN",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "SYSTEM_ACCESSTOKEN",
    "IDENTITY_HEADER",
    "MSI_SECRET",
    // The state backends' own keys: an azblob container's (the Pulumi CLI reads AZURE_STORAGE_*, the
    // azurerm convention ARM_ACCESS_KEY/ARM_SAS_TOKEN), an S3 bucket's, a GCS bucket's.
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "ARM_ACCESS_KEY",
    "ARM_SAS_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GOOGLE_CREDENTIALS",
] as const;

/** Proxy variables: a proxy's password can ride in its address (http://user:password@proxy:3128). */
const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] as const;

/** The shortest start of a secret that is hidden where a message cut a quote short with "..." ("Sup3..."). */
const SHORTENED_MIN = 4;
/** The shortest start of a secret that is hidden wherever it appears: a message may cut a quote without saying so. */
const PREFIX_MIN = 8;
/** Token segments shorter than this decode to a few bytes, hold nothing secret, and could match an id by chance. */
const MIN_SEGMENT_CHARS = 16;

/**
 * A secret shorter than this is hidden only where it stands alone, not inside a longer run of letters
 * and digits: a PFX password "x" must not turn every "proxy" into "pro[PFX password redacted]y".
 * Longer ones are hidden wherever they appear.
 */
const ALONE_BELOW = 8;

/** Each printed form of each secret, longest first, with its marker. */
const forms: { readonly text: string; readonly marker: string; readonly shortened: boolean; readonly alone?: RegExp }[] = [];

function add(text: string, marker: string, shortened: boolean): void {
    if (text === "" || forms.some((f) => f.text === text)) return;
    const alone =
        text.length < ALONE_BELOW
            ? new RegExp(`(?<![\\p{L}\\p{N}])${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "gu")
            : undefined;
    forms.push({ text, marker, shortened: shortened && alone === undefined, ...(alone ? { alone } : {}) });
    // Longest first, so that a secret containing another is replaced whole.
    forms.sort((a, b) => b.text.length - a.text.length);
}

/**
 * A value that must never be printed, as typed and in every form a message quotes it: without the white
 * space around it (a value read from a file ends with a newline), JSON-escaped, made printable (control
 * characters as \u{…}, on one line or several), those in either order, and cut short, with "..." or
 * without. A password is `marker`ed as such.
 */
export function rememberSecret(value: string, marker: string = REDACTED_SECRET): void {
    const escaped = (text: string) => JSON.stringify(text).slice(1, -1);
    for (const v of new Set([value, value.trim()])) {
        for (const form of [
            v,
            escaped(v),
            printable(v),
            printableLine(v),
            printable(escaped(v)),
            escaped(printable(v)),
            escaped(printableLine(v)),
        ]) {
            add(form, marker, true);
        }
    }
}

/**
 * A token or client assertion this run sent or received: it, and each of its segments alone (a server can
 * echo a header or payload without the dots, in a shape no pattern knows), are never printed.
 */
export function rememberToken(token: string): void {
    for (const segment of [token, ...tokenSegments(token)]) if (segment.length >= MIN_SEGMENT_CHARS) add(segment, REDACTED_TOKEN, false);
}

/** The segments of a token (a value without dots is one) worth removing. */
export function tokenSegments(token: string): string[] {
    return token.split(".").filter((s) => s.length >= MIN_SEGMENT_CHARS);
}

/**
 * Registers the secrets a run can know before anything is parsed, so that even a malformed command line
 * is reported without them: the PFX passwords (EXO_CBA_PFX_PASSWORD, and every variable a --password-env
 * argument names), the credentials in SECRET_VARIABLES, and a proxy address's password.
 */
export function rememberEnvironmentSecrets(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): void {
    const passwords = new Set<string>([PFX_PASSWORD_VARIABLE]);
    argv.forEach((arg, i) => {
        if (arg === "--password-env" && argv[i + 1] !== undefined) passwords.add(argv[i + 1]);
        else if (arg.startsWith("--password-env=")) passwords.add(arg.slice("--password-env=".length));
    });
    // Own string values only: --password-env constructor must not fetch Object from the prototype.
    const value = (v: string): string | undefined =>
        Object.hasOwn(env, v) && typeof env[v] === "string" && env[v] !== "" ? env[v] : undefined;
    for (const v of passwords) {
        const password = value(v);
        if (password !== undefined) rememberSecret(password, REDACTED_PASSWORD);
    }
    for (const v of SECRET_VARIABLES) {
        const secret = value(v);
        if (secret !== undefined) rememberSecret(secret);
    }
    for (const v of PROXY_VARIABLES) {
        const address = value(v);
        if (!address) continue;
        try {
            const password = decodeURIComponent(new URL(address).password);
            if (password !== "") rememberSecret(password);
        } catch {
            // Not a URL: nothing to take a password from (trust.mts does not print it either).
        }
    }
}

/** `text` with every registered secret replaced by its marker, also where a message cut it short. */
export function hideSecrets(text: string): string {
    let result = text;
    for (const form of forms) {
        if (form.alone) {
            if (result.includes(form.text)) result = result.replace(form.alone, form.marker);
            continue;
        }
        if (result.includes(form.text)) result = result.split(form.text).join(form.marker);
        if (!form.shortened) continue;
        // A start of the secret: with "..." from a few characters on, without from PREFIX_MIN on.
        for (let n = form.text.length - 1; n >= SHORTENED_MIN; n--) {
            const start = form.text.slice(0, n);
            if (!result.includes(start)) continue;
            if (n >= PREFIX_MIN) result = result.split(start).join(form.marker);
            else result = result.split(`${start}...`).join(`${form.marker}...`);
        }
    }
    return result;
}
