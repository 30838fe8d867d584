/**
 * npm run verify, the key files: the private key that signs the client assertion, from the stack's
 * privateKeyPem output, a PEM file or a PKCS#12 (PFX) file. Whatever is wrong with a file is one line
 * naming it and what is allowed (a UserError, exit code 2); no message quotes key bytes or the password.
 */
import { type KeyObject, X509Certificate, createPrivateKey } from "node:crypto";
import forge from "node-forge";
import { UserError, readInputFile } from "../shared/cli.mts";
import { PFX_PASSWORD_VARIABLE } from "../shared/secrets.mts";

/** A PEM key or a PFX with its chain is a few kilobytes; reading stops here (`--key-file /dev/zero`). */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** The private key to sign with, and where it came from (for messages; never its bytes). */
export interface KeyMaterial {
    readonly key: KeyObject;
    /** "stack output privateKeyPem" or the key file's path. */
    readonly origin: string;
    /** Certificates found next to the key (PFX, or a PEM bundle): named when the key does not match. */
    readonly certificates: readonly X509Certificate[];
}

/** The key in the stack's privateKeyPem output (self-signed stacks). */
export function keyFromOutput(pem: string): KeyMaterial {
    return { key: pemKey(pem, "output privateKeyPem"), origin: "stack output privateKeyPem", certificates: [] };
}

/** A PEM private key (optionally with certificates) or a PKCS#12 (.pfx/.p12) file; "-" is standard input. */
export async function keyFromFile(file: string, password: string | undefined): Promise<KeyMaterial> {
    const bytes = await readInputFile(file, "--key-file", MAX_KEY_FILE_BYTES);
    const origin = file === "-" ? "standard input" : file;
    const where = `--key-file ${origin}`;
    if (bytes.length === 0) throw new UserError(`${where} is empty; expected a PEM private key or a PFX (PKCS#12) file`);
    const text = bytes.toString("latin1");
    if (text.includes("-----BEGIN")) {
        const certificates = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].flatMap((m) =>
            readCertificate(m[0]),
        );
        return { key: pemKey(text, where), origin, certificates };
    }
    const pfx = readPfx(bytes, where, password);
    if (pfx.keys.length === 0) throw new UserError(`${where} has no private key, only certificates: export the PFX with its key`);
    if (pfx.keys.length > 1) {
        throw new UserError(`${where} has ${pfx.keys.length} private keys; export a PFX with only the certificate's key`);
    }
    return { key: rsaOnly(pfx.keys[0], where), origin, certificates: pfx.certificates };
}

const KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g;

function pemKey(pem: string, where: string): KeyObject {
    const blocks = [...pem.matchAll(KEY_BLOCK)];
    if (blocks.some((b) => b[1] === "ENCRYPTED PRIVATE KEY" || b[0].includes("Proc-Type: 4,ENCRYPTED"))) {
        throw new UserError(
            `${where} holds an encrypted PEM key: decrypt it (openssl pkey -in <file> -out <new file>) or pass a PFX with its password in ${PFX_PASSWORD_VARIABLE}`,
        );
    }
    if (blocks.length === 0) {
        throw new UserError(
            // The PEM labels are not quoted: a BEGIN line in a message is redacted as a key, and the message with it.
            `${where} holds no private key (PKCS#8 or PKCS#1 PEM); a certificate alone cannot sign`,
        );
    }
    if (blocks.length > 1) throw new UserError(`${where} holds ${blocks.length} private keys; pass a file with only the certificate's key`);
    let key: KeyObject;
    try {
        key = createPrivateKey(blocks[0][0]);
    } catch {
        throw new UserError(`${where} has a private key block that is not a readable key`);
    }
    return rsaOnly(key, where);
}

/**
 * Entra signs applications in with certificates only through RS256/PS256 client assertions
 * (https://learn.microsoft.com/entra/identity-platform/certificate-credentials), so only an RSA key can
 * ever work: an EC or Ed25519 key is refused here, before anything is sent.
 */
function rsaOnly(key: KeyObject, where: string): KeyObject {
    if (key.asymmetricKeyType === "rsa") return key;
    const type = key.asymmetricKeyType === "ec" ? "an EC" : `a ${key.asymmetricKeyType ?? "non-RSA"}`;
    throw new UserError(
        `${where} holds ${type} key; Entra accepts only RSA certificates for app-only sign-in: pass the key of the stack's RSA certificate`,
    );
}

function readCertificate(pem: string | Buffer): X509Certificate[] {
    try {
        return [new X509Certificate(pem)];
    } catch {
        return [];
    }
}

// ---------------------------------------------------------------------------------------------------
// PKCS#12 (RFC 7292). node-forge parses the ASN.1 and runs the key derivations and ciphers; the walk is
// here because forge's own reader applies one password encoding to everything, and PKCS#12 has two:
// the MAC and the legacy PKCS#12 PBE ciphers (3DES, RC2) take the password as a BMPString (UTF-16BE,
// RFC 7292 appendix B.1), PBES2 (PBKDF2 with AES, RFC 8018) takes its UTF-8 bytes. That is what
// OpenSSL writes (https://docs.openssl.org/3.0/man7/passphrase-encoding/) and Windows reads; forge
// would derive a PBES2 key from a non-ASCII password wrongly and call the right password wrong.

const OIDS = forge.pki.oids;
const PBES2 = OIDS["pkcs5PBES2"];
const PBKDF2 = OIDS["pkcs5PBKDF2"];
/**
 * Key derivation runs in JavaScript here: a hostile file claiming billions of iterations would run for
 * hours, so more than this is refused (OpenSSL writes 2048).
 */
const MAX_ITERATIONS = 1_000_000;

/** forge's password-based cipher factory (lib/pbe.js), which @types/node-forge does not declare. */
interface PasswordCiphers {
    getCipher(oid: string, params: forge.asn1.Asn1, password: string | null): forge.cipher.BlockCipher;
}
const pbe = (forge.pki as unknown as { pbe: PasswordCiphers }).pbe;

/** A PFX structure problem, turned into a message naming the file. */
class Malformed extends Error {}

interface Password {
    /** For the MAC and PKCS#12 PBE ciphers, which encode it as a BMPString; null: no password at all. */
    readonly bmp: string | null;
    /** For PBES2: the password's UTF-8 bytes, as forge's binary string. */
    readonly octets: string;
}

function readPfx(bytes: Buffer, where: string, password: string | undefined): { keys: KeyObject[]; certificates: X509Certificate[] } {
    let authSafe: string;
    let macData: forge.asn1.Asn1 | undefined;
    try {
        // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, macData MacData OPTIONAL }
        const pfx = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString("binary")));
        const [version, content, mac] = children(pfx);
        if (version?.type !== forge.asn1.Type.INTEGER || forge.asn1.derToInteger(version.value as string) !== 3 || !content) {
            throw new Malformed("not a PFX");
        }
        authSafe = dataContent(content);
        macData = mac;
    } catch {
        throw new UserError(`${where} is neither a PEM key nor a PFX (PKCS#12) file`);
    }
    const wrongPassword = () =>
        new UserError(
            password === undefined
                ? `${where} is a password-protected PFX: put its password in the environment variable ${PFX_PASSWORD_VARIABLE}`
                : `${where}: the PFX password in ${PFX_PASSWORD_VARIABLE} is not this file's password`,
        );
    try {
        // Without a password, try an empty one and none at all: an unprotected PFX is written either way.
        const candidates: (string | null)[] = password === undefined || password === "" ? ["", null] : [password];
        let bmp: string | null | undefined = candidates[0];
        if (macData) {
            bmp = candidates.find((c) => macMatches(macData, authSafe, c));
            if (bmp === undefined) throw wrongPassword();
        }
        const secret: Password = { bmp: bmp ?? null, octets: forge.util.encodeUtf8(bmp ?? "") };
        const found = { keys: [] as KeyObject[], certificates: [] as X509Certificate[] };
        // AuthenticatedSafe ::= SEQUENCE OF ContentInfo, each plain data or password-encrypted data.
        for (const info of children(forge.asn1.fromDer(authSafe))) {
            const [type] = children(info);
            const contentType = oid(type);
            let safeContents: string;
            if (contentType === OIDS["data"]) {
                safeContents = dataContent(info);
            } else if (contentType === OIDS["encryptedData"]) {
                const decrypted = decryptContent(info, secret);
                if (decrypted === undefined) throw macData ? new Malformed("a part cannot be decrypted") : wrongPassword();
                safeContents = decrypted;
            } else {
                throw new Malformed("a part is neither data nor password-encrypted data");
            }
            readBags(forge.asn1.fromDer(safeContents), secret, found, macData !== undefined, wrongPassword);
        }
        return found;
    } catch (e) {
        if (e instanceof UserError) throw e;
        if (e instanceof Malformed) throw new UserError(`${where} is a PFX verify cannot read: ${e.message}`);
        // forge's words for an algorithm it does not implement ("Unsupported OID", "Unsupported PRF").
        if (/unsupported/i.test((e as Error).message)) {
            throw new UserError(
                `${where} is a PFX encrypted with an algorithm verify cannot read; export it again with AES-256 (openssl pkcs12 -export, or Windows' AES256-SHA256 option)`,
            );
        }
        throw new UserError(`${where} is a PFX verify cannot read: it looks damaged`);
    }
}

/** MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 } (RFC 7292 appendix B: key ID 3). */
function macMatches(macData: forge.asn1.Asn1, authSafe: string, bmp: string | null): boolean {
    const [digestInfo, salt, iterationsNode] = children(macData);
    const [algorithm, digest] = children(digestInfo);
    const digestOid = oid(children(algorithm)[0]);
    const name = OIDS[digestOid];
    const md = name === "sha1" || name === "sha256" || name === "sha384" || name === "sha512" ? forge.md[name] : undefined;
    if (!md) throw new Malformed(`its MAC algorithm (${digestOid}) is not one of SHA-1, SHA-256, SHA-384, SHA-512`);
    const iterations = iterationsNode ? forge.asn1.derToInteger(iterationsNode.value as string) : 1;
    if (iterations < 1 || iterations > MAX_ITERATIONS) throw new Malformed(`its MAC claims ${iterations} iterations`);
    const digester = md.create();
    const key = forge.pkcs12.generateKey(bmp, forge.util.createBuffer(octets(salt)), 3, iterations, digester.digestLength, digester);
    const hmac = forge.hmac.create();
    hmac.start(name as forge.md.Algorithm, key.getBytes());
    hmac.update(authSafe);
    return hmac.digest().getBytes() === octets(digest);
}

/**
 * EncryptedData ::= SEQUENCE { version, EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm,
 * encryptedContent [0] IMPLICIT OCTET STRING } }, inside ContentInfo's [0]. Undefined when the password does not fit.
 */
function decryptContent(info: forge.asn1.Asn1, secret: Password): string | undefined {
    const [, encryptedContentInfo] = children(explicit(children(info)[1]));
    const [, algorithm, encrypted] = children(encryptedContentInfo);
    if (!encrypted) return "";
    return decrypt(algorithm, octets(encrypted), secret);
}

function decrypt(algorithm: forge.asn1.Asn1 | undefined, ciphertext: string, secret: Password): string | undefined {
    const [algorithmOid, params] = children(algorithm);
    const id = oid(algorithmOid);
    if (!params) throw new Malformed("an encryption algorithm has no parameters");
    const iterations = iterationCount(id, params);
    if (iterations < 1 || iterations > MAX_ITERATIONS) throw new Malformed(`its encryption claims ${iterations} iterations`);
    const cipher = pbe.getCipher(id, params, id === PBES2 ? secret.octets : secret.bmp);
    cipher.update(forge.util.createBuffer(ciphertext));
    return cipher.finish() ? cipher.output.getBytes() : undefined;
}

/** PBES2: { keyDerivationFunc { PBKDF2, { salt, iterationCount, ... } }, encryptionScheme }; PKCS#12 PBE: { salt, iterations }. */
function iterationCount(algorithmOid: string, params: forge.asn1.Asn1): number {
    if (algorithmOid === PBES2) {
        const [kdf] = children(params);
        const [kdfOid, kdfParams] = children(kdf);
        if (oid(kdfOid) !== PBKDF2) throw new Malformed("its PBES2 key derivation is not PBKDF2");
        return forge.asn1.derToInteger(children(kdfParams)[1]?.value as string);
    }
    return forge.asn1.derToInteger(children(params)[1]?.value as string);
}

/** SafeContents ::= SEQUENCE OF SafeBag { bagId, bagValue [0] EXPLICIT, bagAttributes SET OPTIONAL }. */
function readBags(
    safeContents: forge.asn1.Asn1,
    secret: Password,
    found: { keys: KeyObject[]; certificates: X509Certificate[] },
    macChecked: boolean,
    wrongPassword: () => UserError,
): void {
    for (const bag of children(safeContents)) {
        const [idNode, valueNode] = children(bag);
        const id = oid(idNode);
        const value = explicit(valueNode);
        if (id === OIDS["keyBag"]) {
            found.keys.push(privateKey(forge.asn1.toDer(value).getBytes()));
        } else if (id === OIDS["pkcs8ShroudedKeyBag"]) {
            // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
            const [algorithm, encrypted] = children(value);
            const plain = decrypt(algorithm, octets(encrypted), secret);
            if (plain === undefined) throw macChecked ? new Malformed("its key cannot be decrypted") : wrongPassword();
            found.keys.push(privateKey(plain));
        } else if (id === OIDS["certBag"]) {
            // CertBag ::= SEQUENCE { certId, certValue [0] EXPLICIT OCTET STRING }: X.509 certificates only.
            const [certId, certValue] = children(value);
            if (oid(certId) === OIDS["x509Certificate"]) {
                found.certificates.push(...readCertificate(Buffer.from(octets(explicit(certValue)), "binary")));
            }
        } else if (id === OIDS["safeContentsBag"]) {
            readBags(value, secret, found, macChecked, wrongPassword);
        }
        // CRL and secret bags say nothing about the key.
    }
}

function privateKey(der: string): KeyObject {
    try {
        return createPrivateKey({ key: Buffer.from(der, "binary"), format: "der", type: "pkcs8" });
    } catch {
        throw new Malformed("its private key cannot be read (damaged, or a wrong password on a PFX without a MAC)");
    }
}

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
    if (!node?.constructed || !Array.isArray(node.value)) throw new Malformed("an ASN.1 structure is not what PKCS#12 prescribes");
    return node.value;
}

function oid(node: forge.asn1.Asn1 | undefined): string {
    if (node?.type !== forge.asn1.Type.OID || node.constructed) throw new Malformed("an object identifier is missing");
    return forge.asn1.derToOid(node.value as string);
}

/** An [0] EXPLICIT wrapper's content (tag number 0, which forge's type table calls NONE). */
function explicit(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1 {
    if (node?.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || node.type !== forge.asn1.Type.NONE)
        throw new Malformed("a [0] field is missing");
    const [content] = children(node);
    if (!content) throw new Malformed("a [0] field is empty");
    return content;
}

/** An OCTET STRING's bytes; BER allows it in pieces (constructed), as Windows writes it. */
function octets(node: forge.asn1.Asn1 | undefined): string {
    if (!node) throw new Malformed("an octet string is missing");
    return node.constructed ? children(node).map(octets).join("") : (node.value as string);
}

/** ContentInfo ::= SEQUENCE { contentType data, content [0] EXPLICIT OCTET STRING }. */
function dataContent(info: forge.asn1.Asn1): string {
    const [type, content] = children(info);
    if (oid(type) !== OIDS["data"]) throw new Malformed("a part is not plain data");
    return octets(explicit(content));
}
