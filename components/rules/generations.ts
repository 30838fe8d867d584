/**
 * The rules of certificate generations (exo-cba:certificates) and brought certificates (certificatePem,
 * a generation's or the stack's): names, how many, lifetimes and key sizes, and what a supplied
 * certificate must be. Loaded on first use (loadRules.ts).
 */
import { NAME, forEachNamed } from "./items.ts";
import { BYO_RSA_BITS_MIN, MAX_GENERATIONS, type Settings, type Report } from "../settings.ts";
import { INITIAL_GENERATION, expiryStatus } from "../rotation.ts";
import { containsPrivateKey } from "../redaction.ts";
import { inspectCertificate, pemBlocks } from "../certificate.ts";
import { rsaBitsProblem, shortLivedProblem, validityDaysProblem } from "./values.ts";

export function checkGenerations(s: Settings, now: Date, err: Report, warn: Report): void {
    const key = "certificates";
    const list = s.certificates ?? [];
    if (s.certificatePem !== undefined) {
        err(
            "certificatePem",
            "cannot be used together with exo-cba:certificates: move the certificate into its generation " +
                `(certificates: [{ name: ${INITIAL_GENERATION}, certificatePem: ... }]) and unset certificatePem.`,
        );
    }
    if (list.length === 0) {
        // An explicit empty list: no certificate at all, which federated credentials make sense of.
        if ((s.federatedCredentials ?? []).length === 0) {
            err(
                key,
                "is empty, which means no certificate at all; that is allowed only with at least one federated credential " +
                    "(exo-cba:federatedCredentials), since nothing else could sign in as the application. To remove the access altogether, run pulumi destroy.",
            );
        }
        return;
    }
    if (list.length > MAX_GENERATIONS) {
        err(
            key,
            `lists ${list.length} certificates; at most ${MAX_GENERATIONS} may be registered at once. Retire the oldest ` +
                "(remove it from the top of the list) once the runners use a newer one.",
        );
    }
    const thumbprints = new Map<string, string>();
    forEachNamed(list, key, NAME, "generation", err, (g, i, label) => {
        if (g.certificatePem !== undefined) {
            if (g.validityDays !== undefined || g.rsaBits !== undefined) {
                err(key, `${label} brings its own certificate, so validityDays and rsaBits do not apply; remove them.`);
            }
            const active = i === list.length - 1;
            const thumbprint = checkCertificatePem(
                { key, label: `${label} certificatePem `, pem: g.certificatePem, active },
                now,
                err,
                warn,
            );
            if (thumbprint && thumbprints.has(thumbprint)) {
                err(key, `${label} is the same certificate as ${thumbprints.get(thumbprint)}; a new generation needs a new certificate.`);
            }
            if (thumbprint) thumbprints.set(thumbprint, label);
        } else {
            const days = g.validityDays === undefined ? undefined : validityDaysProblem(g.validityDays);
            if (days) err(key, `${label} validityDays ${days}`);
            else if (g.validityDays !== undefined) {
                const short = shortLivedProblem(g.validityDays, s.renewBeforeDays);
                if (short) err(key, `${label} validityDays ${short}`);
            }
            const bits = g.rsaBits === undefined ? undefined : rsaBitsProblem(g.rsaBits);
            if (bits) err(key, `${label} rsaBits ${bits}`);
        }
    });
}

/** Checks a supplied certificate; returns its thumbprint when it is readable. */
export function checkCertificatePem(
    { key, label, pem, active }: { key: string; label: string; pem: string; active: boolean },
    now: Date,
    err: Report,
    warn: Report,
): string | undefined {
    if (containsPrivateKey(pem)) {
        err(
            key,
            `${label}contains a private key. Only the public certificate belongs here: the key must stay on the machine that runs the script ` +
                "and never enters Pulumi state. Export the certificate without its key (Windows: Export-Certificate to a .cer, then " +
                "certutil -encode; Linux: openssl x509 -in cert.pem -out public.pem) and set that.",
        );
        return undefined;
    }
    const certificates = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE").length;
    if (certificates === 0) {
        err(
            key,
            `${label}holds no PEM certificate (-----BEGIN CERTIFICATE-----). A binary .cer/.der file must be converted first: ` +
                "openssl x509 -inform der -in cert.cer -out cert.pem",
        );
        return undefined;
    }
    if (certificates > 1) {
        err(key, `${label}holds ${certificates} certificates; supply only the application's own certificate, not a chain.`);
        return undefined;
    }
    let facts;
    try {
        facts = inspectCertificate(pem);
    } catch (e) {
        err(key, `${label}${(e as Error).message}.`);
        return undefined;
    }
    if (facts.keyType !== "rsa") {
        err(
            key,
            `${label}uses a ${facts.keyType.toUpperCase()} key; Entra client assertions for Exchange Online need an RSA key of at least ${BYO_RSA_BITS_MIN} bits.`,
        );
    } else if ((facts.rsaBits ?? 0) < BYO_RSA_BITS_MIN) {
        err(key, `${label}uses a ${facts.rsaBits}-bit RSA key; at least ${BYO_RSA_BITS_MIN} bits are required.`);
    }
    if (Date.parse(facts.notAfter) < Date.parse(facts.notBefore)) {
        err(
            key,
            `${label}ends (${facts.notAfter}) before it begins (${facts.notBefore}): it can never be used. Supply a certificate issued correctly.`,
        );
        return undefined;
    }
    // An expired older generation is only warned about (by the component, at run time): it is on its way out.
    if (expiryStatus(facts.notAfter, now, 0).state === "expired") {
        if (active) err(key, `${label}expired on ${facts.notAfter} (thumbprint ${facts.thumbprint}); supply a current certificate.`);
    } else if (Date.parse(facts.notBefore) > now.getTime()) {
        // Graph registers a credential whose certificate starts later (a PKI's clock a few seconds ahead, or a
        // certificate staged for the next rotation); Entra refuses sign-ins with it until its NotBefore
        // (azureautomation/azure-automation-ise-addon #136: "Found key 'Start=…'" in the AADSTS50012 refusal).
        warn(
            key,
            `${label}is not valid until ${facts.notBefore} (thumbprint ${facts.thumbprint}): it is registered now, but sign-ins with it ` +
                `fail until then. Runners can use it from ${facts.notBefore}.`,
        );
    }
    return facts.thumbprint;
}
