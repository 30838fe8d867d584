/**
 * What may be printed. Every message, plan, summary and log line that can carry a value a person or
 * a server supplied passes through here: private keys and tokens are replaced by a marker, and
 * control characters (terminal escapes, carriage returns that overwrite a line) are made visible.
 * Pure string functions; the program and every tool share them.
 */

/**
 * A PEM private key block in any flavour and any letter case: PKCS#1 ("RSA PRIVATE KEY"), PKCS#8
 * ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"), OpenSSH. A block without its END
 * line (a truncated paste) runs to the end of the text.
 */
const PRIVATE_KEY_BLOCK = /-----\s*BEGIN[ A-Z0-9]*PRIVATE KEY\s*-----(?:[\s\S]*?-----\s*END[ A-Z0-9]*PRIVATE KEY\s*-----|[\s\S]*$)/gi;
/** The BEGIN line alone, for detection. */
const PRIVATE_KEY_HEADER = /-----\s*BEGIN[ A-Z0-9]*PRIVATE KEY\s*-----/i;
/**
 * A JWT (an access token, a client assertion, a federated token): three base64url segments, the first
 * two JSON objects, so they start with "eyJ" ('{"' encoded).
 */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

export const REDACTED_KEY = "[private key redacted]";
export const REDACTED_TOKEN = "[token redacted]";

/** True when `text` holds a private key block (any flavour, any case). */
export function containsPrivateKey(text: string): boolean {
    return PRIVATE_KEY_HEADER.test(text);
}

/** The text with every private key block and every JWT replaced by a marker. */
export function redactSecrets(text: string): string {
    return text.replace(PRIVATE_KEY_BLOCK, REDACTED_KEY).replace(JWT, REDACTED_TOKEN);
}

/**
 * The text made safe for a terminal or a Markdown summary: secrets redacted, and control characters
 * other than newline and tab (ESC, CR, BEL, DEL, the C1 range, bidirectional overrides) shown as
 * \u{…} escapes, so a value cannot move the cursor, recolour or rewrite what is printed.
 */
export function printable(text: string): string {
    return redactSecrets(text).replace(CONTROL, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** True when `text` holds a character printable() would escape (newline and tab included). */
export function hasControlCharacters(text: string): boolean {
    return /[\n\t]/.test(text) || new RegExp(CONTROL.source).test(text);
}

/** Quotes a value for a message, secrets redacted, shortened so a pasted blob cannot flood the output. */
export function show(value: unknown): string {
    const text = printable(JSON.stringify(typeof value === "string" ? redactSecrets(value) : value) ?? String(value));
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
