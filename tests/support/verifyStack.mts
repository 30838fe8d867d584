/**
 * Test helpers for npm run verify: stack outputs as `pulumi stack output --json --show-secrets`
 * prints them (thumbprint and NotAfter from openssl, not from the tool), certificates openssl cannot
 * make (back-dated, via node-forge), PFX files made by openssl, and running the real CLI.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import forge from "node-forge";
import { type ToolRun, runTool } from "./cli.mts";
import { type MadeCertificate, opensslNotAfter, opensslThumbprint, tempDir } from "./harness.mts";

export interface DirectoryRole {
    readonly name: string;
    readonly templateId: string;
}

export interface StackSpec {
    readonly appId: string;
    readonly tenantId: string;
    readonly certificate: MadeCertificate;
    readonly roles: readonly DirectoryRole[];
    /** Bring-your-own stack: no privateKeyPem output. */
    readonly byo?: boolean;
    /** A privateKeyPem output other than the certificate's key. */
    readonly privateKeyPem?: string;
}

/** The outputs of a deployed exo-cba stack. */
export function stackOutputs(s: StackSpec): Record<string, unknown> {
    const thumbprint = opensslThumbprint(s.certificate.certPem);
    const organization = "contoso.onmicrosoft.com";
    return {
        appId: s.appId,
        tenantId: s.tenantId,
        organization,
        thumbprint,
        certificatePem: s.certificate.certPem,
        ...(s.byo ? {} : { privateKeyPem: s.privateKeyPem ?? s.certificate.keyPem }),
        certificateNotAfter: opensslNotAfter(s.certificate.certPem).toISOString().replace(".000Z", "Z"),
        directoryRoles: s.roles,
        servicePrincipalObjectId: "3f0c4a51-6d2e-4b8a-9c71-0e5d2f8a7b64",
        applicationObjectId: "9b2e7c13-4a8f-4d61-b0e9-5c3a1f7d2e80",
        connectCommand: `Connect-ExchangeOnline -CertificateThumbprint '${thumbprint}' -AppId '${s.appId}' -Organization '${organization}'`,
        connectCommandCrossPlatform: `Connect-ExchangeOnline -CertificateFilePath '<path-to-certificate.pfx>' -CertificatePassword (Read-Host -AsSecureString -Prompt "PFX password") -AppId '${s.appId}' -Organization '${organization}'`,
    };
}

/** Writes a file in a scratch directory and returns its path. */
export function scratchFile(name: string, content: string | Buffer): string {
    const file = path.join(tempDir("verify-"), name);
    fs.writeFileSync(file, content);
    return file;
}

/** A certificate for `keyPem` valid between two dates (openssl 3.0 cannot back-date; node-forge can). */
export function datedCertificate(keyPem: string, notBefore: Date, notAfter: Date): MadeCertificate {
    const key = forge.pki.privateKeyFromPem(keyPem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = "0a";
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject([{ name: "commonName", value: "EXO Reporting Script" }]);
    cert.setIssuer([{ name: "commonName", value: "EXO Reporting Script" }]);
    cert.sign(key, forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** A PFX of the certificate and key, made by openssl with its default (AES-256, PBKDF2) encryption. */
export function opensslPfx(c: MadeCertificate, password: string): string {
    const dir = tempDir("pfx-");
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    const pfx = path.join(dir, "exo.pfx");
    fs.writeFileSync(cert, c.certPem);
    fs.writeFileSync(key, c.keyPem);
    // The password goes through the environment, not argv, as a careful admin would do it.
    execFileSync(
        "openssl",
        ["pkcs12", "-export", "-in", cert, "-inkey", key, "-out", pfx, "-name", "exo-cba", "-passout", "env:TEST_PFX_PASSWORD"],
        {
            env: { ...process.env, TEST_PFX_PASSWORD: password },
            stdio: ["ignore", "pipe", "pipe"],
        },
    );
    return pfx;
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
