/**
 * npm run verify, the command: flags in, report out. It reads the stack's outputs and the key, picks
 * the sign-in (a certificate today), and runs the retry loop with the checks and explanations that
 * sign-in needs. Each part lives in its own module:
 *   stack.mts        the stack facts, from the outputs
 *   keys.mts         the private key, from the outputs, a PEM file or a PFX
 *   checks.mts       the checks before Entra is asked and on the token
 *   entraErrors.mts  what each refusal means, and the fix
 *   entra.mts        the token request (MSAL over a network module that follows no redirects)
 *   retry.mts        the loop that waits out replication delay
 *   render.mts       text and JSON, everything a server or a person supplied made printable
 *   outcome.mts      the words they share: results and exit codes, checks, causes, the report
 */
import { UserError, stackName } from "../cli.mts";
import { readOutputs } from "../outputs.mts";
import { type TokenExpectation, checkLocally } from "./checks.mts";
import { DEFAULT_AUTHORITY_HOST, DEFAULT_RESOURCE, httpsOrigin, requestAppToken } from "./entra.mts";
import { type SignInContext, explainEntraError } from "./entraErrors.mts";
import { type KeyMaterial, PFX_PASSWORD_VARIABLE, keyFromFile, keyFromOutput } from "./keys.mts";
import type { Cause, EntraError, Judgement, Report, Subject, TokenOutcome } from "./outcome.mts";
import {
    DEFAULT_FIRST_DELAY_MS,
    DEFAULT_MAX_WAIT_MS,
    MAX_DELAY_MS,
    type Progress,
    formatDuration,
    parseDuration,
    retryUntilVerified,
} from "./retry.mts";
import { type StackFacts, stackFacts } from "./stack.mts";

/** The flags as node:util parseArgs returns them. */
export interface VerifyFlags {
    readonly stack?: string | undefined;
    readonly "outputs-file"?: string | undefined;
    readonly "key-file"?: string | undefined;
    readonly "max-wait"?: string | undefined;
    readonly "first-delay"?: string | undefined;
    readonly "authority-host"?: string | undefined;
    readonly resource?: string | undefined;
}

/** A run of verify, every value checked. */
export interface VerifyRequest {
    /** With outputsFile only a label; alone, the stack whose outputs the Pulumi CLI prints. */
    readonly stack: string | undefined;
    readonly outputsFile: string | undefined;
    readonly keyFile: string | undefined;
    readonly pfxPassword: string | undefined;
    readonly authorityHost: string;
    readonly resource: string;
    readonly maxWaitMs: number;
    readonly firstDelayMs: number;
}

/** Checks the flags; a UserError names the first one that is wrong. */
export function verifyRequest(flags: VerifyFlags, env: Readonly<Record<string, string | undefined>>): VerifyRequest {
    const outputsFile = flags["outputs-file"];
    if (flags.stack === undefined && outputsFile === undefined) {
        throw new UserError("say which stack: --stack <name> or --outputs-file <file|->");
    }
    const keyFile = flags["key-file"];
    if (keyFile === "-" && outputsFile === "-") {
        throw new UserError("--outputs-file and --key-file cannot both read standard input: pass one of them as a file");
    }
    const firstDelayMs = duration("--first-delay", flags["first-delay"], DEFAULT_FIRST_DELAY_MS);
    if (firstDelayMs === 0 || firstDelayMs > MAX_DELAY_MS) {
        throw new UserError(
            `--first-delay must be more than 0 and at most ${formatDuration(MAX_DELAY_MS)} (the longest wait between attempts)`,
        );
    }
    return {
        stack: flags.stack === undefined ? undefined : stackName(flags.stack),
        outputsFile,
        keyFile,
        pfxPassword: env[PFX_PASSWORD_VARIABLE],
        authorityHost: httpsOrigin("--authority-host", flags["authority-host"] ?? DEFAULT_AUTHORITY_HOST, DEFAULT_AUTHORITY_HOST),
        resource: httpsOrigin("--resource", flags.resource ?? DEFAULT_RESOURCE, DEFAULT_RESOURCE),
        maxWaitMs: duration("--max-wait", flags["max-wait"], DEFAULT_MAX_WAIT_MS),
        firstDelayMs,
    };
}

function duration(flag: string, text: string | undefined, fallback: number): number {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
        throw new UserError(`${flag} takes a duration such as 30s, 15m, 1h or 500ms (got ${JSON.stringify(text.slice(0, 40))})`);
    }
    return ms;
}

export interface VerifyHooks {
    readonly onProgress?: (p: Progress) => void;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * One way of signing in, with what the loop needs from it. The certificate is the only one today;
 * a federated token (a client assertion from a file or GitHub's OIDC endpoint) and a managed identity
 * are further SignIn values built from the same parts, leaving the loop, the token checks and the
 * rendering as they are.
 */
interface SignIn {
    readonly subject: Subject;
    readonly context: SignInContext;
    readonly expect: TokenExpectation;
    readonly checkLocally: (now: Date) => Judgement;
    readonly requestToken: () => Promise<TokenOutcome>;
    readonly explain: (error: EntraError) => Cause;
}

/** Reads the stack and the key, then signs in until the token passes or a cause is final. */
export async function verifyStack(req: VerifyRequest, hooks: VerifyHooks = {}): Promise<Report> {
    // With a key file nothing secret is needed from the outputs: the CLI is not asked to reveal them.
    const outputs = await readOutputs({ stack: req.stack, outputsFile: req.outputsFile, secrets: req.keyFile === undefined });
    const facts = stackFacts(outputs);
    const signIn = certificateSignIn(req, facts, await signingKey(req, facts));
    const verdict = await retryUntilVerified({ ...signIn, maxWaitMs: req.maxWaitMs, firstDelayMs: req.firstDelayMs, ...hooks });
    return { ...verdict, subject: signIn.subject };
}

/** The key from --key-file, else the stack's own (self-signed stacks). */
async function signingKey(req: VerifyRequest, facts: StackFacts): Promise<KeyMaterial> {
    if (req.keyFile !== undefined) return keyFromFile(req.keyFile, req.pfxPassword);
    if (facts.privateKeyPem !== undefined) return keyFromOutput(facts.privateKeyPem);
    throw new UserError(
        "the stack has no privateKeyPem output: it brings its own certificate, so pass its private key with " +
            `--key-file <key.pem|cert.pfx> (PFX password in ${PFX_PASSWORD_VARIABLE})`,
    );
}

/** The application signs in with the stack's certificate: a client assertion signed with its key. */
function certificateSignIn(req: VerifyRequest, facts: StackFacts, key: KeyMaterial): SignIn {
    const context: SignInContext = {
        appId: facts.appId,
        tenantId: facts.tenantId,
        thumbprint: facts.thumbprint,
        authorityHost: req.authorityHost,
    };
    return {
        subject: {
            stack: req.stack,
            appId: facts.appId,
            tenantId: facts.tenantId,
            organization: facts.organization,
            thumbprint: facts.thumbprint,
        },
        context,
        expect: { resource: req.resource, tenantId: facts.tenantId, directoryRoles: facts.directoryRoles },
        checkLocally: (now) => checkLocally(facts, key, now),
        requestToken: () =>
            requestAppToken({
                authorityHost: req.authorityHost,
                resource: req.resource,
                tenantId: facts.tenantId,
                clientId: facts.appId,
                credential: { kind: "certificate", certificate: facts.certificate, certificatePem: facts.certificatePem, key: key.key },
            }),
        explain: (e) => explainEntraError(e, context),
    };
}
