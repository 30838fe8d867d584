/**
 * The rules of a stack without an application of its own: one whose managed identities alone get access
 * (exo-cba:application false), and a customer stack, whose home stack's multitenant application gets access
 * (exo-cba:home). Loaded on first use (loadRules.ts).
 */
import { SETTINGS, type Settings, settingsNeeding, type Report } from "../settings.ts";
import { show } from "../redaction.ts";
import { STACK_NAME_RULE, isFullStackName } from "../stackNames.ts";

export function checkWithoutApplication(s: Settings, err: Report): void {
    let why: string;
    if (s.home !== undefined) {
        why = `in a customer stack: the application, its certificates and credentials are the home stack's (exo-cba:home); set it there`;
        if (!isFullStackName(s.home)) {
            err(
                "home",
                `must be the home stack's full name <organization>/<project>/<stack>, each part ${STACK_NAME_RULE} (got ${show(s.home)}). ` +
                    "pulumi stack ls --all shows the names.",
            );
        }
        if (!s.application) {
            err(
                "application",
                "is false, which means no application at all, but exo-cba:home gives this stack its home's application. Remove one of them.",
            );
        }
        if (s.multitenant) {
            err("multitenant", "is for the home stack, whose application it is; a customer stack (exo-cba:home) has none. Remove it here.");
        }
    } else {
        why = "without an application (exo-cba:application is false)";
        if (s.managedIdentities === undefined || s.managedIdentities.length === 0) {
            err(
                "application",
                "is false, so only managed identities get access, and exo-cba:managedIdentities lists none. List at least one, or set application to true.",
            );
        }
    }
    // Those with a default only get a warning for another value (validation.ts warnAboutUnusedSettings).
    for (const key of settingsNeeding("application")) {
        if (SETTINGS[key].default === undefined && s[key] !== undefined) err(key, `has no effect ${why}; remove it.`);
    }
}
