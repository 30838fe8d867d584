/**
 * npm run verify, the stack facts: what a deployed stack's outputs (components/outputs.ts, read through
 * tools/lib/outputs.mts) must hold for verify, checked and cross-checked, every problem reported at once.
 * A stack may lack an application (managed identities only), a certificate (federated credentials only)
 * or the `cloud` output (deployed before it existed: the worldwide cloud).
 */
import type { X509Certificate } from "node:crypto";
import { parseRfc3339 } from "../../../components/rotation.ts";
import { isGuid } from "../../../components/microsoft.ts";
import { type CloudName } from "../../../components/clouds.ts";
import type { FederatedCredentialOutput, OutputName, RoleOutput } from "../../../components/outputs.ts";
import { show } from "../../../components/redaction.ts";
import { UserError } from "../cli.mts";
import { type StackOutputs, certificateOutput, thumbprintMismatch } from "../outputs.mts";
import type { ManagedIdentityFacts } from "./outcome.mts";

export type DirectoryRole = RoleOutput;

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
    readonly directoryRoles: readonly DirectoryRole[];
    /** The stack offers Connect-IPPSSession (a connectIppsCommand output): a role of it reaches Security & Compliance. */
    readonly complianceShell: boolean;
}

/** Reads and cross-checks the outputs; every problem is reported at once, in one UserError of one line. */
export function stackFacts(outputs: StackOutputs): StackFacts {
    const problems: string[] = [];
    const read = <T,>(f: () => T): T | undefined => {
        try {
            return f();
        } catch (e) {
            if (!(e instanceof UserError)) throw e;
            problems.push(e.message);
            return undefined;
        }
    };
    const guid = (name: "appId" | "tenantId", optional: boolean) =>
        read(() => {
            const v = optional ? outputs.optionalString(name) : outputs.string(name);
            if (v !== undefined && !isGuid(v)) throw new UserError(`output ${name} should be a GUID (got ${show(v)})`);
            return v;
        });
    const appId = guid("appId", true);
    const tenantId = guid("tenantId", false);
    const organization = read(() => outputs.optionalString("organization"));
    const cloud = read(() => outputs.cloud());
    const certificate = read(() => certificateOutputs(outputs, problems));
    const federatedCredentials = read(() => federatedOutput(outputs)) ?? [];
    const managedIdentities = read(() => outputs.managedIdentities().map((mi) => ({ ...mi, clientId: mi.clientId }))) ?? [];
    const directoryRoles = read(() => rolesOutput(outputs));
    // Only when appId is absent: one that is present but malformed was reported above, and saying "no appId" would be false.
    if (!outputs.has("appId") && (certificate !== undefined || federatedCredentials.length > 0)) {
        problems.push(
            "the outputs have a certificate or federated credentials but no appId; read them again with `pulumi stack output --json --show-secrets`",
        );
    }
    if (problems.length === 1) throw new UserError(problems[0]);
    // One line, as every refusal is: each problem in turn.
    if (problems.length > 1) throw new UserError(`${problems.length} problems in the outputs: ${problems.join("; ")}`);
    return {
        appId,
        tenantId: tenantId!,
        organization,
        cloud: cloud!,
        certificate,
        federatedCredentials,
        managedIdentities,
        directoryRoles: directoryRoles!,
        complianceShell: outputs.has("connectIppsCommand"),
    };
}

/** The certificate outputs, all or none: thumbprint, certificatePem and certificateNotAfter come from one deployment. */
function certificateOutputs(outputs: StackOutputs, problems: string[]): ActiveCertificate | undefined {
    const names: OutputName[] = ["thumbprint", "certificatePem", "certificateNotAfter"];
    if (names.every((n) => !outputs.has(n))) return undefined;
    const start = problems.length;
    const read = (name: OutputName): string | undefined => {
        try {
            return outputs.string(name);
        } catch (e) {
            if (!(e instanceof UserError)) throw e;
            problems.push(e.message);
            return undefined;
        }
    };
    const thumbprint = read("thumbprint");
    const certificatePem = read("certificatePem");
    const notAfterText = read("certificateNotAfter");
    let privateKeyPem: string | undefined;
    try {
        privateKeyPem = outputs.optionalString("privateKeyPem");
    } catch (e) {
        if (!(e instanceof UserError)) throw e;
        problems.push(e.message);
    }
    let certificate: X509Certificate | undefined;
    if (certificatePem !== undefined) {
        try {
            certificate = certificateOutput(certificatePem);
        } catch (e) {
            if (!(e instanceof UserError)) throw e;
            problems.push(e.message);
        }
    }
    const mismatch = certificate && thumbprint !== undefined ? thumbprintMismatch(thumbprint, certificate) : undefined;
    if (mismatch !== undefined) problems.push(mismatch);
    let certificateNotAfter: Date | undefined;
    if (notAfterText !== undefined) {
        certificateNotAfter = parseRfc3339(notAfterText);
        if (certificateNotAfter === undefined) {
            problems.push(`output certificateNotAfter should be an RFC 3339 date (got ${show(notAfterText)})`);
        }
    }
    if (problems.length > start) return undefined;
    return {
        thumbprint: thumbprint!.toUpperCase(),
        certificate: certificate!,
        certificatePem: certificatePem!,
        privateKeyPem,
        certificateNotAfter: certificateNotAfter!,
    };
}

function federatedOutput(outputs: StackOutputs): FederatedCredentialOutput[] {
    const value = outputs.raw("federatedCredentials");
    if (value === undefined) return [];
    return listOutput(
        value,
        'output federatedCredentials should be a list of {"name", "issuer", "subject", "audience"}, each a non-empty string',
        (o) => {
            const [name, issuer, subject, audience] = ["name", "issuer", "subject", "audience"].map((k) => o[k]);
            if (!nonEmpty(name) || !nonEmpty(issuer) || !nonEmpty(subject) || !nonEmpty(audience)) return undefined;
            return { name, issuer, subject, audience };
        },
    );
}

function rolesOutput(outputs: StackOutputs): DirectoryRole[] {
    const value = outputs.raw("directoryRoles");
    if (value === undefined) {
        throw new UserError("the stack has no output directoryRoles; `pulumi up` with this version of exo-cba adds it");
    }
    return listOutput(value, 'output directoryRoles should be a list of {"name": ..., "templateId": <GUID>}', ({ name, templateId }) =>
        nonEmpty(name) && guid(templateId) ? { name, templateId } : undefined,
    );
}

/** A list output whose every item is an object `read` accepts; otherwise a UserError saying the expected `shape`. */
function listOutput<T>(value: unknown, shape: string, read: (item: Record<string, unknown>) => T | undefined): T[] {
    if (!Array.isArray(value)) throw new UserError(shape);
    return value.map((v: unknown) => {
        const o = objectOf(v);
        const item = o === undefined ? undefined : read(o);
        if (item === undefined) throw new UserError(shape);
        return item;
    });
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";
const guid = (v: unknown): v is string => typeof v === "string" && isGuid(v);

function objectOf(v: unknown): Record<string, unknown> | undefined {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
