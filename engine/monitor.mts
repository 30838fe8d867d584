/**
 * A stand-in for the Pulumi engine: the ResourceMonitor and Engine gRPC services a program talks to,
 * served on loopback. Registrations and invokes are answered by the simulated tenant and recorded in
 * full (parent, dependencies, aliases, secrets, ...); log lines are recorded as the CLI would print
 * them. Like Pulumi's own mock monitor, it records additionalSecretOutputs but does not apply them.
 *
 * Given the recording of an earlier deployment as the stack's state, each registration gets the step
 * the engine would take (steps.mts), and only what is created or replaced reaches the simulated provider.
 */
import type * as grpcJs from "@grpc/grpc-js";
import type * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb.js";
import type * as enginePb from "@pulumi/pulumi/proto/engine_pb.js";
import type * as resourceGrpc from "@pulumi/pulumi/proto/resource_grpc_pb.js";
import type * as resourcePb from "@pulumi/pulumi/proto/resource_pb.js";
import type * as emptyPb from "google-protobuf/google/protobuf/empty_pb.js";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb.js";
import { createRequire } from "node:module";
import * as path from "node:path";
import { type PriorState, type RecordedAlias, type Step, StepPlanner } from "./steps.mts";
import { SimulatedTenant as Tenant } from "./tenant.mts";
import { fromWire, holdsSecret, toWire, unwrapForProvider, type Value } from "./wireValues.mts";

export type { PriorState, RecordedAlias, Step };

export interface RecordedResource {
    readonly urn: string;
    /** What the engine would do with it, against the prior state ("create" without one). */
    step: Step;
    /** Inputs that differ from the prior state (for update and replace). */
    changed: string[];
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** URN of the parent ("" for the stack). */
    readonly parent: string;
    /** Explicit provider reference ("<urn>::<id>"), or "" for the default provider. */
    readonly provider: string;
    readonly inputs: Record<string, Value>;
    /** Outputs the simulated provider returned (in a preview only the inputs: the rest is unknown). */
    outputs: Record<string, Value>;
    readonly id: string;
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
    readonly aliases: RecordedAlias[];
    readonly additionalSecretOutputs: string[];
    readonly protect: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: string[];
    readonly replaceOnChanges: string[];
    /** Outputs a component (or the stack) registered with registerOutputs. */
    registeredOutputs?: Record<string, Value>;
    /** Set when the simulated provider refused the resource. */
    failure?: string;
}

export interface RecordedInvoke {
    readonly token: string;
    readonly args: Record<string, Value>;
    failure?: string;
}

export interface LogLine {
    readonly severity: "info" | "warning" | "error";
    readonly message: string;
    /** The resource the message is about ("" for the stack). */
    readonly urn: string;
}

export interface Recording {
    readonly project: string;
    readonly stack: string;
    readonly preview: boolean;
    /** In registration order. */
    readonly resources: RecordedResource[];
    readonly invokes: RecordedInvoke[];
    readonly logs: LogLine[];
    /** URNs in the prior state that the program no longer registers: the engine would delete them. */
    deleted: string[];
}

type Callback = (err: { code: number; details: string; message: string } | null, resp?: unknown) => void;
interface Call<T> {
    readonly request: T;
}

/** The engine's own invoke that reads another stack's outputs (pkg/resource/deploy/builtins.go). */
const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

const SEVERITIES = [undefined, "info", "warning", "error"] as const;

/** What the engine advertises (compare sdk/nodejs/runtime/mocks.ts: everything but output values). */
const FEATURES = [
    "secrets",
    "resourceReferences",
    "aliasSpecs",
    "deletedWith",
    "replaceWith",
    "transforms",
    "invokeTransforms",
    "parameterization",
];

export class RecordingMonitor {
    readonly recording: Recording;
    private readonly pulumiRequire: NodeJS.Require;
    private readonly tenant: Tenant;
    private readonly steps: StepPlanner;
    private server: { forceShutdown(): void } | undefined;

    private readonly otherStacks: Readonly<Record<string, Record<string, Value>>>;

    /** `otherStacks`: the outputs of each stack a stack reference may name, by its full name. */
    constructor(
        projectDir: string,
        project: string,
        stack: string,
        preview: boolean,
        tenant: Tenant,
        prior?: PriorState,
        otherStacks: Readonly<Record<string, Record<string, Value>>> = {},
    ) {
        this.tenant = tenant;
        this.otherStacks = otherStacks;
        this.steps = new StepPlanner(prior, (type) => Tenant.updatable(type));
        this.recording = { project, stack, preview, resources: [], invokes: [], logs: [], deleted: [] };
        // The gRPC library and protocol classes the project's own SDK uses.
        const sdk = createRequire(path.join(projectDir, "package.json")).resolve("@pulumi/pulumi");
        this.pulumiRequire = createRequire(sdk);
    }

    /** Starts both services on a loopback port and returns the address. */
    async start(): Promise<string> {
        const grpc = this.pulumiRequire("@grpc/grpc-js") as typeof grpcJs;
        const { ResourceMonitorService } = this.pulumiRequire("./proto/resource_grpc_pb") as typeof resourceGrpc;
        const { EngineService } = this.pulumiRequire("./proto/engine_grpc_pb") as typeof engineGrpc;
        const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
        server.addService(ResourceMonitorService, this.monitorHandlers(grpc.status) as unknown as grpcJs.UntypedServiceImplementation);
        server.addService(EngineService, this.engineHandlers() as unknown as grpcJs.UntypedServiceImplementation);
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) =>
                err ? reject(err) : resolve(p),
            ),
        );
        this.server = server;
        return `127.0.0.1:${port}`;
    }

    stop(): void {
        this.server?.forceShutdown();
        this.server = undefined;
    }

    /** Ends the deployment: what the prior state holds and the program did not register is deleted. */
    finish(): void {
        this.recording.deleted = this.steps.deleted();
    }

    private monitorHandlers(status: typeof grpcJs.status): Record<string, (call: Call<never>, cb: Callback) => void> {
        const proto = this.pulumiRequire("./proto/resource_pb") as typeof resourcePb;
        const empty = this.pulumiRequire("google-protobuf/google/protobuf/empty_pb") as typeof emptyPb;
        const struct = this.pulumiRequire("google-protobuf/google/protobuf/struct_pb") as typeof structPb;
        const fail = (cb: Callback, message: string, code: number = status.UNKNOWN) => cb({ code, details: message, message });
        // An object's wire form is an object again.
        const structOf = (v: Record<string, unknown>) =>
            struct.Struct.fromJavaScript(toWire(v) as Record<string, structPb.JavaScriptValue>);
        return {
            supportsFeature: (call: Call<{ getId(): string }>, cb) => {
                cb(null, new proto.SupportsFeatureResponse().setHassupport(FEATURES.includes(call.request.getId())));
            },
            getDeploymentInfo: (_call, cb) => fail(cb, "GetDeploymentInfo is not modelled", status.UNIMPLEMENTED),
            registerPackage: (_call, cb) => cb(null, new proto.RegisterPackageResponse().setRef("recording-engine-package")),
            signalAndWaitForShutdown: (_call, cb) => cb(null, new empty.Empty()),
            invoke: (call: Call<InvokeRequest>, cb) => {
                const entry: RecordedInvoke = { token: call.request.getTok(), args: objectOf(call.request.getArgs()) };
                this.recording.invokes.push(entry);
                Promise.resolve()
                    .then(() =>
                        entry.token === READ_STACK_OUTPUTS
                            ? this.readStackOutputs(unwrapForProvider(entry.args)["name"])
                            : this.tenant.call({ token: entry.token, inputs: unwrapForProvider(entry.args) }),
                    )
                    .then((result) => cb(null, new proto.ResourceInvokeResponse().setReturn(structOf(result))))
                    .catch((e: Error) => {
                        entry.failure = e.message;
                        fail(cb, `invocation of ${entry.token} returned an error: ${e.message}`);
                    });
            },
            registerResource: (call: Call<RegisterRequest>, cb) => {
                const entry = this.record(call.request);
                Promise.resolve()
                    .then(() => this.create(entry))
                    .then(({ id, state }) => {
                        entry.outputs = state;
                        const resp = new proto.RegisterResourceResponse().setUrn(entry.urn).setId(id);
                        resp.setObject(structOf(state));
                        cb(null, resp);
                    })
                    .catch((e: Error) => {
                        entry.failure = e.message;
                        fail(cb, `creating ${entry.urn}: ${e.message}`);
                    });
            },
            registerResourceOutputs: (call: Call<{ getUrn(): string; getOutputs(): StructLike | undefined }>, cb) => {
                const entry = this.recording.resources.find((r) => r.urn === call.request.getUrn());
                if (!entry) return fail(cb, `unknown resource ${call.request.getUrn()}`);
                entry.registeredOutputs = objectOf(call.request.getOutputs());
                cb(null, new empty.Empty());
            },
            readResource: (call: Call<{ getType(): string; getName(): string }>, cb) =>
                fail(cb, `reading existing resources is not modelled (${call.request.getType()} ${call.request.getName()})`),
            call: (_call, cb) => fail(cb, "provider method calls are not modelled", status.UNIMPLEMENTED),
            existsResource: (_call, cb) => fail(cb, "ExistsResource is not modelled", status.UNIMPLEMENTED),
            registerStackTransform: (_call, cb) => fail(cb, "stack transforms are not modelled", status.UNIMPLEMENTED),
            registerStackInvokeTransform: (_call, cb) => fail(cb, "invoke transforms are not modelled", status.UNIMPLEMENTED),
            registerResourceHook: (_call, cb) => fail(cb, "resource hooks are not modelled", status.UNIMPLEMENTED),
            registerErrorHook: (_call, cb) => fail(cb, "error hooks are not modelled", status.UNIMPLEMENTED),
        };
    }

    private engineHandlers(): Record<string, (call: Call<never>, cb: Callback) => void> {
        const proto = this.pulumiRequire("./proto/engine_pb") as typeof enginePb;
        const empty = this.pulumiRequire("google-protobuf/google/protobuf/empty_pb") as typeof emptyPb;
        let root = "";
        return {
            log: (call: Call<{ getSeverity(): number; getMessage(): string; getUrn(): string }>, cb) => {
                const r = call.request;
                // Debug lines are the SDK's RPC trace, which the CLI shows only with --debug.
                if (r.getSeverity() === 0) return cb(null, new empty.Empty());
                this.recording.logs.push({ severity: SEVERITIES[r.getSeverity()] ?? "info", message: r.getMessage(), urn: r.getUrn() });
                cb(null, new empty.Empty());
            },
            getRootResource: (_call, cb) => cb(null, new proto.GetRootResourceResponse().setUrn(root)),
            setRootResource: (call: Call<{ getUrn(): string }>, cb) => {
                root = call.request.getUrn();
                cb(null, new proto.SetRootResourceResponse());
            },
            requirePulumiVersion: (_call, cb) => cb(null, new proto.RequirePulumiVersionResponse()),
        };
    }

    /**
     * Another stack's outputs, as the engine's builtin provider reads them (builtins.go readStackReference):
     * the outputs, secrets still marked, and the names of those that hold one; a stack it does not have is
     * an "unknown stack" (pkg/backend/backend.go GetStackOutputs).
     */
    private readStackOutputs(name: unknown): Record<string, unknown> {
        const id = String(name);
        const outputs = Object.hasOwn(this.otherStacks, id) ? this.otherStacks[id] : undefined;
        if (outputs === undefined) throw new Error(`unknown stack ${JSON.stringify(id)}`);
        const secretOutputNames = Object.keys(outputs)
            .filter((k) => holdsSecret(outputs[k]))
            .sort();
        return { name: id, outputs, secretOutputNames };
    }

    private record(r: RegisterRequest): RecordedResource {
        const propertyDependencies: Record<string, string[]> = {};
        r.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = [...deps.getUrnsList()].sort();
        });
        const entry: RecordedResource = {
            urn: this.urn(r.getParent(), r.getType(), r.getName()),
            type: r.getType(),
            name: r.getName(),
            custom: r.getCustom(),
            parent: r.getParent(),
            provider: r.getProvider(),
            inputs: objectOf(r.getObject()),
            outputs: {},
            id: "",
            step: "create",
            changed: [],
            dependencies: [...new Set(r.getDependenciesList())].sort(),
            propertyDependencies,
            aliases: r.getAliasesList().map(aliasOf),
            additionalSecretOutputs: [...r.getAdditionalsecretoutputsList()],
            protect: r.getProtect(),
            deleteBeforeReplace: r.getDeletebeforereplace(),
            ignoreChanges: [...r.getIgnorechangesList()],
            replaceOnChanges: [...r.getReplaceonchangesList()],
        };
        this.recording.resources.push(entry);
        return entry;
    }

    /** Plans the step and lets the simulated provider create what is new or replaced; throws as the provider fails. */
    private create(entry: RecordedResource): { id: string; state: Record<string, Value> } {
        const { step, prior, changed } = this.steps.plan(entry);
        entry.step = step;
        entry.changed = changed;
        // Components and the stack have no provider: their outputs come with registerResourceOutputs.
        if (!entry.custom) return { id: "", state: {} };
        let result: { id: string; state: Record<string, Value> };
        if (prior && step === "same") {
            this.tenant.adopt(entry.type, unwrapForProvider(prior.outputs));
            result = { id: prior.id, state: prior.outputs };
        } else if (prior && step === "update") {
            this.tenant.adopt(entry.type, unwrapForProvider({ ...prior.outputs, ...entry.inputs }));
            result = { id: prior.id, state: { ...prior.outputs, ...entry.inputs } };
        } else {
            result = this.tenant.newResource({
                type: entry.type,
                name: entry.name,
                inputs: entry.inputs,
                providerConfig: this.providerConfig(entry),
            });
        }
        (entry as { id: string }).id = result.id;
        return result;
    }

    /** The inputs of the explicit provider a resource names (its configuration), if any. */
    private providerConfig(entry: RecordedResource): Record<string, Value> | undefined {
        if (!entry.provider) return undefined;
        const urn = entry.provider.slice(0, entry.provider.lastIndexOf("::"));
        return this.recording.resources.find((r) => r.urn === urn)?.inputs;
    }

    /** The engine's URN scheme: a child's type is qualified by its parent's type chain. */
    private urn(parent: string, type: string, name: string): string {
        const { stack, project } = this.recording;
        const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
        return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
    }
}

interface StructLike {
    toJavaScript(): unknown;
}

interface InvokeRequest {
    getTok(): string;
    getArgs(): StructLike | undefined;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getParent(): string;
    getProvider(): string;
    getObject(): StructLike | undefined;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(fn: (deps: { getUrnsList(): string[] }, key: string) => void): void };
    getAliasesList(): AliasMessage[];
    getAdditionalsecretoutputsList(): string[];
    getProtect(): boolean;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
}

interface AliasMessage {
    hasUrn(): boolean;
    getUrn(): string;
    getSpec():
        | {
              getName(): string;
              getType(): string;
              getProject(): string;
              getStack(): string;
              getParenturn(): string;
              getNoparent(): boolean;
          }
        | undefined;
}

function objectOf(s: StructLike | undefined): Record<string, Value> {
    return (fromWire(s?.toJavaScript() ?? {}) ?? {}) as Record<string, Value>;
}

function aliasOf(a: AliasMessage): RecordedAlias {
    if (a.hasUrn()) return { urn: a.getUrn() };
    const s = a.getSpec();
    const out: { -readonly [K in keyof RecordedAlias]: RecordedAlias[K] } = {};
    if (!s) return out;
    if (s.getName()) out.name = s.getName();
    if (s.getType()) out.type = s.getType();
    if (s.getProject()) out.project = s.getProject();
    if (s.getStack()) out.stack = s.getStack();
    if (s.getParenturn()) out.parentUrn = s.getParenturn();
    if (s.getNoparent()) out.noParent = true;
    return out;
}
