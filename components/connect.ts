/**
 * The Connect-ExchangeOnline and Connect-IPPSSession lines the stack hands to its users. Pure string
 * building. Parameters: https://learn.microsoft.com/powershell/module/exchangepowershell/connect-exchangeonline
 * and …/connect-ippssession. Outside the worldwide cloud every line names the cloud: Connect-ExchangeOnline
 * with -ExchangeEnvironmentName, Connect-IPPSSession with -ConnectionUri and -AzureADAuthorizationEndpointUri.
 */
import { CLOUDS, type CloudName } from "./clouds.ts";

export interface ConnectValues {
    readonly appId: string;
    readonly organization: string;
    readonly thumbprint: string;
    /** @default "global" */
    readonly cloud?: CloudName | undefined;
}

/** Placeholder the user replaces with the path of the exported PFX file. */
export const PFX_PATH_PLACEHOLDER = "<path-to-certificate.pfx>";

/** Where a runner's script puts the access token it got (GitHub Actions, Azure DevOps recipes in the README). */
export const ACCESS_TOKEN_VARIABLE = "$accessToken";

/**
 * Windows: the certificate with its private key sits in the user's certificate store
 * (Cert:\CurrentUser\My), found by thumbprint.
 */
export function connectCommand(v: ConnectValues): string {
    return `Connect-ExchangeOnline -CertificateThumbprint ${quote(v.thumbprint)} -AppId ${quote(v.appId)} -Organization ${quote(v.organization)}${exchangeEnvironment(v.cloud)}`;
}

/**
 * Any OS (PowerShell 7 on Linux/macOS): the certificate and key come from a PFX file whose
 * password is asked for, never written on the command line.
 */
export function connectCommandCrossPlatform(v: Omit<ConnectValues, "thumbprint">, pfxPath: string = PFX_PATH_PLACEHOLDER): string {
    return `Connect-ExchangeOnline ${fromPfxFile(pfxPath)} -AppId ${quote(v.appId)} -Organization ${quote(v.organization)}${exchangeEnvironment(v.cloud)}`;
}

/** Any OS with PowerShell 7: certificate and unencrypted key from one PEM file. */
export function connectCommandPemFile(v: Omit<ConnectValues, "thumbprint">, pemPath: string): string {
    return `Connect-ExchangeOnline ${fromPemFile(pemPath)} -AppId ${quote(v.appId)} -Organization ${quote(v.organization)}${exchangeEnvironment(v.cloud)}`;
}

/**
 * A managed identity on an Azure resource (Automation, Functions, VMs): no application, no key. A
 * user-assigned identity is named by its client id (-ManagedIdentityAccountId).
 */
export function connectCommandManagedIdentity(v: {
    organization: string;
    clientId?: string | undefined;
    cloud?: CloudName | undefined;
}): string {
    const account = v.clientId === undefined ? "" : ` -ManagedIdentityAccountId ${quote(v.clientId)}`;
    return `Connect-ExchangeOnline -ManagedIdentity -Organization ${quote(v.organization)}${account}${exchangeEnvironment(v.cloud)}`;
}

/**
 * A token the runner obtained itself (a federated credential: GitHub Actions, Azure DevOps), for
 * Exchange Online's resource. Module 3.1.0 or later. A token lives about an hour.
 */
export function connectCommandAccessToken(v: { organization: string; cloud?: CloudName | undefined }): string {
    return `Connect-ExchangeOnline -AccessToken ${ACCESS_TOKEN_VARIABLE} -Organization ${quote(v.organization)}${exchangeEnvironment(v.cloud)}`;
}

/**
 * Security & Compliance PowerShell with the certificate (module 3.0.0 or later), Windows only. Connect-IPPSSession
 * takes the certificate the way Connect-ExchangeOnline does: -CertificateThumbprint (Windows), -CertificateFilePath
 * with -CertificatePassword, or -Certificate.
 */
export function connectIppsCommand(v: ConnectValues): string {
    return `Connect-IPPSSession -CertificateThumbprint ${quote(v.thumbprint)} -AppId ${quote(v.appId)} -Organization ${quote(v.organization)}${complianceEndpoints(v.cloud)}`;
}

/**
 * Security & Compliance PowerShell with PowerShell 7 on Windows, the certificate and key from one PEM file.
 * Connect-IPPSSession is not available in PowerShell 7 on Linux or macOS (components/runners.ts): there is
 * no cross-platform form.
 */
export function connectIppsCommandPemFile(v: Omit<ConnectValues, "thumbprint">, pemPath: string): string {
    return `Connect-IPPSSession ${fromPemFile(pemPath)} -AppId ${quote(v.appId)} -Organization ${quote(v.organization)}${complianceEndpoints(v.cloud)}`;
}

/**
 * Security & Compliance PowerShell with a token the runner obtained for the Security & Compliance
 * resource (not Exchange Online's): module 3.8.0 or later.
 */
export function connectIppsCommandAccessToken(v: { organization: string; cloud?: CloudName | undefined }): string {
    return `Connect-IPPSSession -AccessToken ${ACCESS_TOKEN_VARIABLE} -Organization ${quote(v.organization)}${complianceEndpoints(v.cloud)}`;
}

/** The certificate from a PFX file whose password is asked for, never written on the command line. */
function fromPfxFile(pfxPath: string): string {
    return `-CertificateFilePath ${quote(pfxPath)} -CertificatePassword (Read-Host -AsSecureString -Prompt "PFX password")`;
}

/** The certificate and its unencrypted key from one PEM file (PowerShell 7's X509Certificate2.CreateFromPemFile). */
function fromPemFile(pemPath: string): string {
    return `-Certificate ([System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile(${quote(pemPath)}))`;
}

/** What every Connect-ExchangeOnline line of the cloud adds: " -ExchangeEnvironmentName …", or nothing worldwide. */
export function exchangeEnvironment(cloud: CloudName | undefined): string {
    const c = CLOUDS[cloud ?? "global"];
    return c.name === "global" ? "" : ` -ExchangeEnvironmentName ${c.exchangeEnvironmentName}`;
}

/** What every Connect-IPPSSession line of the cloud adds: its -ConnectionUri and -AzureADAuthorizationEndpointUri, or nothing worldwide. */
export function complianceEndpoints(cloud: CloudName | undefined): string {
    const c = CLOUDS[cloud ?? "global"].compliance;
    return c === undefined
        ? ""
        : ` -ConnectionUri ${quote(c.connectionUri)} -AzureADAuthorizationEndpointUri ${quote(c.authorizationEndpointUri)}`;
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

/** The operating systems a runner has (components/runners.ts). */
export type Os = "windows" | "linux" | "macos";

/**
 * Security & Compliance PowerShell: "Currently, Connect-IPPSSession and therefore Security & Compliance
 * PowerShell isn't available in PowerShell 7 on [Linux | macOS] clients" (https://learn.microsoft.com/powershell/exchange/exchange-online-powershell-v2, both OS sections).
 */
export function securityAndCompliance(os: Os): boolean {
    return os === "windows";
}

/** The operating systems where Connect-IPPSSession works, and those where it does not. */
const OS_NAMES: Readonly<Record<Os, string>> = { windows: "Windows", linux: "Linux", macos: "macOS" };

function osList(oses: readonly Os[], conjunction: "and" | "or"): string {
    const names = oses.map((os) => OS_NAMES[os]);
    return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} ${conjunction} ${names[names.length - 1]}`;
}

const ALL_OS: readonly Os[] = ["windows", "linux", "macos"];

/**
 * The caveat every Connect-IPPSSession line carries, from the hosts where Security & Compliance PowerShell
 * works: "Windows only: Connect-IPPSSession is not available in PowerShell 7 on Linux or macOS".
 */
export const COMPLIANCE_CAVEAT = `${osList(ALL_OS.filter(securityAndCompliance), "and")} only: Connect-IPPSSession is not available in PowerShell 7 on ${osList(
    ALL_OS.filter((os) => !securityAndCompliance(os)),
    "or",
)}`;

/** A PowerShell line with a caveat as a trailing comment: pasted into a script, the caveat comes along and changes nothing. */
export function withCaveat(line: string, caveat: string): string {
    return `${line}  # ${caveat}`;
}

/**
 * The page where an administrator of `tenantId` consents to a multitenant application's Exchange.ManageAsApp,
 * in the form of Microsoft's app-only guide (step 4b, worldwide; other clouds with their own sign-in host
 * and Exchange resource): https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2
 */
export function adminConsentUrl(v: { readonly cloud: CloudName; readonly tenantId: string; readonly appId: string }): string {
    const c = CLOUDS[v.cloud];
    return `${c.authorityHost}/${v.tenantId}/adminconsent?client_id=${v.appId}&scope=${c.exchangeResource}/.default`;
}
