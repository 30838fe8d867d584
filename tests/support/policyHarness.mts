/**
 * Calls a policy the way @pulumi/policy's analyzer server does (server.js, makeAnalyzeRpcFun and
 * makeAnalyzeStackRpcFun): the inputs behind the SDK's unknown-checking proxy, getConfig returning the
 * policy's own configuration without enforcementLevel, disabled policies skipped, and an unknown value a
 * policy did not handle turned into the SDK's "can't run ... during preview" advisory.
 */
import {
    type Policies,
    type Policy,
    type PolicyResource,
    type PolicyResourceOptions,
    type ResourceValidation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationArgs,
    type StackValidationPolicy,
    UnknownValueError,
    unknownCheckingProxy,
} from "@pulumi/policy";

/**
 * The engine's placeholders for values a preview cannot know yet, as they arrive in an Analyze request
 * (pulumi/pulumi sdk/go/common/resource/plugin/rpc.go: UnknownStringValue, UnknownNumberValue, UnknownArrayValue).
 */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
export const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";

/** The program's component: its children's URNs carry its type. */
const PARENT_TYPE = "exo-cba:exchange:AppOnlyAccess";

export interface TestResource {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
    /** Default "contoso". */
    readonly stack?: string;
    /**
     * For stack checks: the resources (by name, in the same list) each input's value comes from, as the engine
     * reports them (AnalyzerResource.propertyDependencies; known even while the value itself is not).
     */
    readonly dependsOn?: Readonly<Record<string, readonly string[]>>;
}

export interface Outcome {
    /** What reportViolation received, in order. */
    readonly violations: readonly { readonly message: string; readonly urn: string | undefined }[];
    /** The SDK's advisory when a policy read an unknown value and let the error escape. */
    readonly cannotRun: readonly string[];
    readonly notApplicable: readonly string[];
}

export type PolicyConfig = Record<string, unknown> & { enforcementLevel?: string };

export function urnOf(r: TestResource): string {
    return `urn:pulumi:${r.stack ?? "contoso"}::exo-cba::${PARENT_TYPE}$${r.type}::${r.name}`;
}

export function policyNamed(policies: Policies, name: string): Policy {
    const found = policies.find((p) => p.name === name);
    if (!found) throw new Error(`no policy named ${name} (have: ${policies.map((p) => p.name).join(", ")})`);
    return found;
}

class NotApplicable extends Error {
    readonly reason: string | undefined;
    constructor(reason: string | undefined) {
        super(reason);
        this.reason = reason;
    }
}

const OPTIONS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function proxied(props: Record<string, unknown>): Record<string, unknown> {
    // A deep copy first, as the SDK deserialises a fresh object for every call.
    return (unknownCheckingProxy as <T>(value: T) => T)(structuredClone(props));
}

function getConfigFor(config: PolicyConfig | undefined): <T extends object>() => T {
    return <T extends object>() => {
        const { enforcementLevel: _ignored, ...rest } = config ?? {};
        return rest as T;
    };
}

function typeOf(resourceClass: unknown): string | undefined {
    return (resourceClass as { __pulumiType?: string }).__pulumiType;
}

/** Runs a resource policy on one resource, as the engine's Analyze call would. */
export async function validateResource(policy: Policy, resource: TestResource, config?: PolicyConfig): Promise<Outcome> {
    const violations: { message: string; urn: string | undefined }[] = [];
    const cannotRun: string[] = [];
    const notApplicable: string[] = [];
    const validate = (policy as ResourceValidationPolicy).validateResource;
    if (config?.enforcementLevel === "disabled" || validate === undefined) return { violations, cannotRun, notApplicable };
    const validations: ResourceValidation[] = Array.isArray(validate) ? validate : [validate];
    for (const validation of validations) {
        const props = proxied(resource.props);
        const args: ResourceValidationArgs = {
            type: resource.type,
            props,
            urn: urnOf(resource),
            name: resource.name,
            opts: OPTIONS,
            stackTags: new Map(),
            isType: (cls) => typeOf(cls) === resource.type,
            asType: ((cls: unknown) => (typeOf(cls) === resource.type ? props : undefined)) as ResourceValidationArgs["asType"],
            getConfig: getConfigFor(config),
            notApplicable: (reason?: string) => {
                throw new NotApplicable(reason);
            },
        };
        try {
            await validation(args, (message, urn) => violations.push({ message, urn }));
        } catch (e) {
            if (e instanceof UnknownValueError) cannotRun.push(`can't run policy '${policy.name}' during preview: ${(e as Error).message}`);
            else if (e instanceof NotApplicable) notApplicable.push(e.reason ?? "");
            else throw e;
        }
    }
    return { violations, cannotRun, notApplicable };
}

/** Runs a stack policy over resources (their outputs), as the engine's AnalyzeStack call would. */
export async function validateStack(policy: Policy, resources: readonly TestResource[], config?: PolicyConfig): Promise<Outcome> {
    const violations: { message: string; urn: string | undefined }[] = [];
    const cannotRun: string[] = [];
    const notApplicable: string[] = [];
    const validate = (policy as StackValidationPolicy).validateStack;
    if (config?.enforcementLevel === "disabled" || validate === undefined) return { violations, cannotRun, notApplicable };
    const stackResources: PolicyResource[] = resources.map((r) => {
        const props = proxied(r.props);
        return {
            type: r.type,
            props,
            urn: urnOf(r),
            name: r.name,
            opts: OPTIONS,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => typeOf(cls) === r.type,
            asType: ((cls: unknown) => (typeOf(cls) === r.type ? props : undefined)) as PolicyResource["asType"],
        };
    });
    // The SDK resolves each dependency's URN to the resource object (server.js, makeAnalyzeStackRpcFun).
    const byName = new Map(stackResources.map((r) => [r.name, r]));
    resources.forEach((r, i) => {
        for (const [key, names] of Object.entries(r.dependsOn ?? {})) {
            const found = names.map((n) => {
                const d = byName.get(n);
                if (!d) throw new Error(`${r.name}.${key} depends on ${n}, which is not in the stack`);
                return d;
            });
            stackResources[i].propertyDependencies[key] = found;
            stackResources[i].dependencies.push(...found.filter((d) => !stackResources[i].dependencies.includes(d)));
        }
    });
    const args: StackValidationArgs = {
        resources: stackResources,
        stackTags: new Map(),
        getConfig: getConfigFor(config),
        notApplicable: (reason?: string) => {
            throw new NotApplicable(reason);
        },
    };
    try {
        await validate(args, (message, urn) => violations.push({ message, urn }));
    } catch (e) {
        if (e instanceof UnknownValueError) cannotRun.push(`can't run policy '${policy.name}' during preview: ${(e as Error).message}`);
        else if (e instanceof NotApplicable) notApplicable.push(e.reason ?? "");
        else throw e;
    }
    return { violations, cannotRun, notApplicable };
}
