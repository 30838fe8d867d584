/**
 * Starts the policy pack the way `pulumi preview --policy-pack policy` does and talks to it as the engine.
 *
 * The CLI runs its `pulumi-analyzer-policy` script in the pack's directory: it asks node for
 * require.resolve('@pulumi/pulumi/cmd/run-policy-pack') there and runs that with the engine's address and
 * "." (pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer). The pack prints
 * its gRPC port; the engine then calls GetAnalyzerInfo, Configure (--policy-pack-config), Analyze for each
 * resource and AnalyzeStack at the end.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { promisify } from "node:util";
import type * as Grpc from "@grpc/grpc-js";
import type * as AnalyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb.js";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb.js";
import type * as EmptyPb from "google-protobuf/google/protobuf/empty_pb.js";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb.js";
import { PROJECT_DIR } from "./harness.mts";
import { type TestResource, urnOf } from "./policyHarness.mts";

export const POLICY_DIR = path.join(PROJECT_DIR, "policy");

const exec = promisify(execFile);

// The protocol classes of the SDK the pack itself loads.
const sdkRequire = createRequire(createRequire(path.join(POLICY_DIR, "package.json")).resolve("@pulumi/pulumi"));
const grpc = sdkRequire("@grpc/grpc-js") as typeof Grpc;
const pb = sdkRequire("./proto/analyzer_pb") as typeof AnalyzerPb;
const rpc = sdkRequire("./proto/analyzer_grpc_pb") as typeof AnalyzerGrpc;
const { Struct } = sdkRequire("google-protobuf/google/protobuf/struct_pb") as typeof StructPb;
const { Empty } = sdkRequire("google-protobuf/google/protobuf/empty_pb") as typeof EmptyPb;

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;
export type Level = (typeof LEVELS)[number];

export interface Diagnostic {
    readonly policyName: string;
    readonly message: string;
    readonly enforcementLevel: Level;
    readonly urn: string;
}

export interface PolicyInfo {
    readonly name: string;
    readonly enforcementLevel: Level;
    readonly configSchema: Record<string, unknown>;
}

export interface RunningPack {
    readonly name: string;
    readonly version: string;
    readonly policies: readonly PolicyInfo[];
    configure(config: Record<string, Record<string, unknown>>): Promise<void>;
    analyze(resource: TestResource): Promise<Diagnostic[]>;
    analyzeStack(resources: readonly TestResource[]): Promise<Diagnostic[]>;
    stop(): void;
}

function unary<Req, Res>(client: AnalyzerGrpc.AnalyzerClient, method: string, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
        const fn = (client as unknown as Record<string, (r: Req, cb: (e: Error | null, res: Res) => void) => void>)[method];
        fn.call(client, request, (e, res) => (e ? reject(e) : resolve(res)));
    });
}

function diagnostics(res: AnalyzerPb.AnalyzeResponse): Diagnostic[] {
    return res.getDiagnosticsList().map((d) => ({
        policyName: d.getPolicyname(),
        message: d.getMessage(),
        enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
        urn: d.getUrn(),
    }));
}

/** Starts the pack in `dir` and returns once it listens. */
export async function startPolicyPack(dir: string = POLICY_DIR): Promise<RunningPack> {
    const { stdout: resolved } = await exec(
        process.execPath,
        ["-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))"],
        { cwd: dir, env: { ...process.env, NODE_OPTIONS: "" } },
    );
    // The CLI starts the pack outside npm: without the NODE_OPTIONS npm adds for this project's scripts.
    const { NODE_OPTIONS: _npmOptions, ...env } = process.env;
    const child: ChildProcess = spawn(process.execPath, [resolved.trim(), "127.0.0.1:1", "."], {
        cwd: dir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`the policy pack did not start within 90 s\n${stderr}`)), 90_000);
        child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            const line = /^(\d+)\s*$/m.exec(out);
            if (line) {
                clearTimeout(timer);
                resolve(line[1]);
            }
        });
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the policy pack exited with code ${code}\n${out}\n${stderr}`));
        });
    });
    const client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const info = await unary<unknown, AnalyzerPb.AnalyzerInfo>(client, "getAnalyzerInfo", new Empty());
    const request = (r: TestResource, into: AnalyzerPb.AnalyzeRequest | AnalyzerPb.AnalyzerResource) =>
        into
            .setType(r.type)
            .setName(r.name)
            .setUrn(urnOf(r))
            .setProperties(Struct.fromJavaScript(r.props as Record<string, StructPb.JavaScriptValue>))
            .setOptions(new pb.AnalyzerResourceOptions());
    return {
        name: info.getName(),
        version: info.getVersion(),
        policies: info.getPoliciesList().map((p) => ({
            name: p.getName(),
            enforcementLevel: LEVELS[p.getEnforcementlevel()] ?? "advisory",
            configSchema: p.getConfigschema()?.getProperties()?.toJavaScript() ?? {},
        })),
        async configure(config) {
            const req = new pb.ConfigureAnalyzerRequest();
            for (const [policy, { enforcementLevel, ...properties }] of Object.entries(config)) {
                // The engine always sends a level: the configured one, else the policy's own.
                const own =
                    info
                        .getPoliciesList()
                        .find((p) => p.getName() === policy)
                        ?.getEnforcementlevel() ?? 0;
                const level = enforcementLevel === undefined ? own : LEVELS.indexOf(enforcementLevel as Level);
                req.getPolicyconfigMap().set(
                    policy,
                    new pb.PolicyConfig()
                        .setEnforcementlevel(level)
                        .setProperties(Struct.fromJavaScript(properties as Record<string, StructPb.JavaScriptValue>)),
                );
            }
            await unary(client, "configure", req);
        },
        async analyze(resource) {
            const req = new pb.AnalyzeRequest();
            request(resource, req);
            return diagnostics(await unary<AnalyzerPb.AnalyzeRequest, AnalyzerPb.AnalyzeResponse>(client, "analyze", req));
        },
        async analyzeStack(resources) {
            const urnByName = new Map(resources.map((r) => [r.name, urnOf(r)]));
            const req = new pb.AnalyzeStackRequest().setResourcesList(
                resources.map((r) => {
                    const resource = request(r, new pb.AnalyzerResource()) as AnalyzerPb.AnalyzerResource;
                    const all = new Set<string>();
                    for (const [key, names] of Object.entries(r.dependsOn ?? {})) {
                        const urns = names.map((n) => urnByName.get(n) ?? `urn:missing:${n}`);
                        urns.forEach((u) => all.add(u));
                        resource.getPropertydependenciesMap().set(key, new pb.AnalyzerPropertyDependencies().setUrnsList(urns));
                    }
                    return resource.setDependenciesList([...all]);
                }),
            );
            return diagnostics(await unary<AnalyzerPb.AnalyzeStackRequest, AnalyzerPb.AnalyzeResponse>(client, "analyzeStack", req));
        },
        stop() {
            client.close();
            child.kill();
        },
    };
}
