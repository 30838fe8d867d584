/**
 * The Connect-ExchangeOnline lines handed to users.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectCommand, connectCommandCrossPlatform } from "../components/connect.ts";

const values = {
    appId: "11111111-2222-3333-4444-555555555555",
    organization: "contoso.onmicrosoft.com",
    thumbprint: "ABCDEF0123456789ABCDEF0123456789ABCDEF01",
};

describe("Windows connect command", () => {
    it("uses the thumbprint from the certificate store", () => {
        assert.equal(
            connectCommand(values),
            "Connect-ExchangeOnline -CertificateThumbprint 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' " +
                "-AppId '11111111-2222-3333-4444-555555555555' -Organization 'contoso.onmicrosoft.com'",
        );
    });
    it("quotes values so PowerShell cannot expand them", () => {
        assert.match(connectCommand({ ...values, organization: "o'brien.onmicrosoft.com" }), /-Organization 'o''brien\.onmicrosoft\.com'$/);
    });
});

describe("cross-platform connect command", () => {
    const line = connectCommandCrossPlatform(values);
    it("reads the PFX from a file and asks for its password", () => {
        assert.match(
            line,
            /^Connect-ExchangeOnline -CertificateFilePath '<path-to-certificate\.pfx>' -CertificatePassword \(Read-Host -AsSecureString/,
        );
        assert.match(line, /-AppId '11111111-2222-3333-4444-555555555555' -Organization 'contoso\.onmicrosoft\.com'$/);
    });
    it("does not rely on a certificate store", () => assert.ok(!line.includes("-CertificateThumbprint")));
});

describe("PowerShell quoting", () => {
    // PowerShell closes a single-quoted string at ', ‘ (U+2018), ’ (U+2019), ‚ (U+201A) and ‛ (U+201B),
    // and reads each doubled as a literal one (about_Quoting_Rules).
    for (const q of ["'", "\u2018", "\u2019", "\u201a", "\u201b"]) {
        it(`doubles U+${q.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} so it cannot end the string`, () => {
            const line = connectCommandCrossPlatform(values, `C:\\certs\\o${q}; Remove-Item C:\\ -Recurse #.pfx`);
            assert.ok(line.includes(`-CertificateFilePath 'C:\\certs\\o${q}${q}; Remove-Item C:\\ -Recurse #.pfx' `), line);
        });
    }
    it("leaves other characters, including $ and backticks, as they are: a single-quoted string expands nothing", () => {
        assert.match(connectCommandCrossPlatform(values, "C:\\$env:TEMP\\`n.pfx"), /-CertificateFilePath 'C:\\\$env:TEMP\\`n\.pfx' /);
    });
});
