/**
 * Certificate facts against openssl, the independent oracle.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspectCertificate, pemBlocks, rfc3339 } from "../components/certificate.ts";
import { openssl, opensslCertificate, opensslNotAfter, opensslThumbprint } from "./support/harness.mts";

describe("thumbprint", () => {
    const made = opensslCertificate({ days: 10, cn: "thumbprint test" });

    it("equals openssl's SHA-1 fingerprint: 40 upper-case hex digits, no colons", () => {
        const facts = inspectCertificate(made.certPem);
        assert.match(facts.thumbprint, /^[0-9A-F]{40}$/);
        assert.equal(facts.thumbprint, opensslThumbprint(made.certPem));
    });
    it("is the SHA-1 of the DER bytes, whatever the PEM line endings", () => {
        const crlf = made.certPem.replaceAll("\n", "\r\n");
        assert.equal(inspectCertificate(crlf).thumbprint, opensslThumbprint(made.certPem));
    });
});

describe("validity dates", () => {
    const made = opensslCertificate({ days: 400 });
    it("NotAfter equals openssl's, in RFC 3339 without fractions", () => {
        const facts = inspectCertificate(made.certPem);
        assert.match(facts.notAfter, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(Date.parse(facts.notAfter), opensslNotAfter(made.certPem).getTime());
    });
    it("formats dates the way Graph takes them", () => {
        assert.equal(rfc3339(new Date("2028-02-29T23:59:59.999Z")), "2028-02-29T23:59:59Z");
    });
});

describe("key details", () => {
    for (const bits of [2048, 3072]) {
        it(`reads a ${bits}-bit RSA key as openssl does`, () => {
            const made = opensslCertificate({ bits, days: 1 });
            assert.equal(inspectCertificate(made.certPem).rsaBits, bits);
            assert.match(openssl(["x509", "-noout", "-text"], made.certPem), new RegExp(`Public-Key: \\(${bits} bit\\)`));
        });
    }
    it("reports an EC key as such", () => {
        const made = opensslCertificate({ bits: "ec", days: 1 });
        const facts = inspectCertificate(made.certPem);
        assert.equal(facts.keyType, "ec");
        assert.equal(facts.rsaBits, undefined);
    });
});

describe("PEM inspection", () => {
    const made = opensslCertificate({ days: 1 });
    it("lists block labels", () => {
        assert.deepEqual(
            pemBlocks(made.keyPem + made.certPem).map((b) => b.label),
            ["PRIVATE KEY", "CERTIFICATE"],
        );
    });
    it("refuses garbage without echoing it", () => {
        assert.throws(
            () => inspectCertificate("secret-looking-garbage"),
            (e: Error) => !e.message.includes("secret-looking-garbage"),
        );
    });
});
