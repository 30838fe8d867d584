/**
 * The rules of the settings most stacks leave out, one module per concept, each loaded on its first use:
 * `pulumi up` reads (and Node strips the types of) a rule's module only for a stack that uses its setting,
 * and `npm run typecheck` of the program reads only these signatures. Synchronously (require of an ES
 * module, which Node allows for one without top-level await): the component's constructor cannot await.
 * tests/validation.test.mts holds each module to its signatures here.
 */
import { createRequire } from "node:module";
import type { Cloud } from "../clouds.ts";
import type { ItemReader, ManagedIdentity, Report, Settings } from "../settings.ts";

export interface RuleModules {
    /** Certificate generations and brought certificates. */
    readonly generations: {
        readonly checkGenerations: (s: Settings, now: Date, err: Report, warn: Report) => void;
        /** Checks a supplied certificate; returns its thumbprint when it is readable. */
        readonly checkCertificatePem: (
            brought: { key: string; label: string; pem: string; active: boolean },
            now: Date,
            err: Report,
            warn: Report,
        ) => string | undefined;
    };
    readonly managedIdentities: { readonly checkManagedIdentities: (list: readonly ManagedIdentity[], err: Report) => void };
    readonly federatedCredentials: { readonly checkFederatedCredentials: (s: Settings, cloud: Cloud, err: Report, warn: Report) => void };
    readonly keyVault: { readonly checkKeyVault: (s: Settings, err: Report) => void };
    readonly withoutApplication: { readonly checkWithoutApplication: (s: Settings, err: Report) => void };
    /** The readers of list items, by the name settings.ts gives them. */
    readonly items: { readonly readers: Readonly<Record<ItemReader, (item: unknown, index: number, problems: string[]) => unknown>> };
}

export type RuleName = keyof RuleModules;

const require = createRequire(import.meta.url);
const loaded: { [K in RuleName]?: RuleModules[K] } = {};

/** The rule module of one concept (components/rules/<name>.ts), loaded the first time it is asked for. */
export function loadRule<K extends RuleName>(name: K): RuleModules[K] {
    const module = (loaded[name] ??= require(`./${name}.ts`) as RuleModules[K]);
    return module;
}
