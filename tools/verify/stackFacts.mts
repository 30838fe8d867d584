/**
 * npm run verify, the stack facts: what a deployed stack's outputs (components/outputs.ts, read through
 * tools/shared/stackOutputs.mts) must hold for verify, every problem reported at once.
 * A stack may lack an application (managed identities only), a certificate (federated credentials only)
 * or the `cloud` output (deployed before it existed: the worldwide cloud).
 */
import { X509Certificate } from "node:crypto";
import { parseRfc3339 } from "../../components/rotation.ts";
import { type CloudName } from "../../components/clouds.ts";
import type { FederatedCredentialOutput, OutputName, RoleOutput } from "../../components/outputs.ts";
import type { Needs } from "../../components/outputsReader.ts";
import type { StackOutputs } from "../shared/stackOutputs.mts";
import type { ManagedIdentityFacts } from "./outcome.mts";

/** The active certificate, when the stack has one. */
export interface ActiveCertificate {
    /** SHA-1 thumbprint, upper case. */
    readonly thumbprint: string;
    readonly certificate: X509Certificate;
    readonly certificatePem: string;
    /** Self-signed stacks only: the certificate's key. */
    readonly privateKeyPem: string | undefined;
    readonly certificateNotAfter: Date;
}

/** What verify needs from a stack's outputs, checked. */
export interface StackFacts {
    /** The application; undefined when the stack gives access to managed identities only. */
    readonly appId: string | undefined;
    readonly tenantId: string;
    readonly organization: string | undefined;
    /** The `cloud` output; "global" for stacks deployed before it existed. */
    readonly cloud: CloudName;
    /** Undefined when the application has no certificate (federated credentials only). */
    readonly certificate: ActiveCertificate | undefined;
    readonly federatedCredentials: readonly FederatedCredentialOutput[];
    readonly managedIdentities: readonly ManagedIdentityFacts[];
    readonly directoryRoles: readonly RoleOutput[];
    /** The stack offers Connect-IPPSSession (a connectIppsCommand output): a role of it reaches Security & Compliance. */
    readonly complianceShell: boolean;
    /** A customer stack's home stack, whose application (and key) this tenant's grants are for. */
    readonly home: string | undefined;
}

/**
 * What verify cannot do without (for readOutputs): the tenant and the roles, and the active certificate's
 * parts together (thumbprint, PEM and NotAfter come from one deployment), with the application they belong to.
 */
export const STACK_NEEDS: Needs = (has) => {
    const certificate = ["thumbprint", "certificatePem", "certificateNotAfter"] as const;
    const needs: Partial<Record<OutputName, string>> = {
        tenantId: "",
        directoryRoles: "the stack has no output directoryRoles; `pulumi up` with this version of exo-cba adds it",
    };
    if (certificate.some(has)) for (const name of certificate) needs[name] = "";
    if (certificate.some(has) || has("federatedCredentials")) {
        needs.appId =
            "the outputs have a certificate or federated credentials but no appId; read them again with `pulumi stack output --json --show-secrets`";
    }
    return needs;
};

/** The facts of outputs read with STACK_NEEDS. */
export function stackFacts(outputs: StackOutputs): StackFacts {
    const { thumbprint, certificatePem, certificateNotAfter } = outputs;
    return {
        appId: outputs.appId,
        tenantId: outputs.tenantId!,
        organization: outputs.organization,
        cloud: outputs.cloud,
        certificate:
            thumbprint === undefined || certificatePem === undefined || certificateNotAfter === undefined
                ? undefined
                : {
                      thumbprint,
                      certificate: new X509Certificate(certificatePem),
                      certificatePem,
                      privateKeyPem: outputs.privateKeyPem,
                      certificateNotAfter: parseRfc3339(certificateNotAfter)!,
                  },
        federatedCredentials: outputs.federatedCredentials ?? [],
        managedIdentities: (outputs.managedIdentities ?? []).map((mi) => ({ name: mi.name, objectId: mi.objectId, clientId: mi.clientId })),
        directoryRoles: outputs.directoryRoles!,
        complianceShell: outputs.connectIppsCommand !== undefined,
        home: outputs.home,
    };
}
