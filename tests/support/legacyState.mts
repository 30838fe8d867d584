/**
 * The recorded state of a stack deployed with exo-cba 0.1.0 (tests/fixtures/state-0.1.0.json), with
 * the key material the recording had generated at test time instead of committed: a private key in the
 * repository is flagged by secret scanners and copied by people.
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PriorState } from "../../engine/steps.mts";
import { makeCertificate } from "./certificates.mts";
import { PROJECT_DIR } from "./harness.mts";

export type StateResource = PriorState["resources"][number] & { name: string; registeredOutputs?: Record<string, unknown> };

/** The 0.1.0 state, its self-signed certificate (10 years, as that stack was configured) issued a day before `now`. */
export function legacyState(now: Date): { resources: StateResource[] } {
    const made = makeCertificate({ now, fromDays: -1, toDays: 3649, cn: "EXO Reporting Script", freshKey: true });
    const cert = new X509Certificate(made.certPem);
    const key = createPrivateKey(made.keyPem);
    // The tls provider's forms: a PKCS#1 private key and an SPKI public key.
    const publicKeyPem = createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
    const values: Record<string, string> = {
        PRIVATE_KEY_PEM: key.export({ type: "pkcs1", format: "pem" }).toString(),
        PUBLIC_KEY_PEM: publicKeyPem,
        PUBLIC_KEY_SHA1: createHash("sha1").update(publicKeyPem).digest("hex"),
        CERTIFICATE_PEM: made.certPem,
        THUMBPRINT: cert.fingerprint.replaceAll(":", ""),
        SERIAL_DECIMAL: BigInt(`0x${cert.serialNumber}`).toString(10),
        NOT_BEFORE: cert.validFromDate.toISOString().replace(".000Z", "Z"),
        NOT_AFTER: cert.validToDate.toISOString().replace(".000Z", "Z"),
    };
    const template = fs.readFileSync(path.join(PROJECT_DIR, "tests/fixtures/state-0.1.0.json"), "utf8");
    const filled = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
        const value = values[name];
        if (value === undefined) throw new Error(`state-0.1.0.json has an unknown placeholder ${name}`);
        return JSON.stringify(value).slice(1, -1);
    });
    return JSON.parse(filled) as { resources: StateResource[] };
}
