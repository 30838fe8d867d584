/** The rules of a stack without an application (exo-cba:application false). Loaded on first use (loadRules.ts). */
import { SETTINGS, type Settings, settingsNeeding, type Report } from "../settings.ts";

export function checkWithoutApplication(s: Settings, err: Report): void {
    if (s.managedIdentities === undefined || s.managedIdentities.length === 0) {
        err(
            "application",
            "is false, so only managed identities get access, and exo-cba:managedIdentities lists none. List at least one, or set application to true.",
        );
    }
    // Those with a default only get a warning for another value (validation.ts warnAboutUnusedSettings).
    for (const key of settingsNeeding("application")) {
        if (SETTINGS[key].default === undefined && s[key] !== undefined) {
            err(key, "has no effect without an application (exo-cba:application is false); remove it.");
        }
    }
}
