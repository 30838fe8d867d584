/**
 * Rotation: the certificate generations a stack registers (oldest first, the newest active), when a
 * certificate is due for renewal or has expired, and the one piece of advice on rotating that every
 * warning and tool gives. Pure: the clock is a parameter. Days are 24-hour periods of UTC time, so time
 * zones and daylight saving cannot shift a result; leap days count like any day.
 */
import type { Settings } from "./settings.ts";

export const DAY_MS = 86_400_000;

/**
 * How a certificate is renewed, said once: the expiry warnings, `npm run check-expiry`, `npm run verify`
 * and the README's "Rotate the certificate" section (a generated block) all give this advice.
 */
export const ROTATION_ADVICE =
    "Rotate with an overlap: add a new generation to exo-cba:certificates and run pulumi up, move the runners to the new " +
    "certificate, then remove the old generation from the top of the list and run pulumi up again.";

/** Where the whole routine is written down, for messages printed outside the README. */
export const ROTATION_REFERENCE = "README: Rotate the certificate";

export type ExpiryState = "ok" | "renew" | "expired";

export interface ExpiryStatus {
    readonly state: ExpiryState;
    /** Whole days left, rounded down; negative once expired. */
    readonly daysLeft: number;
    readonly notAfter: string;
}

/**
 * "expired" once NotAfter has passed (a certificate is valid through its NotAfter second),
 * "renew" when it expires within `renewBeforeDays` days (inclusive), "ok" otherwise.
 */
export function expiryStatus(notAfter: string, now: Date, renewBeforeDays: number): ExpiryStatus {
    const end = parseRfc3339(notAfter)?.getTime();
    if (end === undefined) throw new Error(`not an RFC 3339 date: ${JSON.stringify(notAfter.slice(0, 40))}`);
    const left = end - now.getTime();
    const daysLeft = Math.floor(left / DAY_MS);
    const state: ExpiryState = left < 0 ? "expired" : left <= renewBeforeDays * DAY_MS ? "renew" : "ok";
    return { state, daysLeft, notAfter };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time ("2027-11-01T09:00:00Z", an offset or fractions allowed), or undefined for
 * anything else: Date.parse would also read "1" as the year 2001 and roll 30 February into March.
 */
export function parseRfc3339(text: string): Date | undefined {
    const m = RFC3339.exec(text);
    if (!m) return undefined;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const calendar = new Date(Date.UTC(year, month - 1, day));
    if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
        return undefined;
    }
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? undefined : date;
}

/** One sentence for a person: when, and what to do. */
export function describeExpiry(label: string, status: ExpiryStatus): string {
    switch (status.state) {
        case "expired":
            return `${label} expired on ${status.notAfter}: unattended Exchange Online scripts using it can no longer sign in. ${ROTATION_ADVICE} (${ROTATION_REFERENCE})`;
        case "renew":
            return `${label} expires on ${status.notAfter} (${plural(status.daysLeft)} left). ${ROTATION_ADVICE} (${ROTATION_REFERENCE})`;
        case "ok":
            return `${label} is valid until ${status.notAfter} (${plural(status.daysLeft)} left).`;
    }
}

/** An older generation past its end: nothing signs in with it any more, so it can go. */
export function describeRetirement(label: string, status: ExpiryStatus): string {
    return `${label} expired on ${status.notAfter}; retire it: remove it from the top of exo-cba:certificates and run pulumi up.`;
}

function plural(days: number): string {
    return days === 1 ? "1 day" : `${days} days`;
}

/** A generation with its defaults filled in. */
export interface ResolvedGeneration {
    readonly name: string;
    readonly certificatePem: string | undefined;
    readonly validityDays: number;
    readonly rsaBits: number;
}

/** The generation a stack has before exo-cba:certificates is used. */
export const INITIAL_GENERATION = "initial";

/**
 * The certificate generations, oldest first, defaults filled in. Without exo-cba:certificates the
 * stack has one generation, "initial", made from certificatePem / certValidityDays / certRsaBits.
 */
export function generationsOf(s: Settings): ResolvedGeneration[] {
    if (!s.application) return [];
    const list = s.certificates ?? [{ name: INITIAL_GENERATION, certificatePem: s.certificatePem }];
    return list.map((g) => ({
        name: g.name,
        certificatePem: g.certificatePem,
        validityDays: g.validityDays ?? s.certValidityDays,
        rsaBits: g.rsaBits ?? s.certRsaBits,
    }));
}
