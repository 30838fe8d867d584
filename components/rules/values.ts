/**
 * Rules for single values that several settings share: blank text, lists of object ids, certificate
 * lifetimes, key sizes and the renewal window. Pure.
 */
import { RENEW_BEFORE_DAYS_MAX, RSA_BITS_ALLOWED, VALIDITY_DAYS_MAX, VALIDITY_DAYS_MIN, type Report } from "../settings.ts";
import { isGuid } from "../microsoft.ts";
import { show } from "../redaction.ts";

/**
 * Text that renders as nothing: white space (Unicode's White_Space), characters invisible by definition
 * (Default_Ignorable_Code_Point: zero-width spaces and joiners, the soft hyphen, bidirectional marks, the
 * Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, variation selectors, tag characters, ...), control
 * characters, and U+2800 BRAILLE PATTERN BLANK, which fonts draw empty.
 */
const BLANK = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\u2800]*$/u;

/**
 * True when `text` is empty or shows nothing. Wherever a value or a name must not be blank, such text is
 * blank too: a display name of one Hangul filler would name the application with what looks like nothing.
 */
export function isBlank(text: string): boolean {
    return BLANK.test(text);
}

/**
 * The renewal window's rule, for the setting, `npm run check-expiry --renew-before-days` and the stack's
 * renewBeforeDays output alike: a negative or fractional window would silence the alarm.
 */
export function renewBeforeDaysProblem(days: unknown): string | undefined {
    return typeof days === "number" && Number.isInteger(days) && days >= 0 && days <= RENEW_BEFORE_DAYS_MAX
        ? undefined
        : `must be a whole number of days from 0 to ${RENEW_BEFORE_DAYS_MAX} (got ${show(days)}).`;
}

export function validityDaysProblem(days: number): string | undefined {
    return Number.isInteger(days) && days >= VALIDITY_DAYS_MIN && days <= VALIDITY_DAYS_MAX
        ? undefined
        : `must be a whole number of days from ${VALIDITY_DAYS_MIN} to ${VALIDITY_DAYS_MAX} (got ${show(days)}).`;
}

/**
 * A self-signed certificate no longer-lived than the renewal window would be due for renewal the day it
 * is made: every `pulumi up` would warn and check-expiry would fail at once.
 */
export function shortLivedProblem(validityDays: number, renewBeforeDays: number): string | undefined {
    return validityDays > renewBeforeDays
        ? undefined
        : `is ${validityDays} days, no longer than renewBeforeDays (${renewBeforeDays}): every certificate would be due for renewal the day it is made. Make it longer, or renewBeforeDays shorter.`;
}

export function rsaBitsProblem(bits: number): string | undefined {
    return RSA_BITS_ALLOWED.includes(bits) ? undefined : `must be one of ${RSA_BITS_ALLOWED.join(", ")} (got ${show(bits)}).`;
}

export function checkObjectIds(key: string, ids: readonly string[], err: Report): void {
    if (ids.length === 0) {
        err(key, "is an empty list; list at least one object id, or remove the key.");
    }
    const seen = new Set<string>();
    ids.forEach((id, i) => {
        if (!isGuid(id)) {
            err(
                key,
                `item ${i} (${show(id)}) is not an object id; use the object id (a GUID) of a user, group, service principal or managed identity.`,
            );
        } else if (seen.has(id.toLowerCase())) {
            err(key, `lists ${show(id)} more than once; remove the duplicate.`);
        }
        seen.add(id.toLowerCase());
    });
}
