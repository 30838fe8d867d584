/**
 * What may be printed. Every message, plan, summary and log line that can carry a value a person or
 * a server supplied passes through here: private keys and tokens are replaced by a marker, and
 * control characters (terminal escapes, carriage returns that overwrite a line) and invisible ones are
 * made visible. String functions (node:crypto only tells a certificate from a key); the program and
 * every tool share them.
 */
import { X509Certificate } from "node:crypto";

/**
 * A PEM private key block in any flavour and any letter case: PKCS#1 ("RSA PRIVATE KEY"), PKCS#8
 * ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"), OpenSSH. A block without its END
 * line (a truncated paste) runs to the end of the text.
 */
const PRIVATE_KEY_BLOCK = /-----\s*BEGIN[ A-Z0-9]*PRIVATE KEY\s*-----(?:[\s\S]*?-----\s*END[ A-Z0-9]*PRIVATE KEY\s*-----|[\s\S]*$)/gi;
/** The BEGIN line alone, for detection. */
const PRIVATE_KEY_HEADER = /-----\s*BEGIN[ A-Z0-9]*PRIVATE KEY\s*-----/i;
/**
 * A JWT (an access token, a client assertion, a federated token) is three base64url segments, the first
 * two JSON objects, so they start with "eyJ" ('{"' encoded); a lone segment (a server echoing a token's
 * header or payload) is "eyJ" and 16 more base64url characters. tokenSpans() finds both in one pass over
 * the text: as regular expressions, tried at every "eyJ" inside one long run of such characters, they took
 * time quadratic in the run's length ("eyJ" 20,000 times took seconds).
 */
const MIN_SEGMENT_AFTER_EYJ = 4;
const MIN_LONE_SEGMENT_AFTER_EYJ = 16;

/** A character of base64url (letters, digits, - and _), or with `url` false of base64 (+ and / instead). */
function isBase64Char(code: number, url = true): boolean {
    const alphanumeric = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39);
    return alphanumeric || (url ? code === 0x2d || code === 0x5f : code === 0x2b || code === 0x2f);
}

/** [start, end) of every JWT and lone JWT segment in `text`, in order, not overlapping. */
function tokenSpans(text: string): [number, number][] {
    const spans: [number, number][] = [];
    let runFrom: Int32Array | undefined;
    /** How many base64url characters start at `i` (computed once, right to left, when first needed). */
    const run = (i: number): number => {
        if (runFrom === undefined) {
            runFrom = new Int32Array(text.length + 1);
            for (let k = text.length - 1; k >= 0; k--) runFrom[k] = isBase64Char(text.charCodeAt(k)) ? runFrom[k + 1] + 1 : 0;
        }
        return runFrom[i] ?? 0;
    };
    const segmentAt = (i: number, min: number): number => (text.startsWith("eyJ", i) && run(i) >= 3 + min ? run(i) : 0);
    for (let p = text.indexOf("eyJ"); p !== -1;) {
        const first = segmentAt(p, MIN_SEGMENT_AFTER_EYJ);
        let end = p;
        if (first > 0 && text.charCodeAt(p + first) === 0x2e) {
            const q = p + first + 1;
            const second = segmentAt(q, MIN_SEGMENT_AFTER_EYJ);
            if (second > 0 && text.charCodeAt(q + second) === 0x2e) end = q + second + 1 + run(q + second + 1);
        }
        if (end === p && first >= 3 + MIN_LONE_SEGMENT_AFTER_EYJ) end = p + first;
        if (end > p) spans.push([p, end]);
        p = text.indexOf("eyJ", end > p ? end : p + 1);
    }
    return spans;
}

function redactTokens(text: string): string {
    const spans = tokenSpans(text);
    if (spans.length === 0) return text;
    let out = "";
    let at = 0;
    for (const [start, end] of spans) {
        out += text.slice(at, start) + REDACTED_TOKEN;
        at = end;
    }
    return out + text.slice(at);
}
/**
 * Base64 without PEM armour, on one line or wrapped: a key or a PFX pasted bare (what `az keyvault secret
 * show` returns for a certificate), judged by what it decodes to, see keyMaterial(). A run of at least 60
 * base64 characters, then lines of at least 4 more, then up to two "=". Scanned by hand, in one pass: as
 * a regular expression a run of some megabytes overflowed the engine's backtracking stack.
 */
const MIN_BARE_BASE64 = 60;
const MIN_BARE_BASE64_LINE = 4;

/** [start, end) of every bare base64 run in `text`, in order. */
function bareBase64Spans(text: string): [number, number][] {
    const spans: [number, number][] = [];
    const runEnd = (i: number) => {
        while (i < text.length && isBase64Char(text.charCodeAt(i), false)) i++;
        return i;
    };
    for (let i = 0; i < text.length;) {
        if (!isBase64Char(text.charCodeAt(i), false)) {
            i++;
            continue;
        }
        let end = runEnd(i);
        if (end - i < MIN_BARE_BASE64) {
            i = end;
            continue;
        }
        for (;;) {
            let k = end;
            if (text.charCodeAt(k) === 0x0d) k++;
            if (text.charCodeAt(k) !== 0x0a) break;
            const lineEnd = runEnd(k + 1);
            if (lineEnd - (k + 1) < MIN_BARE_BASE64_LINE) break;
            end = lineEnd;
        }
        const padded = end;
        while (end < text.length && end - padded < 2 && text.charCodeAt(end) === 0x3d) end++;
        spans.push([i, end]);
        i = end;
    }
    return spans;
}

function redactBareKeys(text: string): string {
    let out = "";
    let at = 0;
    for (const [start, end] of bareBase64Spans(text)) {
        const run = text.slice(start, end);
        if (!keyMaterial(run)) continue;
        out += text.slice(at, start) + REDACTED_KEY;
        at = end;
    }
    return at === 0 ? text : out + text.slice(at);
}

export const REDACTED_KEY = "[private key redacted]";
export const REDACTED_TOKEN = "[token redacted]";

/** True when `text` holds a private key block (any flavour, any case). */
export function containsPrivateKey(text: string): boolean {
    return PRIVATE_KEY_HEADER.test(text);
}

/** True when `text` holds a JWT or a lone segment of one (a token pasted where it does not belong). */
export function containsToken(text: string): boolean {
    return tokenSpans(text).length > 0;
}

/**
 * The text with every private key block, every JWT (or lone segment of one) and every bare base64 key or
 * PFX replaced by a marker.
 */
export function redactSecrets(text: string): string {
    // Keys first: a bare base64 key can hold "eyJ" and what follows, which would pass for a token's segment,
    // and redacting that alone would break the key's run and leave the rest of it printed.
    const keysGone = redactBareKeys(text.replace(PRIVATE_KEY_BLOCK, REDACTED_KEY));
    return redactTokens(keysGone);
}

/**
 * True when base64 text decodes to one whole DER structure that is not a certificate: a PKCS#8 or PKCS#1
 * key, a PKCS#12 file, or anything else a person should not see printed. A certificate's body (public)
 * and text that merely looks like base64 stay.
 */
function keyMaterial(base64: string): boolean {
    const der = Buffer.from(base64.replace(/\s/g, ""), "base64");
    if (der.length < 2 || der[0] !== 0x30) return false;
    const first = der[1];
    const lengthBytes = first < 0x80 ? 0 : first - 0x80;
    if (lengthBytes > 4 || der.length < 2 + lengthBytes) return false;
    const length = lengthBytes === 0 ? first : der.subarray(2, 2 + lengthBytes).reduce((n, b) => n * 256 + b, 0);
    if (2 + lengthBytes + length !== der.length) return false;
    try {
        new X509Certificate(der);
        return false;
    } catch {
        return true;
    }
}

/**
 * The text made safe for a terminal or a Markdown summary: secrets redacted, and control and invisible
 * characters other than newline and tab shown as \u{…} escapes, so a value cannot move the cursor,
 * recolour or rewrite what is printed, or pass for another (contoso\u{200b}.onmicrosoft.com).
 */
export function printable(text: string): string {
    return redactSecrets(text).replace(CONTROL, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * Characters that control a terminal or hide in text: C0 but newline and tab, DEL, C1, every character
 * Unicode calls invisible by default (Default_Ignorable_Code_Point: the soft hyphen, zero-width spaces,
 * the combining grapheme joiner, bidirectional marks, embeddings, overrides and isolates, the word joiner
 * and invisible operators, the Hangul fillers, variation selectors, tag characters, …), the line and
 * paragraph separators (which end a line), the Arabic letter mark, interlinear annotations, the byte order
 * mark and the blank Braille pattern, which pass for a space or for nothing. What scripts and emoji need
 * stays: the zero-width joiner and non-joiner, and the text and emoji presentation selectors (U+FE0E, U+FE0F).
 */
const CONTROL =
    // eslint-disable-next-line no-control-regex
    /(?!\u200c|\u200d|\ufe0e|\ufe0f)[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u2028\u2029\u2800\ufeff\ufff9-\ufffb\p{Default_Ignorable_Code_Point}]/gu;

/** True when `text` holds a character printable() would escape (newline and tab included). */
export function hasControlCharacters(text: string): boolean {
    return /[\n\t]/.test(text) || new RegExp(CONTROL.source, "u").test(text);
}

/**
 * JSON for a terminal, a file or a summary: secrets redacted as printable() does, and every control or
 * invisible character written as a \uXXXX escape (still the same JSON value to any parser).
 */
export function printableJson(value: unknown, space?: number): string {
    const json = JSON.stringify(value, null, space) ?? "null";
    // Each UTF-16 code unit as \uXXXX: a tag character (outside the BMP) becomes its surrogate pair.
    const escape = (c: string) => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join("");
    return redactSecrets(json).replace(CONTROL, escape);
}

/**
 * printable() for one line of output: line breaks and tabs escaped too (so a value cannot start a line of
 * its own, a forged row or message), and at most `max` characters, shortened with "...".
 */
export function printableLine(text: string, max = Infinity): string {
    const line = printable(text).replace(/[\n\t]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
    const chars = Array.from(line);
    return chars.length > max ? `${chars.slice(0, Math.max(0, max - 3)).join("")}...` : line;
}

/** Quotes a value for a message, secrets redacted, shortened so a pasted blob cannot flood the output. */
export function show(value: unknown): string {
    let json: string | undefined;
    try {
        json = JSON.stringify(typeof value === "string" ? redactSecrets(value) : value);
    } catch {
        // Nested too deep to write out (or a cycle): no value a person typed, and not worth quoting.
        return "(a value nested too deep to show)";
    }
    return printableLine(json ?? String(value), 80);
}
