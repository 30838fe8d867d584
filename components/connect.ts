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

/** PowerShell single-quoted literal: nothing inside is expanded; a ' is doubled. */
function quote(value: string): string {
    return `'${value.replaceAll("'", "''")}'`;
}
