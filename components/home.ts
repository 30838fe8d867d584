/**
 * A customer stack's home (exo-cba:home): the stack whose multitenant application gets access in this
 * tenant. Its outputs are read from the backend, as a stack reference reads them, before anything is registered; its outputs read strictly
 * (outputsReader.ts) and held to this stack: the home is deployed, has an application of its own that is
 * multitenant and signs in with a certificate or a federated credential, and is in this stack's cloud (an
 * application signs in within its own cloud only). Loaded only by customer stacks (index.ts), by require: its signature is outputs.ts HomeModule, so that
 * type-checking the program reads neither this file nor the output readers.
 * https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 (multitenant applications)
 */
import type * as AzureAD from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "node:module";
import { CLOUDS, type CloudName } from "./clouds.ts";
import type { HomeApplication, OutputName } from "./outputs.ts";
import { parseOutputs } from "./outputsReader.ts";
import { show } from "./redaction.ts";

/** pkg/resource/deploy/builtins.go in pulumi/pulumi: the builtin provider's invoke, answered from the backend. */
const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/** The home's outputs a customer stack reads: all public (its private key stays at home). */
const READ: readonly OutputName[] = [
    "appId",
    "tenantId",
    "multitenant",
    "home",
    "cloud",
    "exchangeEnvironmentName",
    "thumbprint",
    "certificateNotAfter",
    "certificatePem",
    "certificates",
    "renewBeforeDays",
    "federatedCredentials",
];

/** Reads and checks the home stack `home` for a customer stack in `cloud`; a home it cannot use is one RunError (HomeModule). */
export async function readHome(home: string, cloud: CloudName): Promise<HomeApplication> {
    const refuse = (why: string) => new pulumi.RunError(`exo-cba:home ${show(home)} ${why}`);
    let read: StackRead;
    try {
        read = await readStack(home);
    } catch (e) {
        throw refuse(
            `could not be read (${errorText(e)}). Deploy the home stack first, and check its name (pulumi stack ls --all) ` +
                "and that this deployment may read it.",
        );
    }
    const values: Record<string, unknown> = {};
    for (const name of READ) {
        if (read.secret.includes(name)) throw refuse(`has a secret output ${name}; a customer stack reads only public outputs.`);
        values[name] = read.outputs[name];
    }
    const { outputs, problems } = parseOutputs(values);
    if (problems.length > 0) throw refuse(`has outputs a customer stack cannot use: ${problems.join("; ")}.`);
    if (outputs.home !== undefined) {
        throw refuse(`is itself a customer stack, of ${show(outputs.home)}: name that home instead (one application, one home).`);
    }
    if (outputs.appId === undefined) {
        throw refuse("has no application (exo-cba:application is false there): a home stack has the application its customers use.");
    }
    if (outputs.multitenant !== true) {
        throw refuse(
            "has an application for its own tenant only. Make it multitenant there first: pulumi config set exo-cba:multitenant true, then pulumi up.",
        );
    }
    // Every version that has the multitenant output has these: without them a same-tenant or cross-cloud home would pass.
    const lacking = (["tenantId", "cloud"] as const).filter((name) => values[name] === undefined);
    if (lacking.length > 0)
        throw refuse(`has no ${lacking.join(" and no ")} output: read from one deployment of this version, it would have.`);
    if (outputs.cloud !== cloud) {
        throw refuse(
            `is in the ${CLOUDS[outputs.cloud].title} cloud and this stack in the ${CLOUDS[cloud].title} cloud (exo-cba:cloud): ` +
                "an application signs in within its own cloud only. Use a home stack in this stack's cloud.",
        );
    }
    // The home's own tenant already has the service principal, which a customer stack there would take over
    // (and delete with itself).
    const azuread = createRequire(import.meta.url)("@pulumi/azuread") as typeof AzureAD;
    const here = (await azuread.getClientConfig()).tenantId;
    if (outputs.tenantId!.toLowerCase() === here.toLowerCase()) {
        throw refuse(
            `is in this stack's own tenant (${here}), where the application has its service principal and grants already: ` +
                "a customer stack is for another tenant.",
        );
    }
    const federated = outputs.federatedCredentials !== undefined && outputs.federatedCredentials.length > 0;
    if (outputs.thumbprint === undefined && !federated) {
        throw refuse("has neither a certificate nor a federated credential: nothing could sign in as its application.");
    }
    const warnings = await compareWithLastDeployment(home, outputs.appId, refuse);
    return {
        warnings,
        stack: home,
        appId: outputs.appId,
        cloud: outputs.cloud,
        certificates: outputs.certificates,
        thumbprint: outputs.thumbprint,
        certificateNotAfter: outputs.certificateNotAfter,
        certificatePem: outputs.certificatePem,
        renewBeforeDays: outputs.renewBeforeDays,
        federated,
    };
}

interface StackRead {
    readonly outputs: Readonly<Record<string, unknown>>;
    /** The outputs that hold a secret. */
    readonly secret: readonly unknown[];
}

/**
 * A stack's outputs from the backend, by its full name: the engine's own reading, which a StackReference does
 * too. As an invoke, a stack that cannot be read is an error the program can word (a StackReference's failed
 * read is an unhandled exception with a stack trace).
 */
async function readStack(name: string): Promise<StackRead> {
    const read = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name })) as { outputs?: unknown; secretOutputNames?: unknown };
    return {
        outputs: typeof read.outputs === "object" && read.outputs !== null ? (read.outputs as Record<string, unknown>) : {},
        secret: Array.isArray(read.secretOutputNames) ? read.secretOutputNames : [],
    };
}

/**
 * This stack's own last deployment, against what it is about to become: an application of its own would be
 * deleted with its certificates (refused: every runner signing in with them would stop, and a home's customers
 * with them), and a home or a home's application other than last time moves this tenant's grants (a warning).
 * A stack never deployed, or one the backend cannot show, has nothing to compare.
 */
async function compareWithLastDeployment(home: string, appId: string, refuse: (why: string) => Error): Promise<string[]> {
    let last: Readonly<Record<string, unknown>>;
    try {
        last = (await readStack(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`)).outputs;
    } catch {
        return [];
    }
    if (last["applicationObjectId"] !== undefined) {
        throw refuse(
            `would make this stack, deployed with an application of its own, a customer stack: pulumi up would delete that application ` +
                `with its certificates and credentials${last["multitenant"] === true ? ", and every customer stack of this home would lose access" : ""}. ` +
                "Keep this stack as it is and make a new stack for the customer tenant (or pulumi destroy this one first).",
        );
    }
    const warnings: string[] = [];
    if (typeof last["home"] === "string" && last["home"] !== home) {
        warnings.push(
            `names another home than last time (${show(last["home"])}): this tenant's service principal, consent and roles move to ${show(home)}'s application.`,
        );
    } else if (typeof last["appId"] === "string" && last["appId"].toLowerCase() !== appId.toLowerCase()) {
        warnings.push(
            `has another application than last time (${show(last["appId"])}, now ${appId}): this tenant's service principal, consent and roles move to it. ` +
                "Check that the home stack was meant to replace its application.",
        );
    }
    return warnings;
}

function errorText(e: unknown): string {
    return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
