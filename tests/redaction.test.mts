/**
 * components/redaction.ts: what may be printed. Keys, PFX files and certificates come from openssl; the
 * characters that must be escaped are named by their code points.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
    REDACTED_KEY,
    REDACTED_TOKEN,
    containsPrivateKey,
    hasControlCharacters,
    printable,
    printableJson,
    printableLine,
    redactSecrets,
    show,
} from "../components/redaction.ts";
import { openssl, opensslCertificate, tempDir } from "./support/harness.mts";

const made = opensslCertificate({ days: 1, cn: "redaction test" });
/** The base64 body of a PEM block, wrapped at 64 as openssl writes it. */
const body = (pem: string) =>
    pem
        .split("\n")
        .filter((l) => l !== "" && !l.startsWith("-----"))
        .join("\n");
const dir = tempDir("redaction-");
const keyFile = path.join(dir, "key.pem");
const certFile = path.join(dir, "cert.pem");
fs.writeFileSync(keyFile, made.keyPem);
fs.writeFileSync(certFile, made.certPem);
const pkcs1 = openssl(["rsa", "-in", keyFile, "-traditional"]);
const pfxFile = path.join(dir, "c.pfx");
openssl(["pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-out", pfxFile, "-passout", "pass:x"]);
const pfxBase64 = fs.readFileSync(pfxFile).toString("base64");

describe("private keys", () => {
    it("are found in any PEM flavour and case", () => {
        assert.ok(containsPrivateKey(made.keyPem));
        assert.ok(containsPrivateKey(pkcs1));
        assert.ok(containsPrivateKey("-----begin encrypted private key-----\nAA==\n-----end encrypted private key-----"));
        assert.ok(!containsPrivateKey(made.certPem));
    });
    it("are redacted as PEM blocks, also when truncated", () => {
        assert.equal(redactSecrets(`a ${made.keyPem} b`), `a ${REDACTED_KEY}\n b`);
        assert.equal(redactSecrets(`a ${pkcs1.slice(0, 200)}`), `a ${REDACTED_KEY}`);
    });
    for (const [name, base64] of [
        ["a PKCS#8 key as bare base64, wrapped", () => body(made.keyPem)],
        ["a PKCS#8 key as bare base64 on one line", () => body(made.keyPem).replaceAll("\n", "")],
        ["a PKCS#1 key as bare base64", () => body(pkcs1).replaceAll("\n", "")],
        ["a PFX as bare base64 (as a key vault returns a certificate)", () => pfxBase64],
    ] as const) {
        it(`are redacted as ${name}`, () => {
            const text = `certificatePem: ${base64()} (end)`;
            assert.equal(redactSecrets(text), `certificatePem: ${REDACTED_KEY} (end)`);
            assert.equal(printable(text), `certificatePem: ${REDACTED_KEY} (end)`);
        });
    }
    it("are redacted whole when their base64 happens to hold what looks like a token's segment", () => {
        // One DER structure (a SEQUENCE around an OCTET STRING), not a certificate, whose base64 has "eyJ…" inside:
        // 8 bytes of headers and one filler byte put the JSON on a 3-byte boundary, where it encodes as "eyJ".
        const inner = Buffer.concat([
            Buffer.from([0]),
            Buffer.from('{"alg":"RS256","typ":"JWT","kid":"0123456789abcdef"}'),
            Buffer.alloc(64, 7),
        ]);
        const octets = Buffer.concat([Buffer.from([0x04, 0x82, inner.length >> 8, inner.length & 0xff]), inner]);
        const der = Buffer.concat([Buffer.from([0x30, 0x82, octets.length >> 8, octets.length & 0xff]), octets]);
        const base64 = der.toString("base64");
        assert.match(base64, /eyJ[A-Za-z0-9_-]{16,}/, "the test's premise");
        assert.equal(redactSecrets(`key: ${base64} (end)`), `key: ${REDACTED_KEY} (end)`);
    });
    it("leave a certificate's body and base64 that is no DER structure alone", () => {
        const certificate = body(made.certPem);
        assert.equal(redactSecrets(certificate), certificate);
        assert.equal(redactSecrets(made.certPem), made.certPem);
        const notDer = Buffer.from("x".repeat(90)).toString("base64");
        assert.equal(redactSecrets(notDer), notDer);
    });
});

describe("tokens", () => {
    const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", x5t: "abc" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ aud: "https://login.microsoftonline.com/t/oauth2/v2.0/token" })).toString("base64url");
    it("are redacted whole", () => assert.equal(redactSecrets(`token=${header}.${payload}.c2ln`), `token=${REDACTED_TOKEN}`));
    it("are redacted when a server echoes one segment alone", () => {
        assert.equal(redactSecrets(`payload=${payload}`), `payload=${REDACTED_TOKEN}`);
        assert.equal(redactSecrets(`header was ${header}!`), `header was ${REDACTED_TOKEN}!`);
    });
});

describe("characters that control a terminal or hide in text", () => {
    const escaped: [string, number][] = [
        ["escape", 0x1b],
        ["carriage return", 0x0d],
        ["delete", 0x7f],
        ["C1 control", 0x9b],
        ["soft hyphen", 0xad],
        ["zero-width space", 0x200b],
        ["right-to-left override", 0x202e],
        ["line separator", 0x2028],
        ["paragraph separator", 0x2029],
        ["word joiner", 0x2060],
        ["first strong isolate", 0x2068],
        ["byte order mark", 0xfeff],
        ["tag letter a", 0xe0061],
    ];
    for (const [name, code] of escaped) {
        it(`escape the ${name} (U+${code.toString(16).toUpperCase()})`, () => {
            const text = `contoso${String.fromCodePoint(code)}.onmicrosoft.com`;
            assert.equal(printable(text), `contoso\\u{${code.toString(16)}}.onmicrosoft.com`);
            assert.ok(hasControlCharacters(text));
        });
    }
    it("keep newline and tab in printable text, but count them as control characters in a value", () => {
        assert.equal(printable("a\n\tb"), "a\n\tb");
        assert.ok(hasControlCharacters("a\nb"));
    });
    it("include the blank letters that pass for a space or for nothing: the Hangul fillers and the blank Braille pattern", () => {
        // U+115F, U+1160, U+3164, U+FFA0 (Hangul fillers) and U+2800 render as blank (Unicode's Default_Ignorable and Braille charts).
        assert.equal(printable("contoso\u3164.onmicrosoft.com"), "contoso\\u{3164}.onmicrosoft.com");
        for (const c of ["\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"]) {
            assert.equal(printable(`a${c}b`), `a\\u{${c.codePointAt(0)!.toString(16)}}b`);
            assert.ok(hasControlCharacters(c));
        }
    });
    it("include every character Unicode calls invisible by default, wherever it sits", () => {
        // Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt): combining grapheme joiner, Khmer
        // inherent vowels, Mongolian free variation selectors, an unassigned one, deprecated format controls,
        // variation selectors, unassigned specials, shorthand format controls, musical symbol formatting, and
        // variation selectors supplement.
        for (const c of ["\u034f", "\u17b4", "\u180b", "\u2065", "\u206a", "\ufe00", "\ufff0", "\u{1bca0}", "\u{1d173}", "\u{e0100}"]) {
            assert.equal(
                printable(`Repor${c}ting`),
                `Repor\\u{${c.codePointAt(0)!.toString(16)}}ting`,
                `U+${c.codePointAt(0)!.toString(16)}`,
            );
            assert.ok(hasControlCharacters(c));
        }
    });
    it("keep the emoji presentation selector an emoji needs", () => {
        assert.equal(printable("\u2764\ufe0f Reports"), "\u2764\ufe0f Reports");
    });
    it("keep the zero-width joiner and non-joiner that scripts and emoji need", () => {
        const persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645";
        const family = "\u{1f468}\u200d\u{1f469}\u200d\u{1f467}";
        for (const text of [persian, family, "Zürich 交换"]) {
            assert.equal(printable(text), text);
            assert.ok(!hasControlCharacters(text));
        }
    });
});

describe("redaction's cost", () => {
    it("grows with the text, not with its square: a long run of token-like text is no denial of service", () => {
        // Ratios measured in one run, never seconds: ten times the text may take at most thirty times as long.
        const time = (text: string) => {
            const started = process.hrtime.bigint();
            printable(text);
            return Number(process.hrtime.bigint() - started);
        };
        // Sizes where a run takes milliseconds (a run of 60 KB took a third of one, and a collection during the
        // large one then read as 30 times), the fastest of three; linear is 10 times, quadratic 100.
        const fastest = (text: string) => Math.min(time(text), time(text), time(text));
        for (const unit of ["eyJ", "eyJA.", "A"]) {
            time(unit.repeat(200000)); // warm up
            const small = fastest(unit.repeat(200000));
            const large = fastest(unit.repeat(2000000));
            assert.ok(large < small * 30, `${unit}: ${large} ns for ten times the text of ${small} ns`);
        }
    });
});

describe("printableJson", () => {
    const value = { name: "old\u202e\u2028x\u{e0041}", n: 1, nested: ["\u001b[2J"] };
    it("is the same JSON value to a parser", () => assert.deepEqual(JSON.parse(printableJson(value, 2)), value));
    it("writes every control or invisible character as a \\u escape", () => {
        const json = printableJson(value);
        assert.equal(json, '{"name":"old\\u202e\\u2028x\\udb40\\udc41","n":1,"nested":["\\u001b[2J"]}');
        assert.ok(!hasControlCharacters(json));
    });
    it("redacts secrets inside strings", () => {
        const json = printableJson({ certificatePem: made.keyPem });
        assert.ok(!json.includes(body(made.keyPem).split("\n")[1]));
        assert.match(json, /private key redacted/);
    });
});

describe("printableLine", () => {
    it("escapes line breaks and tabs too, so a value cannot start a line of its own", () =>
        assert.equal(printableLine("old\n  forged row\tok\u001b"), "old\\u{a}  forged row\\u{9}ok\\u{1b}"));
    it("shortens to at most max characters without cutting a character in two", () => {
        const text = "\u{1f511}".repeat(100);
        const line = printableLine(text, 10);
        assert.equal(line, `${"\u{1f511}".repeat(7)}...`);
        assert.equal(Array.from(line).length, 10);
        assert.equal(printableLine("short", 10), "short");
    });
});

describe("show", () => {
    it("quotes a value shortened to 80 characters, secrets redacted", () => {
        assert.equal(show("x".repeat(500)), `"${"x".repeat(76)}...`);
        assert.equal(show(pfxBase64), `"${REDACTED_KEY}"`);
    });
});
