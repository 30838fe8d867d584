/**
 * The Connect-ExchangeOnline lines the stack hands to its users. Pure string building.
 * Parameters: https://learn.microsoft.com/powershell/module/exchange/connect-exchangeonline
 */

export interface ConnectValues {
    readonly appId: string;
    readonly organization: string;
    readonly thumbprint: string;
}

/** Placeholder the user replaces with the path of the exported PFX file. */
export const PFX_PATH_PLACEHOLDER = "<path-to-certificate.pfx>";

/**
 * Windows: the certificate with its private key sits in the user's certificate store
 * (Cert:\CurrentUser\My), found by thumbprint.
 */
export function connectCommand(v: ConnectValues): string {
    return `Connect-ExchangeOnline -CertificateThumbprint ${quote(v.thumbprint)} -AppId ${quote(v.appId)} -Organization ${quote(v.organization)}`;
}

/**
 * Any OS (PowerShell 7 on Linux/macOS): the certificate and key come from a PFX file whose
 * password is asked for, never written on the command line.
 */
export function connectCommandCrossPlatform(v: Omit<ConnectValues, "thumbprint">, pfxPath: string = PFX_PATH_PLACEHOLDER): string {
    return (
        `Connect-ExchangeOnline -CertificateFilePath ${quote(pfxPath)} ` +
        `-CertificatePassword (Read-Host -AsSecureString -Prompt "PFX password") ` +
        `-AppId ${quote(v.appId)} -Organization ${quote(v.organization)}`
    );
}

/** Any OS with PowerShell 7: certificate and unencrypted key from one PEM file. */
export function connectCommandPemFile(v: Omit<ConnectValues, "thumbprint">, pemPath: string): string {
    return (
        `Connect-ExchangeOnline -Certificate ([System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile(${quote(pemPath)})) ` +
        `-AppId ${quote(v.appId)} -Organization ${quote(v.organization)}`
    );
}

/**
 * A PowerShell single-quoted string literal: nothing inside is expanded. PowerShell ends such a string
 * at any of five quote characters, the ASCII one and the typographic U+2018, U+2019, U+201A and U+201B,
 * and reads each one doubled as itself (about_Quoting_Rules; the tokenizer's SpecialCharacters
 * quoteSingleLeft, quoteSingleRight, quoteSingleBase and quoteReversed), so every one of them is doubled.
 */
export function quote(value: string): string {
    return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, (c) => c + c)}'`;
}
