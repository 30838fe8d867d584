/**
 * JSON from outside (a setting's list, stack outputs, a token's claims, a server's answer), parsed with a
 * limit on nesting. JSON.parse itself copes with any depth, but everything after it that walks the value
 * (JSON.stringify in a message, a recursive check) would exhaust the stack on a value nested 200,000
 * deep and end in "Maximum call stack size exceeded": depth is refused first, like any other bad input.
 */

/** No setting, output, token or answer of exo-cba nests deeper than a few levels; this leaves ample room. */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of arrays and objects in JSON text, counted without parsing (brackets inside
 * strings do not count), and no higher than `limit + 1`: enough to tell "too deep" without reading on.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
    let depth = 0;
    let deepest = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (inString) {
            if (c === 0x5c)
                i++; // backslash: skip the escaped character
            else if (c === 0x22) inString = false;
        } else if (c === 0x22) {
            inString = true;
        } else if (c === 0x5b || c === 0x7b) {
            depth++;
            if (depth > deepest) deepest = depth;
            if (deepest > limit) return deepest;
        } else if (c === 0x5d || c === 0x7d) {
            depth--;
        }
    }
    return deepest;
}

/** The value of JSON text, or why there is none: `not JSON`, or nested deeper than MAX_JSON_DEPTH. */
export function parseJson(text: string): { readonly value: unknown } | { readonly problem: string } {
    if (jsonDepth(text) > MAX_JSON_DEPTH) return { problem: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    try {
        return { value: JSON.parse(text) as unknown };
    } catch {
        return { problem: "not JSON" };
    }
}
