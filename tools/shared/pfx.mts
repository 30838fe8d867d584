/**
 * PKCS#12 (PFX) files that Windows imports into a CSP key container, built with node-forge.
 *
 * Microsoft: "CNG certificates aren't supported" for Connect-ExchangeOnline; the key must live in a
 * CSP provider (https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2). Windows
 * honours the "Microsoft CSP Name" bag attribute (1.3.6.1.4.1.311.17.1) on import, so the key bag
 * names the CSP that can sign with SHA-256. node-forge cannot add that attribute itself: the PFX is
 * built without a MAC, the attribute added, and the MAC computed over the result.
 *
 * node-forge builds RSA keys only; callers refuse other keys first (Entra needs RSA anyway).
 */
import { createPrivateKey } from "node:crypto";
import forge from "node-forge";

export const CSP_NAME = "Microsoft Enhanced RSA and AES Cryptographic Provider";
const CSP_NAME_OID = "1.3.6.1.4.1.311.17.1";
const MAC_ITERATIONS = 2048;

export interface PfxOptions {
    readonly certificatePem: string;
    readonly privateKeyPem: string;
    readonly password: string;
    readonly friendlyName: string;
    /**
     * 3DES and SHA-1, readable by Windows Server 2016 and older. Otherwise AES-256 with PBKDF2-SHA256,
     * which needs Windows 10 1709 / Server 2019 or later.
     */
    readonly legacy?: boolean;
}

/**
 * The password as each PKCS#12 step takes it. The PKCS#12 key derivation (the 3DES key and IV, and the
 * MAC key) takes a BMPString: UTF-16 big-endian with a two-byte zero terminator (RFC 7292 appendix
 * B.1; characters beyond the BMP as surrogate pairs, as OpenSSL does). node-forge's generatePkcs12Key
 * makes that itself from a JavaScript string. PBES2's PBKDF2 (RFC 8018) takes octets, which OpenSSL
 * and Python's cryptography take as the password's UTF-8 (openssl passphrase-encoding(7)); node-forge's
 * pbkdf2 reads a string as one octet per character, so it is handed the UTF-8 octets. Without this, a
 * password such as "pässwörd" opens the AES file in node-forge only.
 */
function pfxPasswordForms(password: string): { readonly bmp: string; readonly pbes2: string } {
    return { bmp: password, pbes2: Buffer.from(password, "utf8").toString("binary") };
}

export function buildPfx(o: PfxOptions): Buffer {
    const { asn1, pki } = forge;
    const type = createPrivateKey(o.privateKeyPem).asymmetricKeyType;
    if (type !== "rsa") throw new Error(`a PFX can be built for an RSA key only (this key is ${type ?? "unknown"})`);
    const key = pki.privateKeyFromPem(o.privateKeyPem);
    const cert = pki.certificateFromPem(o.certificatePem);
    const passwords = pfxPasswordForms(o.password);
    const encryption = o.legacy ? { algorithm: "3des" } : { algorithm: "aes256", prfAlgorithm: "sha256" };
    // With useMac false, toPkcs12Asn1 uses the password for the key bag's encryption only.
    const unsigned = forge.pkcs12.toPkcs12Asn1(key, [cert], o.legacy ? passwords.bmp : passwords.pbes2, {
        ...encryption,
        count: MAC_ITERATIONS,
        friendlyName: o.friendlyName,
        generateLocalKeyId: true,
        useMac: false,
    } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);

    // PFX ::= SEQUENCE { version, authSafe ContentInfo, macData }; authSafe's content holds the
    // AuthenticatedSafe as DER in an OCTET STRING, and the key's SafeContents likewise.
    const authSafeOctets = contentOctets(nodes(unsigned)[1]);
    const authenticatedSafe = asn1.fromDer(authSafeOctets.value as string);
    const keyInfo = nodes(authenticatedSafe).find((ci) => safeContentsHasKey(asn1.fromDer(contentOctets(ci).value as string)));
    if (!keyInfo) throw new Error("node-forge produced a PFX without a key bag");
    const keyOctets = contentOctets(keyInfo);
    const safeContents = asn1.fromDer(keyOctets.value as string);
    const keyBag = nodes(safeContents)[0];
    const attributes = nodes(keyBag)[2];
    const cspAttribute = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(CSP_NAME_OID).getBytes()),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, CSP_NAME)]),
    ]);
    if (attributes) nodes(attributes).push(cspAttribute);
    else nodes(keyBag).push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [cspAttribute]));
    keyOctets.value = asn1.toDer(safeContents).getBytes();
    const safeDer = asn1.toDer(authenticatedSafe).getBytes();
    authSafeOctets.value = safeDer;

    // MacData over the AuthenticatedSafe (RFC 7292 appendix B: key derived with ID 3 from the BMPString).
    const salt = forge.random.getBytesSync(8);
    const macKey = forge.pkcs12.generateKey(passwords.bmp, new forge.util.ByteStringBuffer(salt), 3, MAC_ITERATIONS, 20);
    const hmac = forge.hmac.create();
    hmac.start("sha1", macKey.getBytes());
    hmac.update(safeDer);
    const macData = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
            asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
                asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(pki.oids["sha1"]).getBytes()),
                asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ""),
            ]),
            asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, hmac.digest().getBytes()),
        ]),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, salt),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(MAC_ITERATIONS).getBytes()),
    ]);
    nodes(unsigned).push(macData);
    return Buffer.from(asn1.toDer(unsigned).getBytes(), "binary");
}

function nodes(a: forge.asn1.Asn1): forge.asn1.Asn1[] {
    if (!Array.isArray(a.value)) throw new Error("unexpected PKCS#12 structure");
    return a.value;
}

/** ContentInfo { contentType data, [0] EXPLICIT OCTET STRING } → that OCTET STRING node. */
function contentOctets(contentInfo: forge.asn1.Asn1): forge.asn1.Asn1 {
    const explicit = nodes(contentInfo)[1];
    return nodes(explicit)[0];
}

function safeContentsHasKey(safeContents: forge.asn1.Asn1): boolean {
    const shrouded = forge.asn1.oidToDer(forge.pki.oids["pkcs8ShroudedKeyBag"]).getBytes();
    return nodes(safeContents).some((bag) => nodes(bag)[0]?.value === shrouded);
}
