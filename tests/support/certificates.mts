/**
 * Test certificates dated relative to the `now` a test passes: any NotBefore and NotAfter, RSA of any
 * size or EC P-256. openssl 3.0 can only date a certificate from the wall clock, so the certificate is
 * assembled here (DER through node-forge's ASN.1 writer, signed by node:crypto) and the tests read it
 * back with openssl, the independent oracle.
 */
import { type KeyObject, createHash, generateKeyPairSync, sign } from "node:crypto";
import forge from "node-forge";

export const DAY_MS = 86_400_000;

export interface MadeCertificate {
    readonly certPem: string;
    /** The private key, PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). */
    readonly keyPem: string;
}

export interface CertificateOptions {
    /** The instant the dates are relative to. */
    readonly now: Date;
    /** NotBefore, in days from `now` (negative: in the past). @default -1 */
    readonly fromDays?: number;
    /** NotAfter, in days from `now`. @default 30 */
    readonly toDays?: number;
    /** "ec" for an EC P-256 key; otherwise the RSA key size. @default 2048 */
    readonly key?: number | "ec";
    /** Subject and issuer common name. @default "exo-cba test" */
    readonly cn?: string;
}

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

// A key pair per size, shared by the certificates of one test process: RSA generation is the slow part.
const keys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
let serial = 0;

function keyPair(kind: number | "ec", fresh: boolean): { privateKey: KeyObject; publicKey: KeyObject } {
    const make = () =>
        kind === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: kind });
    if (fresh) return make();
    const id = String(kind);
    let pair = keys.get(id);
    if (!pair) {
        pair = make();
        keys.set(id, pair);
    }
    return pair;
}

/**
 * A self-signed certificate valid from `now + fromDays` to `now + toDays`. Each call signs a new
 * certificate (its own serial, so its own thumbprint); `freshKey` also gives it a key of its own.
 */
export function makeCertificate(o: CertificateOptions & { readonly freshKey?: boolean }): MadeCertificate {
    const kind = o.key ?? 2048;
    const { privateKey, publicKey } = keyPair(kind, o.freshKey ?? false);
    const notBefore = new Date(o.now.getTime() + (o.fromDays ?? -1) * DAY_MS);
    const notAfter = new Date(o.now.getTime() + (o.toDays ?? 30) * DAY_MS);
    // Whole seconds: X.509 times have no fractions.
    notBefore.setUTCMilliseconds(0);
    notAfter.setUTCMilliseconds(0);
    const algorithm = kind === "ec" ? "1.2.840.10045.4.3.2" : "1.2.840.113549.1.1.11"; // ecdsa-with-SHA256, sha256WithRSAEncryption
    const algorithmId = asn1.create(U, T.SEQUENCE, true, [
        asn1.create(U, T.OID, false, asn1.oidToDer(algorithm).getBytes()),
        ...(kind === "ec" ? [] : [asn1.create(U, T.NULL, false, "")]),
    ]);
    const name = asn1.create(U, T.SEQUENCE, true, [
        asn1.create(U, T.SET, true, [
            asn1.create(U, T.SEQUENCE, true, [
                asn1.create(U, T.OID, false, asn1.oidToDer("2.5.4.3").getBytes()),
                asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(o.cn ?? "exo-cba test")),
            ]),
        ]),
    ]);
    serial += 1;
    const serialBytes = createHash("sha256").update(`${process.pid}/${serial}/${notBefore.toISOString()}`).digest().subarray(0, 16);
    serialBytes[0] = serialBytes[0] & 0x7f; // a positive INTEGER
    const spki = asn1.fromDer(forge.util.createBuffer(publicKey.export({ type: "spki", format: "der" }).toString("binary")));
    const tbs = asn1.create(U, T.SEQUENCE, true, [
        asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, asn1.integerToDer(2).getBytes())]),
        asn1.create(U, T.INTEGER, false, serialBytes.toString("binary")),
        algorithmId,
        name,
        asn1.create(U, T.SEQUENCE, true, [time(notBefore), time(notAfter)]),
        name,
        spki,
    ]);
    const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), "binary");
    const signature = sign("sha256", tbsDer, privateKey);
    const certificate = asn1.create(U, T.SEQUENCE, true, [
        tbs,
        algorithmId,
        asn1.create(U, T.BITSTRING, false, `\x00${signature.toString("binary")}`),
    ]);
    const der = Buffer.from(asn1.toDer(certificate).getBytes(), "binary");
    const body = der.toString("base64").replace(/(.{64})/g, "$1\n");
    return {
        certPem: `-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`,
        keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    };
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
function time(d: Date): forge.asn1.Asn1 {
    return d.getUTCFullYear() < 2050
        ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d))
        : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}
