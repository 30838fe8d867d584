/**
 * Reading the stack configuration: the `exo-cba` namespace, parsed by the settings table and checked by
 * the rules, every problem reported in one error before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { printable, printableLine } from "./redaction.ts";
import { CONFIG_NAMESPACE, type Problem, type Settings, withDefaults } from "./settings.ts";
import { describeProblems, readSettings } from "./settingsReader.ts";
import { type ProviderEnvironment, checkSettings } from "./validation.ts";

export interface ParsedConfig {
    /** Present only when there are no errors. */
    readonly settings: Settings | undefined;
    readonly errors: Problem[];
    readonly warnings: Problem[];
}

/**
 * Parses the raw strings Pulumi hands the program (keys without the namespace) and checks every rule
 * at `now`. Rules run on every value that parsed, so type errors and rule errors arrive together.
 */
export function parseConfig(raw: Readonly<Record<string, string>>, now: Date, provider?: ProviderEnvironment): ParsedConfig {
    const { input, problems } = readSettings(raw);
    const settings = withDefaults(input);
    const checked = checkSettings(settings, now, provider);
    const failed = new Set(problems.map((p) => p.key));
    const errors = [...problems, ...checked.errors.filter((e) => !failed.has(e.key))];
    return { settings: errors.length === 0 ? settings : undefined, errors, warnings: checked.warnings };
}

/**
 * The validated settings of this stack at `now`, or a RunError listing every problem (redacted: a key
 * pasted into the wrong setting is never echoed).
 */
export function loadSettings(now: Date): Settings {
    const prefix = `${CONFIG_NAMESPACE}:`;
    // No prototype: a key "__proto__" must arrive as a key, to be refused as unknown.
    const raw = Object.create(null) as Record<string, string>;
    const misplaced: Problem[] = [];
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
        else if (looksLikeOurNamespace(key)) {
            // exocba:roles would otherwise be ignored in silence, and the default role assigned instead.
            misplaced.push({
                key,
                message: `is not read: this project's settings are in the ${CONFIG_NAMESPACE} namespace. Did you mean ${printableLine(prefix + key.slice(key.indexOf(":") + 1))}?`,
            });
        }
    }
    const parsed = parseConfig(raw, now, providerEnvironment());
    const errors = [...misplaced, ...parsed.errors.map((e) => ({ ...e, key: `${prefix}${e.key}` }))];
    const settings = misplaced.length === 0 ? parsed.settings : undefined;
    if (!settings) {
        throw new pulumi.RunError(
            printable(
                `${describeProblems(`Invalid configuration for stack "${pulumi.getStack()}"`, errors)}\n` +
                    `Fix with: pulumi config set ${prefix}<key> <value>   (lists: pulumi config set --path '${prefix}roles[0]' '<role>')`,
            ),
        );
    }
    return settings;
}

/** A configuration key in a namespace that is this project's misspelt: exocba:, exo_cba:, Exo-Cba:, ... */
function looksLikeOurNamespace(key: string): boolean {
    const namespace = key.slice(0, Math.max(0, key.indexOf(":")));
    const squashed = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, "");
    return namespace !== CONFIG_NAMESPACE && squashed(namespace) === squashed(CONFIG_NAMESPACE);
}

/**
 * The cloud the azuread provider will talk to, as the provider decides it: the stack's
 * azuread:environment, else ARM_ENVIRONMENT (@pulumi/azuread config/vars.js).
 */
export function providerEnvironment(): ProviderEnvironment {
    return { configured: new pulumi.Config("azuread").get("environment"), variable: process.env["ARM_ENVIRONMENT"] };
}
