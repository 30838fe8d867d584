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

/**
 * The hosts. Managed identities work on Azure Automation, Azure Functions and Azure VMs (Connect-ExchangeOnline
 * -ManagedIdentity reference); a server below that is an Azure VM can use one too.
 */
export const RUNNERS: readonly Runner[] = [
    {
        id: "automation-7.4",
        kind: "automation",
        host: "Azure Automation runbook",
        variant: "PowerShell 7.4 runtime environment",
        os: "windows",
        powershell: "7.4",
        signIn: ["managedIdentity", "certificate"],
        certificate: ["object"],
        note: "Import ExchangeOnlineManagement, PowerShellGet and PackageManagement into the runtime environment. A 7.6 runtime could not be confirmed.",
        source: AUTOMATION_RUNTIMES,
    },
    {
        id: "automation-7.2",
        kind: "automation",
        host: "Azure Automation runbook",
        variant: "PowerShell 7.2 runtime",
        os: "windows",
        powershell: "7.2",
        signIn: ["managedIdentity", "certificate"],
        certificate: ["object"],
        note: "PowerShell 7.2 is out of support: move the runbook to a 7.4 runtime environment.",
        source: AUTOMATION_RUNTIMES,
    },
    {
        id: "automation-5.1",
        kind: "automation",
        host: "Azure Automation runbook",
        variant: "PowerShell 5.1 runtime",
        os: "windows",
        powershell: "5.1",
        signIn: ["managedIdentity", "certificate"],
        certificate: ["object"],
        note: "Import PowerShellGet and PackageManagement beside the module.",
        source: AUTOMATION_RUNTIMES,
    },
    {
        id: "functions-windows",
        kind: "functions",
        host: "Azure Functions",
        variant: "Windows (Consumption, Premium, Dedicated), PowerShell 7.4",
        os: "windows",
        powershell: "7.4",
        signIn: ["managedIdentity", "certificate"],
        certificate: ["thumbprint", "object"],
        note:
            "Pin the exact version in requirements.psd1. PowerShell 7.6 on Functions could not be confirmed. A certificate in the store " +
            "through App Service's WEBSITE_LOAD_CERTIFICATES is not confirmed by a source read here; the managed identity needs none.",
        source: FUNCTIONS_LANGUAGES,
    },
    {
        id: "functions-linux",
        kind: "functions",
        host: "Azure Functions",
        variant: "Linux (Flex Consumption, Consumption, Premium, Dedicated), PowerShell 7.4",
        os: "linux",
        powershell: "7.4",
        signIn: ["managedIdentity", "certificate"],
        certificate: ["file", "object"],
        note:
            "Pin the exact version in requirements.psd1. The Linux Consumption plan gets no PowerShell 7.6. A certificate as a file " +
            "(App Service's /var/ssl/private) is not confirmed by a source read here; the managed identity needs none.",
        source: FUNCTIONS_LANGUAGES,
    },
    {
        id: "github-ubuntu",
        kind: "github",
        host: "GitHub Actions, GitHub-hosted runner",
        variant: "`ubuntu-latest` (Ubuntu 24.04), `shell: pwsh`",
        os: "linux",
        powershell: "7.6",
        signIn: ["federated"],
        certificate: [],
        labels: ["ubuntu-latest", "ubuntu-24.04"],
        source: UBUNTU_IMAGE,
    },
    {
        id: "github-windows",
        kind: "github",
        host: "GitHub Actions, GitHub-hosted runner",
        variant: "`windows-latest` (Windows Server 2025), `shell: pwsh`",
        os: "windows",
        powershell: "7.6",
        signIn: ["federated"],
        certificate: [],
        labels: ["windows-latest", "windows-2025"],
        source: WINDOWS_IMAGE,
    },
    {
        id: "azure-devops-ubuntu",
        kind: "azure-devops",
        host: "Azure Pipelines, Microsoft-hosted agent",
        variant: "`vmImage: ubuntu-latest`, `scriptType: pscore`",
        os: "linux",
        powershell: "7.6",
        signIn: ["federated"],
        certificate: [],
        labels: ["ubuntu-latest", "ubuntu-24.04"],
        source: UBUNTU_IMAGE,
    },
    {
        id: "azure-devops-windows",
        kind: "azure-devops",
        host: "Azure Pipelines, Microsoft-hosted agent",
        variant: "`vmImage: windows-latest`, `scriptType: pscore`",
        os: "windows",
        powershell: "7.6",
        signIn: ["federated"],
        certificate: [],
        labels: ["windows-latest", "windows-2025"],
        source: WINDOWS_IMAGE,
    },
    {
        id: "windows-server-7.6",
        kind: "windows-server",
        host: "Windows server, scheduled task",
        variant: "PowerShell 7.6 (`pwsh.exe`)",
        os: "windows",
        powershell: "7.6",
        signIn: ["certificate", "managedIdentity"],
        certificate: ["thumbprint", "file", "object"],
        note: "A managed identity only on an Azure VM.",
        source: `${MODULE_OS}: Windows Server 2016 to 2025)`,
    },
    {
        id: "windows-server-7.4",
        kind: "windows-server",
        host: "Windows server, scheduled task",
        variant: "PowerShell 7.4 (`pwsh.exe`)",
        os: "windows",
        powershell: "7.4",
        signIn: ["certificate", "managedIdentity"],
        certificate: ["thumbprint", "file", "object"],
        note: "A managed identity only on an Azure VM.",
        source: `${MODULE_OS}: Windows Server 2016 to 2025)`,
    },
    {
        id: "windows-server-5.1",
        kind: "windows-server",
        host: "Windows server, scheduled task",
        variant: "Windows PowerShell 5.1 (`powershell.exe`)",
        os: "windows",
        powershell: "5.1",
        signIn: ["certificate", "managedIdentity"],
        certificate: ["thumbprint", "file", "object"],
        note: "Needs .NET Framework 4.7.2 (included from Windows Server 2019). A managed identity only on an Azure VM.",
        source: `${MODULE_OS}: Windows Server 2016 to 2025)`,
    },
    {
        id: "linux-7.6",
        kind: "linux",
        host: "Linux server, cron",
        variant: "PowerShell 7.6 (Ubuntu 22.04 or 24.04)",
        os: "linux",
        powershell: "7.6",
        signIn: ["certificate", "managedIdentity"],
        certificate: ["file", "object"],
        note: "A managed identity only on an Azure VM.",
        source: `${MODULE_OS}: Linux)`,
    },
    {
        id: "linux-7.4",
        kind: "linux",
        host: "Linux server, cron",
        variant: "PowerShell 7.4",
        os: "linux",
        powershell: "7.4",
        signIn: ["certificate", "managedIdentity"],
        certificate: ["file", "object"],
        note: "A managed identity only on an Azure VM.",
        source: `${MODULE_OS}: Linux)`,
    },
    {
        id: "macos-7.6",
        kind: "macos",
        host: "macOS",
        variant: "PowerShell 7.6 (macOS 14 Sonoma or later)",
        os: "macos",
        powershell: "7.6",
        signIn: ["certificate"],
        certificate: ["file", "object"],
        source: `${MODULE_OS}: macOS)`,
    },
    {
        id: "macos-7.4",
        kind: "macos",
        host: "macOS",
        variant: "PowerShell 7.4 or 7.5",
        os: "macos",
        powershell: "7.4",
        signIn: ["certificate"],
        certificate: ["file", "object"],
        source: `${MODULE_OS}: macOS)`,
    },
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
