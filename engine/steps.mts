/**
 * The step planner: what the Pulumi engine does with a registration, given the stack's state.
 *
 * A resource found by its URN, or by one of its aliases, with unchanged inputs is "same" and keeps its
 * outputs; changed inputs "update" it in place when the provider can (its updatable properties) and
 * "replace" it otherwise; anything not found is "create"d; state that no registration claimed is
 * "delete"d when the deployment ends. No gRPC here: monitor.mts feeds registrations in.
 */
import { reveal, sortKeys, type Value } from "./wireValues.mts";

export type Step = "create" | "same" | "update" | "replace";

export interface RecordedAlias {
    readonly name?: string;
    readonly type?: string;
    readonly project?: string;
    readonly stack?: string;
    readonly parentUrn?: string;
    readonly noParent?: boolean;
    readonly urn?: string;
}

/** One resource of a deployment's state: enough to match, compare and reuse it. */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly inputs: Record<string, Value>;
    readonly outputs: Record<string, Value>;
    readonly id: string;
    readonly failure?: string | undefined;
}

/** What the engine keeps of a deployment. */
export interface PriorState {
    readonly resources: readonly StateResource[];
}

/** What the planner needs of a registration. */
export interface Registration {
    readonly urn: string;
    readonly custom: boolean;
    readonly inputs: Record<string, Value>;
    readonly aliases: readonly RecordedAlias[];
}

export interface PlannedStep {
    readonly step: Step;
    /** The state the registration matched, if any. */
    readonly prior: StateResource | undefined;
    /** Inputs that differ from that state, sorted. */
    readonly changed: string[];
}

export class StepPlanner {
    private readonly prior: Map<string, StateResource>;
    private readonly matched = new Set<string>();
    private readonly updatable: (type: string) => readonly string[];

    /** `updatable(type)`: the properties the provider changes in place; any other change replaces. */
    constructor(prior: PriorState | undefined, updatable: (type: string) => readonly string[]) {
        this.updatable = updatable;
        // A resource whose creation failed never reached the state.
        this.prior = new Map((prior?.resources ?? []).filter((r) => !r.failure).map((r) => [r.urn, r]));
    }

    plan(r: Registration & { readonly type: string }): PlannedStep {
        const prior = [r.urn, ...r.aliases.map((a) => aliasUrn(r.urn, a))].map((u) => this.prior.get(u)).find((x) => x !== undefined);
        if (prior) this.matched.add(prior.urn);
        const changed = prior ? changedInputs(prior.inputs, r.inputs) : [];
        // Components and the stack have no provider: they are the same resource whatever their inputs.
        if (!prior) return { step: "create", prior, changed };
        if (!r.custom || changed.length === 0) return { step: "same", prior, changed };
        const inPlace = this.updatable(r.type);
        return { step: changed.every((k) => inPlace.includes(k)) ? "update" : "replace", prior, changed };
    }

    /** URNs in the state that no registration claimed: the engine deletes them at the end. */
    deleted(): string[] {
        return [...this.prior.keys()].filter((urn) => !this.matched.has(urn)).sort();
    }
}

/** Input names whose values differ (secret or not, a value is the same value). */
export function changedInputs(before: Record<string, Value>, after: Record<string, Value>): string[] {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].filter((k) => canonical(before[k]) !== canonical(after[k])).sort();
}

function canonical(v: Value | undefined): string {
    return v === undefined ? "undefined" : JSON.stringify(sortKeys(reveal(v)));
}

/** The URN an alias points at (the engine's alias resolution for the common cases). */
export function aliasUrn(urn: string, a: RecordedAlias): string {
    if (a.urn) return a.urn;
    // urn:pulumi:<stack>::<project>::<parent types$type>::<name>
    const [head, project, qualifiedType, name] = urn.split("::") as [string, string, string, string];
    const types = qualifiedType.split("$");
    if (a.type) types[types.length - 1] = a.type;
    if (a.noParent) types.splice(0, types.length - 1);
    else if (a.parentUrn) types.splice(0, types.length - 1, ...(a.parentUrn.split("::")[2] ?? "").split("$"));
    return [a.stack ? `urn:pulumi:${a.stack}` : head, a.project ?? project, types.join("$"), a.name ?? name].join("::");
}
