/**
 * Reading a deployed stack's outputs strictly, by OUTPUTS (outputs.ts): each output by the reader of its
 * kind, then the checks between outputs that come from one deployment, and the outputs of earlier versions
 * filled in: those without `cloud` are worldwide, those without `certificates` (the single-certificate
 * layout of 0.1.0) have one generation. Every tool reads outputs through parseOutputs
 * (tools/shared/stackOutputs.mts). Pure.
 */
import { X509Certificate } from "node:crypto";
import { pemBlocks, thumbprintOf } from "./certificate.ts";
import { CLOUDS, CLOUD_NAMES, type CloudName, isCloudName } from "./clouds.ts";
import { isGuid } from "./microsoft.ts";
import {
    type FederatedCredentialOutput,
    type ManagedIdentityOutput,
    OUTPUTS,
    type OutputKind,
    type OutputKinds,
    type OutputName,
    type OutputValue,
    type RegisteredCertificate,
    type RoleOutput,
    type StackOutputs,
} from "./outputs.ts";
import { containsPrivateKey, hasControlCharacters, show } from "./redaction.ts";
import { INITIAL_GENERATION, parseRfc3339 } from "./rotation.ts";
import { isBlank, renewBeforeDaysProblem } from "./rules/values.ts";
import { isFullStackName } from "./stackNames.ts";

/** What an output holds that its reader refuses; the message follows "output <name> ". */
export class OutputProblem extends Error {}

/** Reads one output's JSON value strictly, or throws an OutputProblem. */
type Reader<T> = (value: unknown) => T;

const text: Reader<string> = (v) => {
    if (typeof v !== "string" || isBlank(v)) throw new OutputProblem("should be a string that is not blank");
    return v;
};
const guid: Reader<string> = (v) => {
    const s = text(v);
    if (!isGuid(s)) throw new OutputProblem(`should be a GUID (got ${show(s)})`);
    return s;
};
const THUMBPRINT = /^[0-9A-F]{40}$/i;
const thumbprint: Reader<string> = (v) => {
    if (typeof v !== "string" || !THUMBPRINT.test(v)) throw new OutputProblem("should be 40 hexadecimal digits");
    return v.toUpperCase();
};
const date: Reader<string> = (v) => {
    const s = text(v);
    if (parseRfc3339(s) === undefined) throw new OutputProblem(`should be an RFC 3339 date such as 2027-11-01T09:00:00Z (got ${show(s)})`);
    return s;
};
/** A line a person pastes or a report shows: one line, no terminal escapes. */
const line: Reader<string> = (v) => {
    const s = text(v);
    if (hasControlCharacters(s)) throw new OutputProblem(`holds control characters: ${show(s)}`);
    return s;
};
/** One certificate block and no other (text around it, as a brought certificate may have, is allowed): the output is public. */
const certificatePem: Reader<string> = (v) => {
    const s = text(v);
    if (containsPrivateKey(s)) throw new OutputProblem("holds a private key block: this output is the public certificate only");
    const blocks = pemBlocks(s);
    if (blocks.length !== 1 || blocks[0].label !== "CERTIFICATE")
        throw new OutputProblem("should hold one PEM certificate block and no other");
    try {
        new X509Certificate(s);
    } catch {
        throw new OutputProblem("is not a readable PEM certificate");
    }
    return s;
};
/** The private key, or "[secret]" where the outputs were read without --show-secrets. */
const privateKey: Reader<string> = (v) => text(v);
const renewWindow: Reader<number> = (v) => {
    const problem = renewBeforeDaysProblem(v);
    if (problem !== undefined) throw new OutputProblem(`${problem} Read the outputs again, or pass --renew-before-days.`);
    return v as number;
};
const cloud: Reader<CloudName> = (v) => {
    if (typeof v !== "string" || !isCloudName(v)) throw new OutputProblem(`should be one of ${CLOUD_NAMES.join(", ")} (got ${show(v)})`);
    return v;
};

/** A list whose every item is an object that `item` accepts; otherwise the problem says the expected `shape`. */
function list<T>(shape: string, item: (o: Record<string, unknown>, index: number) => T | undefined): Reader<T[]> {
    return (v) => {
        if (!Array.isArray(v)) throw new OutputProblem(shape);
        return v.map((x: unknown, i) => {
            const o = x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
            const read = o === undefined ? undefined : item(o, i);
            if (read === undefined) throw new OutputProblem(shape);
            return read;
        });
    };
}
const nonEmpty = (v: unknown): v is string => typeof v === "string" && !isBlank(v);
const isGuidText = (v: unknown): v is string => typeof v === "string" && isGuid(v);

/** Far more than rotation keeps (settings.ts MAX_GENERATIONS): a longer list is not a stack's. */
const MAX_LISTED_CERTIFICATES = 100;
const certificates: Reader<RegisteredCertificate[]> = (v) => {
    if (!Array.isArray(v)) throw new OutputProblem("should be a list");
    if (v.length > MAX_LISTED_CERTIFICATES) throw new OutputProblem(`lists ${v.length} certificates; a stack has at most a few`);
    const read = v.map((x: unknown, i) => {
        const c = (x !== null && typeof x === "object" ? x : {}) as Record<string, unknown>;
        const item = `item ${i}`;
        const field = <T>(name: string, reader: Reader<T>): T => {
            try {
                return reader(c[name]);
            } catch (e) {
                if (e instanceof OutputProblem) throw new OutputProblem(`${item} ${name} ${e.message}`);
                throw e;
            }
        };
        if (!nonEmpty(c["name"])) throw new OutputProblem(`${item} has no name`);
        if (typeof c["notAfter"] !== "string") throw new OutputProblem(`${item} has no notAfter`);
        if (c["active"] !== undefined && typeof c["active"] !== "boolean")
            throw new OutputProblem(`${item} active should be true or false`);
        if (c["selfSigned"] !== undefined && typeof c["selfSigned"] !== "boolean") {
            throw new OutputProblem(`${item} selfSigned should be true or false`);
        }
        return {
            name: c["name"],
            thumbprint: field("thumbprint", thumbprint),
            ...(c["notBefore"] === undefined ? {} : { notBefore: field("notBefore", date) }),
            notAfter: field("notAfter", date),
            active: c["active"] === true,
            ...(c["selfSigned"] === undefined ? {} : { selfSigned: c["selfSigned"] }),
        };
    });
    if (read.filter((c) => c.active).length > 1) throw new OutputProblem("marks more than one certificate active");
    // Lists from before the flag: the newest, listed last, is the active one.
    if (read.length > 0 && !read.some((c) => c.active)) read[read.length - 1] = { ...read[read.length - 1], active: true };
    return read;
};

const managedIdentities = list<ManagedIdentityOutput>(
    'should be a list of {"name", "objectId": <GUID>, "clientId": <GUID, user-assigned only>}',
    ({ name, objectId, clientId, connectCommand }) =>
        nonEmpty(name) &&
        isGuidText(objectId) &&
        (clientId === undefined || isGuidText(clientId)) &&
        (connectCommand === undefined || nonEmpty(connectCommand))
            ? { name, objectId, ...(clientId === undefined ? {} : { clientId }), connectCommand: connectCommand ?? "" }
            : undefined,
);
const federatedCredentials = list<FederatedCredentialOutput>(
    'should be a list of {"name", "issuer", "subject", "audience"}, each a non-empty string',
    ({ name, issuer, subject, audience }) =>
        nonEmpty(name) && nonEmpty(issuer) && nonEmpty(subject) && nonEmpty(audience) ? { name, issuer, subject, audience } : undefined,
);
const roles = list<RoleOutput>('should be a list of {"name": ..., "templateId": <GUID>}', ({ name, templateId }) =>
    nonEmpty(name) && isGuidText(templateId) ? { name, templateId } : undefined,
);

const yes: Reader<true> = (v) => {
    if (v !== true) throw new OutputProblem("should be true");
    return v;
};
const stackName: Reader<string> = (v) => {
    const s = line(v);
    if (!isFullStackName(s)) throw new OutputProblem(`should be a stack's full name <organization>/<project>/<stack> (got ${show(s)})`);
    return s;
};
const url: Reader<string> = (v) => {
    const s = line(v);
    if (!URL.canParse(s) || new URL(s).protocol !== "https:") throw new OutputProblem(`should be an https URL (got ${show(s)})`);
    return s;
};

/** The reader of each kind of output (components/outputs.ts OutputKinds). */
const READERS: { readonly [K in OutputKind]: Reader<OutputKinds[K]> } = {
    guid,
    thumbprint,
    date,
    line,
    certificatePem,
    privateKey,
    renewWindow,
    cloud,
    certificates,
    managedIdentities,
    federatedCredentials,
    roles,
    yes,
    stackName,
    url,
};

/** Why `name` is needed and absent, in the words every tool uses. */
export function missingOutput(name: OutputName): string {
    return `the stack has no output ${name}; is this an exo-cba stack, deployed with \`pulumi up\`?`;
}

const AGAIN = "read the outputs again from one deployment";

/**
 * What a tool cannot do without, given which outputs are there: each output it needs and lacks, with the
 * message to give ("" for missingOutput's).
 */
export type Needs = (has: (name: OutputName) => boolean) => Partial<Record<OutputName, string>>;

/**
 * Reads the JSON object of `pulumi stack output --json` strictly: each output by its reader, then the
 * checks between outputs that come from one deployment (the cloud and its environment name, the active
 * certificate as the list, the thumbprint and the PEM describe it). Every problem is returned, each a
 * phrase that names its output and quotes no secret, in the order of OUTPUTS (checks between outputs last);
 * the outputs are usable only when there are none. `needs` adds what the reading tool cannot do without.
 */
export function parseOutputs(
    json: Readonly<Record<string, unknown>>,
    needs: Needs = () => ({}),
): { readonly outputs: StackOutputs; readonly problems: string[] } {
    const problems: string[] = [];
    const read: Record<string, unknown> = {};
    const has = (name: OutputName) => Object.hasOwn(json, name) && json[name] !== undefined;
    const needed = needs(has);
    for (const name of Object.keys(OUTPUTS) as OutputName[]) {
        const value = has(name) ? json[name] : undefined;
        if (value === undefined) {
            const why = needed[name];
            if (why !== undefined) problems.push(why === "" ? missingOutput(name) : why);
            continue;
        }
        try {
            read[name] = READERS[OUTPUTS[name].kind](value);
        } catch (e) {
            if (!(e instanceof OutputProblem)) throw e;
            problems.push(`output ${name} ${e.message}`);
        }
    }
    const failed = (name: OutputName) => has(name) && read[name] === undefined;
    const outputs = read as { -readonly [K in OutputName]?: OutputValue<K> };

    // The cloud: stacks from before the output existed are worldwide; its environment name must be that cloud's.
    const cloudName: CloudName = outputs.cloud ?? "global";
    const expected = CLOUDS[cloudName].exchangeEnvironmentName;
    if (outputs.exchangeEnvironmentName !== undefined && !failed("cloud") && outputs.exchangeEnvironmentName !== expected) {
        problems.push(
            `output exchangeEnvironmentName is ${show(outputs.exchangeEnvironmentName)}, but ${outputs.cloud === undefined ? "without a cloud output the stack is worldwide, which" : `cloud ${cloudName}`} connects with ${expected}; ${AGAIN}`,
        );
    }

    // The certificate list: from before rotation (0.1.0), the one certificate the other outputs describe.
    let list = outputs.certificates;
    if (list === undefined && !failed("certificates")) {
        if (outputs.thumbprint !== undefined && outputs.certificateNotAfter !== undefined) {
            list = [{ name: INITIAL_GENERATION, thumbprint: outputs.thumbprint, notAfter: outputs.certificateNotAfter, active: true }];
        } else {
            // Every stack since rotation has the list ([] without a certificate); every stack before had these two.
            for (const name of ["thumbprint", "certificateNotAfter"] as const) {
                if (!has(name)) problems.push(missingOutput(name));
            }
        }
    }
    if (list !== undefined && outputs.certificates !== undefined) {
        const stray = (["thumbprint", "certificateNotAfter"] as const).find(has);
        const active = list.findIndex((c) => c.active);
        if (list.length === 0 && stray) {
            problems.push(`output certificates is empty, yet the stack has a ${stray} output: ${AGAIN}`);
        } else if (active !== -1) {
            const c = list[active];
            const label = `output certificates item ${active} (the active certificate)`;
            if (
                outputs.certificateNotAfter !== undefined &&
                parseRfc3339(outputs.certificateNotAfter)!.getTime() !== parseRfc3339(c.notAfter)!.getTime()
            ) {
                problems.push(
                    `${label} has notAfter ${c.notAfter}, but output certificateNotAfter is ${outputs.certificateNotAfter}; ${AGAIN}`,
                );
            }
            if (outputs.thumbprint !== undefined && outputs.thumbprint !== c.thumbprint) {
                problems.push(`${label} has thumbprint ${c.thumbprint}, but output thumbprint is ${outputs.thumbprint}; ${AGAIN}`);
            }
        }
    }

    // A customer stack has no application of its own: nothing of one beside its home.
    if (has("home")) {
        const own = (["applicationObjectId", "privateKeyPem", "multitenant", "keyVaultSecretUri", "federatedCredentials"] as const).find(
            has,
        );
        if (own !== undefined) problems.push(`output home names a home stack, yet the stack has a ${own} output of its own: ${AGAIN}`);
    }

    // The thumbprint names the certificate, or a tool would act on one certificate and report another.
    if (outputs.thumbprint !== undefined && outputs.certificatePem !== undefined) {
        const actual = thumbprintOf(new X509Certificate(outputs.certificatePem));
        if (actual !== outputs.thumbprint) {
            problems.push(
                `output thumbprint ${show(outputs.thumbprint)} is not the thumbprint of output certificatePem (${actual}); ` +
                    "the outputs do not come from one deployment: read them again",
            );
        }
    }

    return {
        outputs: {
            ...outputs,
            cloud: cloudName,
            exchangeEnvironmentName: outputs.exchangeEnvironmentName ?? expected,
            certificates: list ?? [],
        },
        problems,
    };
}
