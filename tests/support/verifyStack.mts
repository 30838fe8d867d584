/**
 * Test helpers for npm run verify: stack outputs as `pulumi stack output --json --show-secrets`
 * prints them (thumbprint and NotAfter from openssl, not from the tool), PFX files made by openssl,
 * and running the real CLI. Certificates come from certificates.mts, dated from the test's `now`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { MadeCertificate } from "./certificates.mts";
import { type ToolRun, runTool } from "./cli.mts";
import { openssl, opensslNotAfter, opensslThumbprint, tempDir } from "./harness.mts";

export interface DirectoryRole {
    readonly name: string;
    readonly templateId: string;
}

export interface FederatedCredentialSpec {
    readonly name: string;
    readonly issuer: string;
    readonly subject: string;
    readonly audience: string;
}

export interface ManagedIdentitySpec {
    readonly name: string;
    readonly objectId: string;
    /** User-assigned only. */
    readonly clientId?: string;
}

export interface StackSpec {
    /** Absent: the stack has no application (exo-cba:application false, managed identities only). */
    readonly appId?: string;
    readonly tenantId: string;
    /** Absent: no certificate (exo-cba:certificates [], federated credentials only). */
    readonly certificate?: MadeCertificate;
    readonly roles: readonly DirectoryRole[];
    /** Bring-your-own stack: no privateKeyPem output. */
    readonly byo?: boolean;
    /** A privateKeyPem output other than the certificate's key. */
    readonly privateKeyPem?: string;
    /** The `cloud` output; absent as on stacks deployed before it existed. */
    readonly cloud?: string;
    readonly federatedCredentials?: readonly FederatedCredentialSpec[];
    readonly managedIdentities?: readonly ManagedIdentitySpec[];
    /** The organization output. @default contoso.onmicrosoft.com */
    readonly organization?: string;
    /** A role reaches Security & Compliance: the stack outputs connectIppsCommand. */
    readonly compliance?: boolean;
}

/** -ExchangeEnvironmentName per cloud (Connect-ExchangeOnline reference). */
const EXCHANGE_ENVIRONMENT: Readonly<Record<string, string>> = {
    global: "O365Default",
    "gcc-high": "O365USGovGCCHigh",
    dod: "O365USGovDoD",
    china: "O365China",
};

/** The outputs of a deployed exo-cba stack, shaped as components/outputs.ts declares them. */
export function stackOutputs(s: StackSpec): Record<string, unknown> {
    const organization = s.organization ?? "contoso.onmicrosoft.com";
    const outputs: Record<string, unknown> = {
        tenantId: s.tenantId,
        organization,
        ...(s.cloud === undefined ? {} : { cloud: s.cloud, exchangeEnvironmentName: EXCHANGE_ENVIRONMENT[s.cloud] ?? "O365Default" }),
        directoryRoles: s.roles,
        certificates: [],
    };
    if (s.appId !== undefined) {
        Object.assign(outputs, {
            appId: s.appId,
            servicePrincipalObjectId: "3f0c4a51-6d2e-4b8a-9c71-0e5d2f8a7b64",
            applicationObjectId: "9b2e7c13-4a8f-4d61-b0e9-5c3a1f7d2e80",
        });
    }
    if (s.appId !== undefined && s.certificate !== undefined) {
        const thumbprint = opensslThumbprint(s.certificate.certPem);
        const notAfter = opensslNotAfter(s.certificate.certPem).toISOString().replace(".000Z", "Z");
        Object.assign(outputs, {
            thumbprint,
            certificatePem: s.certificate.certPem,
            ...(s.byo ? {} : { privateKeyPem: s.privateKeyPem ?? s.certificate.keyPem }),
            certificateNotAfter: notAfter,
            certificates: [
                {
                    name: "exo-cert",
                    thumbprint,
                    notBefore: opensslNotBefore(s.certificate.certPem),
                    notAfter,
                    active: true,
                    selfSigned: !s.byo,
                },
            ],
            connectCommand: `Connect-ExchangeOnline -CertificateThumbprint '${thumbprint}' -AppId '${s.appId}' -Organization '${organization}'`,
            connectCommandCrossPlatform: `Connect-ExchangeOnline -CertificateFilePath '<path-to-certificate.pfx>' -CertificatePassword (Read-Host -AsSecureString -Prompt "PFX password") -AppId '${s.appId}' -Organization '${organization}'`,
        });
    }
    if (s.appId !== undefined && s.federatedCredentials?.length) {
        Object.assign(outputs, {
            federatedCredentials: s.federatedCredentials,
            connectCommandAccessToken: `Connect-ExchangeOnline -AccessToken $accessToken -Organization '${organization}'`,
        });
    }
    if (s.appId !== undefined && s.compliance) {
        outputs["connectIppsCommand"] =
            s.certificate !== undefined
                ? `Connect-IPPSSession -CertificateThumbprint '${opensslThumbprint(s.certificate.certPem)}' -AppId '${s.appId}' -Organization '${organization}'`
                : `Connect-IPPSSession -AccessToken $accessToken -Organization '${organization}'`;
    }
    if (s.managedIdentities?.length) {
        outputs["managedIdentities"] = s.managedIdentities.map((m) => ({
            ...m,
            connectCommand: `Connect-ExchangeOnline -ManagedIdentity -Organization '${organization}'${m.clientId ? ` -ManagedIdentityAccountId '${m.clientId}'` : ""}`,
        }));
    }
    return outputs;
}

/** The certificate's NotBefore as openssl reads it, RFC 3339. */
function opensslNotBefore(pem: string): string {
    const text = /notBefore=(.*)/.exec(openssl(["x509", "-noout", "-startdate"], pem))?.[1] ?? "";
    return new Date(text).toISOString().replace(".000Z", "Z");
}

/** Writes a file in a scratch directory and returns its path. */
export function scratchFile(name: string, content: string | Buffer): string {
    const file = path.join(tempDir("verify-"), name);
    fs.writeFileSync(file, content);
    return file;
}

/**
 * A PFX of the certificate and key, made by openssl: by default PBES2 (PBKDF2, AES-256) with a SHA-256
 * MAC; `legacy`: 3DES for the key, RC2 for the certificate and a SHA-1 MAC, as older Windows exports them.
 */
export function opensslPfx(c: MadeCertificate, password: string, o: { legacy?: boolean } = {}): string {
    const dir = tempDir("pfx-");
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    const pfx = path.join(dir, "exo.pfx");
    fs.writeFileSync(cert, c.certPem);
    fs.writeFileSync(key, c.keyPem);
    // The password goes through the environment, not argv, as a careful admin would do it.
    execFileSync(
        "openssl",
        [
            "pkcs12",
            "-export",
            ...(o.legacy ? ["-legacy"] : []),
            "-in",
            cert,
            "-inkey",
            key,
            "-out",
            pfx,
            "-name",
            "exo-cba",
            "-passout",
            "env:TEST_PFX_PASSWORD",
        ],
        {
            env: { ...process.env, TEST_PFX_PASSWORD: password },
            stdio: ["ignore", "pipe", "pipe"],
        },
    );
    return pfx;
}

/** openssl's account of how a PFX is protected ("MAC: sha256 ...", "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC ..."). */
export function opensslPfxInfo(pfx: string, password: string): string {
    // -legacy lets openssl 3 read RC2 as well; it reads modern files the same.
    const r = spawnSync("openssl", ["pkcs12", "-in", pfx, "-info", "-noout", "-legacy", "-passin", "env:TEST_PFX_PASSWORD"], {
        env: { ...process.env, TEST_PFX_PASSWORD: password },
        encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`openssl pkcs12 -info failed: ${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
}

export type VerifyRun = ToolRun;

/**
 * Runs the verify CLI as a user would: `npm run -s verify -- <args>` when `viaNpm`, else the node
 * command that script runs (the same thing, without npm's start-up time).
 */
export function runVerify(
    args: readonly string[],
    options: { env?: Record<string, string | undefined>; input?: string; viaNpm?: boolean } = {},
): Promise<VerifyRun> {
    return runTool("verify", args, { ...options, viaNpm: options.viaNpm ?? false, timeoutMs: 30_000 });
}
