/**
 * Certificate expiry arithmetic. Pure: the clock is a parameter. Days are 24-hour periods of UTC
 * time, so time zones and daylight saving cannot shift a result; leap days count like any day.
 */

export const DAY_MS = 86_400_000;
export const DEFAULT_RENEW_BEFORE_DAYS = 30;

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
    const end = Date.parse(notAfter);
    if (Number.isNaN(end)) throw new Error(`not a date: ${JSON.stringify(notAfter)}`);
    const left = end - now.getTime();
    const daysLeft = Math.floor(left / DAY_MS);
    const state: ExpiryState = left < 0 ? "expired" : left <= renewBeforeDays * DAY_MS ? "renew" : "ok";
    return { state, daysLeft, notAfter };
}

/** One sentence for a person: when, and what to do. */
export function describeExpiry(label: string, status: ExpiryStatus): string {
    switch (status.state) {
        case "expired":
            return `${label} expired on ${status.notAfter}: unattended Exchange Online scripts using it can no longer sign in. Add a new certificate generation to exo-cba:certificates and run pulumi up.`;
        case "renew":
            return `${label} expires on ${status.notAfter} (${plural(status.daysLeft)} left). Rotate it now: add a new generation to exo-cba:certificates, move the runners, then retire the old one.`;
        case "ok":
            return `${label} is valid until ${status.notAfter} (${plural(status.daysLeft)} left).`;
    }
}

function plural(days: number): string {
    return days === 1 ? "1 day" : `${days} days`;
}
