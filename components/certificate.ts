/**
 * Reading X.509 certificates with node:crypto. Pure functions: no Pulumi, no clock of their own.
 * Error texts never contain certificate or key bytes.
 */
import { X509Certificate } from "node:crypto";

export interface CertificateFacts {
    /** SHA-1 over the DER certificate: 40 upper-case hex characters, no colons (what Windows and EXO call the thumbprint). */
    readonly thumbprint: string;
    /** NotBefore as RFC 3339 (UTC, whole seconds). */
    readonly notBefore: string;
    /** NotAfter as RFC 3339 (UTC, whole seconds). */
    readonly notAfter: string;
    readonly subject: string;
    /** "rsa", "ec", "ed25519", ... as node reports it. */
    readonly keyType: string;
    /** Modulus length for RSA keys, undefined for others. */
    readonly rsaBits: number | undefined;
}

interface PemBlock {
    readonly label: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Lists the labels of the PEM blocks in `text` ("CERTIFICATE", "RSA PRIVATE KEY", ...). */
export function pemBlocks(text: string): PemBlock[] {
    return (text.match(PEM_BLOCK) ?? []).map((block) => ({ label: /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(block)?.[1] ?? "" }));
}

/**
 * Parses one PEM certificate. Throws an Error whose message describes the problem
 * without quoting the input.
 */
export function inspectCertificate(pem: string): CertificateFacts {
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(pem);
    } catch {
        throw new Error("is not a readable X.509 certificate in PEM format");
    }
    return certificateFacts(cert);
}

/** The facts of a certificate already parsed (for callers that also need its bytes or key). */
export function certificateFacts(cert: X509Certificate): CertificateFacts {
    const details = cert.publicKey.asymmetricKeyDetails;
    return {
        thumbprint: thumbprintOf(cert),
        notBefore: rfc3339(certDate(cert.validFromDate, cert.validFrom)),
        notAfter: rfc3339(certDate(cert.validToDate, cert.validTo)),
        subject: cert.subject,
        keyType: cert.publicKey.asymmetricKeyType ?? "unknown",
        rsaBits: cert.publicKey.asymmetricKeyType === "rsa" ? details?.modulusLength : undefined,
    };
}

/** SHA-1 over the DER certificate as Windows shows it: upper-case hex, no colons. */
export function thumbprintOf(cert: X509Certificate): string {
    return cert.fingerprint.replaceAll(":", "").toUpperCase();
}

/** The certificate's SHA-1 thumbprint (see {@link CertificateFacts.thumbprint}). */
export function thumbprint(pem: string): string {
    return inspectCertificate(pem).thumbprint;
}

// validFromDate/validToDate arrived in Node 22.10; older 22.x only has the "Nov 27 08:47:12 2027 GMT" strings.
function certDate(date: Date | undefined, text: string): Date {
    return date ?? new Date(text);
}

/** RFC 3339 in UTC without fractional seconds, the form Graph and the azuread provider take. */
export function rfc3339(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
