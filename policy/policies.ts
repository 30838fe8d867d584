/**
 * The policies of the exo-cba pack: the program's promises, checked on what the engine is about to
 * create. They read resource inputs only and do not import the program: a guard that shared the code
 * it guards would agree with that code's mistakes.
 */
import * as crypto from "node:crypto";
import {
    type Policies,
    type ReportViolation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationArgs,
    type StackValidationPolicy,
    UnknownValueError,
} from "@pulumi/policy";

/** Resource type tokens, as the provider SDKs register them. */
const TYPES = {
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    applicationCertificate: "azuread:index/applicationCertificate:ApplicationCertificate",
    applicationApiAccess: "azuread:index/applicationApiAccess:ApplicationApiAccess",
    appRoleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
    directoryRoleAssignment: "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
} as const;

/** Global Administrator's role template id. https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference */
const GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10";
/** Office 365 Exchange Online and its Exchange.ManageAsApp app role. https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 */
const EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";
const EXCHANGE_ONLINE_DISPLAY_NAME = "Office 365 Exchange Online";
const MANAGE_AS_APP_ROLE_ID = "dc50a0fb-09a3-484d-be87-e023b12c6440";
/** Entra signs client assertions with RS256/PS256, so the key must be RSA; below 2048 bits is refused. */
const MIN_RSA_BITS = 2048;
/** The tls provider's rsaBits default. https://www.pulumi.com/registry/packages/tls/api-docs/privatekey/ */
const TLS_DEFAULT_RSA_BITS = 2048;

const DEFAULT_MAX_VALIDITY_DAYS = 730;
const DEFAULT_EXPIRING_WITHIN_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** A value a preview cannot know yet (it depends on a resource not yet created); the update checks it again. */
const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * One input as plain data. The policy SDK hands over a proxy that throws on an unknown value; copying
 * nested values touches every element, so an unknown anywhere inside makes the whole value UNKNOWN.
 */
function read(props: Record<string, unknown>, key: string): unknown {
    try {
        const value = props[key];
        return value !== null && typeof value === "object" ? (JSON.parse(JSON.stringify(value)) as unknown) : value;
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/** The stack a resource belongs to: urn:pulumi:<stack>::<project>::<type>::<name>. */
function stackOf(urn: string): string {
    return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] ?? "";
}

interface CertificateFacts {
    readonly thumbprint: string;
    readonly notAfter: Date;
    readonly keyType: string;
    readonly rsaBits: number | undefined;
}

/** Reads a credential's certificate as the azuread provider decodes it (`encoding`: pem, base64 or hex). */
function certificateOf(value: unknown, encoding: unknown): CertificateFacts | string {
    if (typeof value !== "string") return "value is not a string";
    const how = encoding === undefined ? "pem" : encoding;
    let data: string | Buffer;
    if (how === "pem") data = value;
    else if (how === "base64") data = Buffer.from(value, "base64");
    else if (how === "hex") data = Buffer.from(value, "hex");
    else return `encoding ${JSON.stringify(how)} is not one of pem, base64, hex`;
    try {
        const x509 = new crypto.X509Certificate(data);
        return {
            thumbprint: x509.fingerprint.replaceAll(":", ""),
            notAfter: new Date(x509.validTo),
            keyType: x509.publicKey.asymmetricKeyType ?? "unknown",
            rsaBits: x509.publicKey.asymmetricKeyDetails?.modulusLength,
        };
    } catch (e) {
        return `value is not a readable X.509 certificate (${e instanceof Error ? e.message : String(e)})`;
    }
}

function iso(d: Date): string {
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Applies a check to one resource type only; other types pass untouched. */
function forType(
    type: string,
    check: (args: ResourceValidationArgs, report: ReportViolation) => void,
): (args: ResourceValidationArgs, report: ReportViolation) => void {
    return (args, report) => {
        if (args.type === type) check(args, report);
    };
}

interface NoGlobalAdministratorConfig {
    readonly allowedStacks?: readonly string[];
}

const noGlobalAdministrator: ResourceValidationPolicy = {
    name: "no-global-administrator",
    description: "No directory role assignment grants Global Administrator, unless the stack is listed in allowedStacks.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedStacks: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Stacks that may assign Global Administrator (the stack file must also set exo-cba:allowGlobalAdministrator).",
            },
        },
    },
    validateResource: forType(TYPES.directoryRoleAssignment, (args, report) => {
        const roleId = read(args.props, "roleId");
        if (typeof roleId !== "string" || roleId.toLowerCase() !== GLOBAL_ADMINISTRATOR) return;
        const stack = stackOf(args.urn);
        const allowed = args.getConfig<NoGlobalAdministratorConfig>().allowedStacks ?? [];
        if (allowed.includes(stack)) return;
        report(
            `${args.name} assigns Global Administrator (role template ${GLOBAL_ADMINISTRATOR}) in stack "${stack}": the application could ` +
                "then do anything in the tenant. Use the least-privileged role that works (exo-cba:roles). If this stack really needs it, " +
                `add "${stack}" to allowedStacks of no-global-administrator in policy/config.json, a change reviewed on its own.`,
        );
    }),
};

const rsaKeySize: ResourceValidationPolicy = {
    name: "rsa-key-size",
    description: `Keys are RSA of at least ${MIN_RSA_BITS} bits: generated keys and the certificates registered as credentials.`,
    enforcementLevel: "mandatory",
    validateResource: [
        forType(TYPES.privateKey, (args, report) => {
            const algorithm = read(args.props, "algorithm");
            const bits = read(args.props, "rsaBits");
            if (algorithm === UNKNOWN) return;
            if (algorithm !== "RSA") {
                report(
                    `${args.name} makes a ${String(algorithm)} key; Entra client assertions need RSA (algorithm: "RSA", rsaBits ${MIN_RSA_BITS} or more).`,
                );
                return;
            }
            if (bits === UNKNOWN) return;
            const size = bits ?? TLS_DEFAULT_RSA_BITS;
            if (typeof size !== "number" || size < MIN_RSA_BITS) {
                report(
                    `${args.name} makes a ${JSON.stringify(size)}-bit RSA key; use at least ${MIN_RSA_BITS} bits (exo-cba:certRsaBits: 2048, 3072 or 4096).`,
                );
            }
        }),
        forType(TYPES.applicationCertificate, (args, report) => {
            const value = read(args.props, "value");
            const encoding = read(args.props, "encoding");
            if (value === UNKNOWN || encoding === UNKNOWN) return;
            const cert = certificateOf(value, encoding);
            if (typeof cert === "string") return; // credential-within-certificate reports unreadable certificates
            if (cert.keyType !== "rsa" || (cert.rsaBits ?? 0) < MIN_RSA_BITS) {
                const key = cert.keyType === "rsa" ? `a ${String(cert.rsaBits)}-bit RSA key` : `a ${cert.keyType.toUpperCase()} key`;
                report(
                    `${args.name} registers certificate ${cert.thumbprint} with ${key}; Entra needs RSA of at least ${MIN_RSA_BITS} bits. Issue a new certificate.`,
                );
            }
        }),
    ],
};

const credentialWithinCertificate: ResourceValidationPolicy = {
    name: "credential-within-certificate",
    description: "A certificate credential does not outlive its certificate: endDate is not after the certificate's NotAfter.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.applicationCertificate, (args, report) => {
        const value = read(args.props, "value");
        const encoding = read(args.props, "encoding");
        const endDate = read(args.props, "endDate");
        const endDateRelative = read(args.props, "endDateRelative");
        if (value === UNKNOWN || encoding === UNKNOWN || endDate === UNKNOWN || endDateRelative === UNKNOWN) return;
        const cert = certificateOf(value, encoding);
        if (typeof cert === "string") {
            report(`${args.name}: ${cert}; its end date cannot be checked against the certificate.`);
            return;
        }
        if (endDate === undefined) {
            if (endDateRelative !== undefined) {
                // Relative to the moment of creation: nothing to compare with before it happens.
                report(
                    `${args.name} sets endDateRelative; set endDate to the certificate's NotAfter (${iso(cert.notAfter)}) instead, which can be checked.`,
                );
            }
            return;
        }
        const end = typeof endDate === "string" ? new Date(endDate) : new Date(NaN);
        if (Number.isNaN(end.getTime())) {
            report(`${args.name} has endDate ${JSON.stringify(endDate)}, which is not an RFC 3339 date.`);
        } else if (end.getTime() > cert.notAfter.getTime()) {
            report(
                `${args.name} ends ${iso(end)}, after its certificate ${cert.thumbprint} (NotAfter ${iso(cert.notAfter)}); Microsoft Graph ` +
                    `refuses it ("Key credential end date is invalid"). Take endDate from the certificate.`,
            );
        }
    }),
};

const exchangeOnlineManageAsAppOnly: ResourceValidationPolicy & StackValidationPolicy = {
    name: "exchange-online-manage-as-app-only",
    description: "The only Office 365 Exchange Online application permission requested or granted is Exchange.ManageAsApp.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.applicationApiAccess, (args, report) => {
        const api = read(args.props, "apiClientId");
        const roleIds = read(args.props, "roleIds");
        if (typeof api !== "string" || api.toLowerCase() !== EXCHANGE_ONLINE_APP_ID || roleIds === UNKNOWN || !Array.isArray(roleIds))
            return;
        const others = roleIds.filter((id) => typeof id !== "string" || id.toLowerCase() !== MANAGE_AS_APP_ROLE_ID);
        if (others.length > 0) {
            report(
                `${args.name} requests Exchange Online application permission${others.length > 1 ? "s" : ""} ${others.map(String).join(", ")} ` +
                    `besides Exchange.ManageAsApp (${MANAGE_AS_APP_ROLE_ID}). App-only PowerShell needs only that one; ` +
                    "permissions such as full_access_as_app open every mailbox. Remove them.",
            );
        }
    }),
    // An assignment names the resource by its service principal's object id, which differs per tenant. The
    // Exchange Online one is recognised by what is assigned on it (Exchange.ManageAsApp) or by its name.
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
        const assignments = args.resources.filter((r) => r.type === TYPES.appRoleAssignment);
        const exchange = new Set<string>();
        for (const a of assignments) {
            const resource = read(a.props, "resourceObjectId");
            if (typeof resource !== "string") continue;
            const role = read(a.props, "appRoleId");
            if (
                (typeof role === "string" && role.toLowerCase() === MANAGE_AS_APP_ROLE_ID) ||
                read(a.props, "resourceDisplayName") === EXCHANGE_ONLINE_DISPLAY_NAME
            ) {
                exchange.add(resource.toLowerCase());
            }
        }
        for (const a of assignments) {
            const resource = read(a.props, "resourceObjectId");
            const role = read(a.props, "appRoleId");
            if (typeof resource !== "string" || !exchange.has(resource.toLowerCase()) || role === UNKNOWN) continue;
            if (typeof role !== "string" || role.toLowerCase() !== MANAGE_AS_APP_ROLE_ID) {
                report(
                    `${a.name} grants app role ${String(role)} on Office 365 Exchange Online; only Exchange.ManageAsApp (${MANAGE_AS_APP_ROLE_ID}) may be granted. Remove it.`,
                    a.urn,
                );
            }
        }
    },
};

interface SelfSignedValidityConfig {
    readonly maxValidityDays?: number;
}

const selfSignedValidity: ResourceValidationPolicy = {
    name: "self-signed-validity",
    description: "A self-signed certificate is valid for no longer than maxValidityDays.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxValidityDays: {
                type: "integer",
                minimum: 1,
                default: DEFAULT_MAX_VALIDITY_DAYS,
                description: "Longest allowed validity of a self-signed certificate, in days.",
            },
        },
    },
    validateResource: forType(TYPES.selfSignedCert, (args, report) => {
        const hours = read(args.props, "validityPeriodHours");
        if (typeof hours !== "number") return;
        const maxDays = args.getConfig<SelfSignedValidityConfig>().maxValidityDays ?? DEFAULT_MAX_VALIDITY_DAYS;
        if (hours > maxDays * 24) {
            report(
                `${args.name} would be valid for ${hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`}; at most ${maxDays} days are allowed. Lower exo-cba:certValidityDays ` +
                    "(or validityDays of its generation), or raise maxValidityDays of self-signed-validity in policy/config.json.",
            );
        }
    }),
};

interface CertificateExpiryConfig {
    readonly expiringWithinDays?: number;
}

function certificateExpiry(now: () => Date): ResourceValidationPolicy {
    return {
        name: "certificate-expiry",
        description: "Warns when a registered certificate expires within expiringWithinDays.",
        enforcementLevel: "advisory",
        configSchema: {
            properties: {
                expiringWithinDays: {
                    type: "integer",
                    minimum: 0,
                    default: DEFAULT_EXPIRING_WITHIN_DAYS,
                    description: "Warn this many days before a certificate expires.",
                },
            },
        },
        validateResource: forType(TYPES.applicationCertificate, (args, report) => {
            const value = read(args.props, "value");
            const encoding = read(args.props, "encoding");
            if (value === UNKNOWN || encoding === UNKNOWN) return;
            const cert = certificateOf(value, encoding);
            if (typeof cert === "string") return;
            const within = args.getConfig<CertificateExpiryConfig>().expiringWithinDays ?? DEFAULT_EXPIRING_WITHIN_DAYS;
            // The same window as the program's warning and npm run check-expiry: inclusive, to the millisecond.
            const leftMs = cert.notAfter.getTime() - now().getTime();
            if (leftMs > within * DAY_MS) return;
            const days = Math.floor(leftMs / DAY_MS);
            const when =
                leftMs < 0
                    ? `expired on ${iso(cert.notAfter)}`
                    : `expires on ${iso(cert.notAfter)} (${days === 1 ? "1 day" : `${days} days`} left)`;
            report(
                `${args.name}: certificate ${cert.thumbprint} ${when}. Rotate it: add a certificate generation to exo-cba:certificates ` +
                    "(README: Rotate the certificate).",
            );
        }),
    };
}

/** Every policy of the pack; `now` is the clock the expiry warning reads. */
export function createPolicies(now: () => Date = () => new Date()): Policies {
    return [
        noGlobalAdministrator,
        rsaKeySize,
        credentialWithinCertificate,
        exchangeOnlineManageAsAppOnly,
        selfSignedValidity,
        certificateExpiry(now),
    ];
}
