/**
 * Where a script that uses the stack runs, declared once: each host the README names, the PowerShell it
 * runs, the ExchangeOnlineManagement version to pin there, how a certificate can be given, whether
 * Exchange Online and Security & Compliance PowerShell work, and which sign-in modes apply. Each row
 * carries its source. The README's and docs/runners.md's tables are rendered from it (npm run docs), the
 * recipes in README.md and docs/ are tested against it. Where Security & Compliance PowerShell works (and
 * the caveat the stack's Connect-IPPSSession lines carry) is connect.ts's, so that a stack does not load this
 * table. Pure: no Pulumi runtime.
 */
import type { Os } from "./connect.ts";

export type { Os };

/** A PowerShell a host runs: Windows PowerShell 5.1, or PowerShell 7.x by minor version. */
export type PowerShell = "5.1" | "7.2" | "7.4" | "7.6";
/** How a runner signs in: the stack's managed identities, federated credentials or certificates. */
export type SignIn = "managedIdentity" | "federated" | "certificate";
/**
 * How Connect-ExchangeOnline / Connect-IPPSSession get the certificate: -CertificateThumbprint (the Windows
 * certificate store), -CertificateFilePath with -CertificatePassword, or -Certificate (an X509Certificate2).
 */
export type CertificateForm = "thumbprint" | "file" | "object";

/** Microsoft's page on the module: its supported operating systems and PowerShell versions, and its release notes. */
export const MODULE_PAGE = "https://learn.microsoft.com/powershell/exchange/exchange-online-powershell-v2";

/** An ExchangeOnlineManagement release a host may be pinned to, the line it ends, and what the line needs. */
export interface ModuleRelease {
    readonly version: string;
    /** When Microsoft released it. */
    readonly released: string;
    /** The first release of its line (the releases with the same needs), and when that came out. */
    readonly lineFrom: string;
    readonly lineFromReleased: string;
    /** The oldest PowerShell 7 it runs on, and the .NET behind that. */
    readonly powershell7: PowerShell;
    readonly dotnet: string;
    /** Whether it runs on Windows PowerShell 5.1 ("All versions of the module are supported ... in Windows PowerShell 5.1"). */
    readonly windowsPowerShell: boolean;
}

/**
 * The newest release of each PowerShell 7 line, newest first. "Module versions 3.10.0 (June 2026) or later
 * require PowerShell 7.6.0 (March 2026) or later due to .NET 10.0 assembly dependencies"; "3.5.0 (May 2024)
 * to 3.9.2 (January 2026) require PowerShell 7.4.0"; "3.0.0 (September 2022) to 3.4.0 (October 2023)
 * require PowerShell 7.2.0"; 3.10.0: "Windows PowerShell 5.1 isn't affected". 3.10.1 is the current
 * release (release notes, July 2026). MODULE_PAGE, office-docs-powershell commit 93336da2 (2026-08-21).
 */
export const MODULE_RELEASES: readonly ModuleRelease[] = [
    {
        version: "3.10.1",
        released: "July 2026",
        lineFrom: "3.10.0",
        lineFromReleased: "June 2026",
        powershell7: "7.6",
        dotnet: "10",
        windowsPowerShell: true,
    },
    {
        version: "3.9.2",
        released: "January 2026",
        lineFrom: "3.5.0",
        lineFromReleased: "May 2024",
        powershell7: "7.4",
        dotnet: "8",
        windowsPowerShell: true,
    },
    {
        version: "3.4.0",
        released: "October 2023",
        lineFrom: "3.0.0",
        lineFromReleased: "September 2022",
        powershell7: "7.2",
        dotnet: "6",
        windowsPowerShell: true,
    },
];

/**
 * The first module version with each feature a connect line of this project uses (MODULE_PAGE release
 * notes; Connect-ExchangeOnline and Connect-IPPSSession references).
 */
export const MODULE_FEATURES = {
    /** Managed identities: "the Exchange Online PowerShell V3 module" (connect-exo-powershell-managed-identity). */
    managedIdentity: "3.0.0",
    /** Connect-IPPSSession with a certificate (app-only-auth-powershell-v2: "Version 3.0.0 or later"). */
    complianceCertificate: "3.0.0",
    /** Connect-ExchangeOnline -AccessToken. */
    accessToken: "3.1.0",
    /** Connect-IPPSSession -AccessToken. */
    complianceAccessToken: "3.8.0",
} as const;

export type Feature = keyof typeof MODULE_FEATURES;

/** Where a runner runs, as the README names it. */
export type HostKind = "automation" | "functions" | "github" | "azure-devops" | "windows-server" | "linux" | "macos";

export interface Runner {
    /** Stable key, e.g. "automation-7.4". */
    readonly id: string;
    readonly kind: HostKind;
    /** The host, as the README names it. */
    readonly host: string;
    /** Which of that host's PowerShells (runtime, plan, shell). */
    readonly variant: string;
    readonly os: Os;
    readonly powershell: PowerShell;
    /** The sign-in modes that apply there, the recommended one first. */
    readonly signIn: readonly SignIn[];
    /** How a certificate can be given there; empty where no certificate is used. */
    readonly certificate: readonly CertificateForm[];
    /** `runs-on` (GitHub Actions) or `pool.vmImage` (Azure Pipelines) labels that select this image. */
    readonly labels?: readonly string[];
    /** What else to know there. */
    readonly note?: string;
    /** Where the row's facts come from; what could not be confirmed says so. */
    readonly source: string;
}

const AUTOMATION_RUNTIMES =
    "https://learn.microsoft.com/azure/automation/runtime-environment-overview (runtime versions 5.1, 7.2, 7.4) and " +
    "https://learn.microsoft.com/azure/automation/automation-runbook-types (its known issues: ExchangeOnlineManagement 3.0.0 or later needs " +
    "PowerShellGet and PackageManagement imported too; sandbox paths such as C:\\modules are Windows paths)";
const FUNCTIONS_LANGUAGES =
    "https://learn.microsoft.com/azure/azure-functions/supported-languages (PowerShell 7.4 GA on every plan) and " +
    "https://learn.microsoft.com/azure/azure-functions/functions-versions (the Linux Consumption plan gets no new language versions)";
const RUNNER_IMAGES = "https://github.com/actions/runner-images (images for GitHub Actions and Azure Pipelines alike";
const UBUNTU_IMAGE = `${RUNNER_IMAGES}; images/ubuntu/Ubuntu2404-Readme.md, image 20260816.277.1: PowerShell 7.6.5; toolset pwsh 7.6)`;
const WINDOWS_IMAGE = `${RUNNER_IMAGES}; images/windows/Windows2025-Readme.md, image 20260818.232.1: PowerShell 7.6.5, PowerShellGet 2.2.5; toolset pwsh 7.6)`;
const MODULE_OS = `${MODULE_PAGE} (Supported operating systems`;

/** An Azure Automation runbook on one runtime: the managed identity, or a certificate as an object. */
function automation(powershell: PowerShell, variant: string, note: string): Runner {
    return {
        id: `automation-${powershell}`,
        kind: "automation",
        host: "Azure Automation runbook",
        variant,
        os: "windows",
        powershell,
        signIn: ["managedIdentity", "certificate"],
        certificate: ["object"],
        note,
        source: AUTOMATION_RUNTIMES,
    };
}

/** An Azure Functions app on one OS, PowerShell 7.4; `unconfirmed` names how a certificate would get there. */
function functions(os: "windows" | "linux", variant: string, certificate: readonly CertificateForm[], unconfirmed: string): Runner {
    return {
        id: `functions-${os}`,
        kind: "functions",
        host: "Azure Functions",
        variant,
        os,
        powershell: "7.4",
        signIn: ["managedIdentity", "certificate"],
        certificate,
        note: `Pin the exact version in requirements.psd1. ${unconfirmed} is not confirmed by a source read here; the managed identity needs none.`,
        source: FUNCTIONS_LANGUAGES,
    };
}

/** A Microsoft-hosted runner of GitHub Actions or Azure Pipelines (one image for both): federated credentials only. */
function hosted(kind: "github" | "azure-devops", os: "linux" | "windows"): Runner {
    const label = os === "linux" ? "ubuntu-latest" : "windows-latest";
    const github = kind === "github";
    return {
        id: `${kind}-${os === "linux" ? "ubuntu" : "windows"}`,
        kind,
        host: github ? "GitHub Actions, GitHub-hosted runner" : "Azure Pipelines, Microsoft-hosted agent",
        variant: github
            ? `\`${label}\` (${os === "linux" ? "Ubuntu 24.04" : "Windows Server 2025"}), \`shell: pwsh\``
            : `\`vmImage: ${label}\`, \`scriptType: pscore\``,
        os,
        powershell: "7.6",
        signIn: ["federated"],
        certificate: [],
        labels: os === "linux" ? ["ubuntu-latest", "ubuntu-24.04"] : ["windows-latest", "windows-2025"],
        source: os === "linux" ? UBUNTU_IMAGE : WINDOWS_IMAGE,
    };
}

/** A server that runs scripts on a schedule: a certificate, or a managed identity when the server is an Azure VM. */
function server(kind: "windows-server" | "linux", powershell: PowerShell, variant: string, note = ""): Runner {
    const windows = kind === "windows-server";
    return {
        id: `${kind}-${powershell}`,
        kind,
        host: windows ? "Windows server, scheduled task" : "Linux server, cron",
        variant,
        os: windows ? "windows" : "linux",
        powershell,
        signIn: ["certificate", "managedIdentity"],
        certificate: windows ? ["thumbprint", "file", "object"] : ["file", "object"],
        note: `${note}A managed identity only on an Azure VM.`,
        source: `${MODULE_OS}: ${windows ? "Windows Server 2016 to 2025" : "Linux"})`,
    };
}

/** A Mac: a certificate from a file or an object (-CertificateThumbprint is Windows only). */
function macos(powershell: PowerShell, variant: string): Runner {
    return {
        id: `macos-${powershell}`,
        kind: "macos",
        host: "macOS",
        variant,
        os: "macos",
        powershell,
        signIn: ["certificate"],
        certificate: ["file", "object"],
        source: `${MODULE_OS}: macOS)`,
    };
}

/**
 * The hosts. Managed identities work on Azure Automation, Azure Functions and Azure VMs (Connect-ExchangeOnline
 * -ManagedIdentity reference); a server below that is an Azure VM can use one too.
 */
export const RUNNERS: readonly Runner[] = [
    automation(
        "7.4",
        "PowerShell 7.4 runtime environment",
        "Import ExchangeOnlineManagement, PowerShellGet and PackageManagement into the runtime environment. A 7.6 runtime could not be confirmed.",
    ),
    automation("7.2", "PowerShell 7.2 runtime", "PowerShell 7.2 is out of support: move the runbook to a 7.4 runtime environment."),
    automation("5.1", "PowerShell 5.1 runtime", "Import PowerShellGet and PackageManagement beside the module."),
    functions(
        "windows",
        "Windows (Consumption, Premium, Dedicated), PowerShell 7.4",
        ["thumbprint", "object"],
        "PowerShell 7.6 on Functions could not be confirmed. A certificate in the store through App Service's WEBSITE_LOAD_CERTIFICATES",
    ),
    functions(
        "linux",
        "Linux (Flex Consumption, Consumption, Premium, Dedicated), PowerShell 7.4",
        ["file", "object"],
        "The Linux Consumption plan gets no PowerShell 7.6. A certificate as a file (App Service's /var/ssl/private)",
    ),
    hosted("github", "linux"),
    hosted("github", "windows"),
    hosted("azure-devops", "linux"),
    hosted("azure-devops", "windows"),
    server("windows-server", "7.6", "PowerShell 7.6 (`pwsh.exe`)"),
    server("windows-server", "7.4", "PowerShell 7.4 (`pwsh.exe`)"),
    server(
        "windows-server",
        "5.1",
        "Windows PowerShell 5.1 (`powershell.exe`)",
        "Needs .NET Framework 4.7.2 (included from Windows Server 2019). ",
    ),
    server("linux", "7.6", "PowerShell 7.6 (Ubuntu 22.04 or 24.04)"),
    server("linux", "7.4", "PowerShell 7.4"),
    macos("7.6", "PowerShell 7.6 (macOS 14 Sonoma or later)"),
    macos("7.4", "PowerShell 7.4 or 7.5"),
];

/** Orders "3.9.2" before "3.10.1". */
export function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

/** Whether `release` runs on `powershell`. */
export function runsOn(release: ModuleRelease, powershell: PowerShell): boolean {
    return powershell === "5.1" ? release.windowsPowerShell : compareVersions(powershell, release.powershell7) >= 0;
}

/** The exact module version to pin on a PowerShell: the newest release that runs there. */
export function modulePin(powershell: PowerShell): string {
    const release = MODULE_RELEASES.find((r) => runsOn(r, powershell));
    if (release === undefined) throw new Error(`no ExchangeOnlineManagement release in the table runs on PowerShell ${powershell}`);
    return release.version;
}

/** Whether a module version has a feature. */
export function hasFeature(version: string, feature: Feature): boolean {
    return compareVersions(version, MODULE_FEATURES[feature]) >= 0;
}

/** The runner whose `runs-on` (GitHub) or `vmImage` (Azure Pipelines) label this is, if the table has it. */
export function runnerForLabel(kind: "github" | "azure-devops", label: string): Runner | undefined {
    return RUNNERS.find((r) => r.kind === kind && (r.labels ?? []).includes(label));
}
