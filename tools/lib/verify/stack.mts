/**
 * npm run verify, the stack facts: what a deployed stack's outputs (components/outputs.ts, read through
 * tools/lib/outputs.mts) must hold for verify, checked and cross-checked, every problem reported at once.
 */
import { X509Certificate } from "node:crypto";
import { thumbprintOf } from "../../../components/certificate.ts";
import { parseRfc3339 } from "../../../components/expiry.ts";
import { isGuid } from "../../../components/microsoft.ts";
import type { RoleOutput } from "../../../components/outputs.ts";
import { show } from "../../../components/redaction.ts";
import { UserError } from "../cli.mts";
import type { StackOutputs } from "../outputs.mts";

export type DirectoryRole = RoleOutput;

/** What verify needs from a stack's outputs, checked. */
export interface StackFacts {
    readonly appId: string;
    readonly tenantId: string;
    readonly organization: string | undefined;
    /** The active certificate's SHA-1 thumbprint, upper case. */
    readonly thumbprint: string;
    readonly certificate: X509Certificate;
    readonly certificatePem: string;
    /** Self-signed stacks only: the active certificate's key. */
    readonly privateKeyPem: string | undefined;
    readonly certificateNotAfter: Date;
    readonly directoryRoles: readonly DirectoryRole[];
}

/** Reads and cross-checks the outputs; every problem is reported at once, one per line, in one UserError. */
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
    const guid = (name: "appId" | "tenantId") =>
        read(() => {
            const v = outputs.string(name);
            if (!isGuid(v)) throw new UserError(`output ${name} should be a GUID (got ${show(v)})`);
            return v;
        });
    const appId = guid("appId");
    const tenantId = guid("tenantId");
    const organization = read(() => outputs.optionalString("organization"));
    const thumbprint = read(() => outputs.string("thumbprint"));
    const certificatePem = read(() => outputs.string("certificatePem"));
    const privateKeyPem = read(() => outputs.optionalString("privateKeyPem"));
    const notAfterText = read(() => outputs.string("certificateNotAfter"));
    const directoryRoles = read(() => rolesOutput(outputs));

    let certificate: X509Certificate | undefined;
    if (certificatePem !== undefined) {
        try {
            certificate = new X509Certificate(certificatePem);
        } catch {
            problems.push("output certificatePem is not a readable PEM certificate");
        }
    }
    if (certificate && thumbprint !== undefined && thumbprintOf(certificate) !== thumbprint.toUpperCase()) {
        problems.push(
            `output thumbprint ${show(thumbprint)} is not the thumbprint of output certificatePem (${thumbprintOf(certificate)}); ` +
                "the outputs do not come from one deployment: read them again with `pulumi stack output --json --show-secrets`",
        );
    }
    let certificateNotAfter: Date | undefined;
    if (notAfterText !== undefined) {
        certificateNotAfter = parseRfc3339(notAfterText);
        if (certificateNotAfter === undefined) {
            problems.push(`output certificateNotAfter should be an RFC 3339 date (got ${show(notAfterText)})`);
        }
    }
    if (problems.length > 0) throw new UserError(problems.join("\n"));
    return {
        appId: appId!,
        tenantId: tenantId!,
        organization,
        thumbprint: thumbprint!.toUpperCase(),
        certificate: certificate!,
        certificatePem: certificatePem!,
        privateKeyPem,
        certificateNotAfter: certificateNotAfter!,
        directoryRoles: directoryRoles!,
    };
}

function rolesOutput(outputs: StackOutputs): DirectoryRole[] {
    const value = outputs.raw("directoryRoles");
    if (value === undefined) {
        throw new UserError("the stack has no output directoryRoles; `pulumi up` with this version of exo-cba adds it");
    }
    const shape = 'output directoryRoles should be a list of {"name": ..., "templateId": <GUID>}';
    if (!Array.isArray(value)) throw new UserError(shape);
    return value.map((r: unknown) => {
        const role = r as Record<string, unknown> | null;
        if (
            typeof role !== "object" ||
            role === null ||
            typeof role["name"] !== "string" ||
            role["name"] === "" ||
            typeof role["templateId"] !== "string" ||
            !isGuid(role["templateId"])
        ) {
            throw new UserError(shape);
        }
        return { name: role["name"], templateId: role["templateId"] };
    });
}
