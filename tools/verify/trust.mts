/**
 * npm run verify, whom the run trusts: Node's TLS and proxy settings come from the operator's environment,
 * and some of them quietly change what a VERIFIED means. One undoes TLS altogether
 * (NODE_TLS_REJECT_UNAUTHORIZED=0: Node then accepts any certificate, so the signed client assertion would
 * go to whoever answers): verify refuses to run with it. The others are legitimate (a TLS-inspecting
 * proxy's CA, the system's store, a proxy) but are the operator's choice of whom to trust: the report
 * names them, so a person sees what the result rests on. Pure: the environment, Node's options and the
 * count of certificates are arguments.
 */
import { UserError } from "../shared/cli.mts";
import { printableLine as oneLine } from "../../components/redaction.ts";

/** The variable that turns off Node's certificate checks (nodejs.org/api/cli.html#node_tls_reject_unauthorizedvalue). */
export const TLS_OFF_VARIABLE = "NODE_TLS_REJECT_UNAUTHORIZED";

/** Refuses an environment that turns off TLS certificate checks; Node honours exactly the value "0". */
export function refuseTlsOff(env: Readonly<Record<string, string | undefined>>): void {
    if (env[TLS_OFF_VARIABLE] === "0") {
        throw new UserError(
            `${TLS_OFF_VARIABLE}=0 turns off TLS certificate checks, and verify would send a signed client assertion or a token to ` +
                `whatever answers: unset ${TLS_OFF_VARIABLE} (behind a TLS-inspecting proxy, point NODE_EXTRA_CA_CERTS at its CA certificate instead)`,
        );
    }
}

/** What the run's TLS connections trust and which proxy they go through, in words for the report. */
export interface NetworkTrust {
    /** The certificate authorities trusted, one phrase each. */
    readonly trust: readonly string[];
    /** Node's bundled certificate authorities alone: nothing the operator chose. */
    readonly defaultTrust: boolean;
    /** The proxy requests go through, credentials left out; undefined: none. */
    readonly proxy: string | undefined;
    /** Settings that look as if they matter but do not (a proxy variable Node ignores). */
    readonly notes: readonly string[];
}

/**
 * Node's options in effect: its command line, then NODE_OPTIONS (nodejs.org/api/cli.html#node_optionsoptions),
 * each option's name with underscores written as dashes, as Node reads them ("words separated by both dashes
 * and underscores"), and without a value.
 */
function nodeOptions(env: Readonly<Record<string, string | undefined>>, execArgv: readonly string[]): string[] {
    return [...execArgv, ...(env["NODE_OPTIONS"] ?? "").split(/\s+/)]
        .filter((o) => o.startsWith("--"))
        .map((o) => (o.split("=")[0] ?? "").replaceAll("_", "-"));
}

/**
 * The trust and proxy settings in effect. `extraCertificates` is how many certificates Node loaded from
 * NODE_EXTRA_CA_CERTS (tls.getCACertificates("extra"), Node 22.15 and 23.10 on), when known.
 */
export function networkTrust(
    env: Readonly<Record<string, string | undefined>>,
    execArgv: readonly string[],
    extraCertificates: number | undefined,
): NetworkTrust {
    const options = nodeOptions(env, execArgv);
    const openssl = options.includes("--use-openssl-ca");
    const store = [env["SSL_CERT_FILE"], env["SSL_CERT_DIR"]].filter((v): v is string => !!v).map((v) => oneLine(v, 200));
    const trust: string[] = [
        openssl ? `OpenSSL's certificate store${store.length > 0 ? ` (${store.join(", ")})` : ""}` : "Node's certificate authorities",
    ];
    const notes: string[] = [];
    const extra = env["NODE_EXTRA_CA_CERTS"];
    if (extra) {
        const count = extraCertificates === undefined ? "" : `, ${extraCertificates} certificate${extraCertificates === 1 ? "" : "s"}`;
        trust.push(`NODE_EXTRA_CA_CERTS (${oneLine(extra, 200)}${count})`);
    }
    if (options.includes("--use-system-ca") || env["NODE_USE_SYSTEM_CA"] === "1") trust.push("the operating system's certificate store");
    // Node's fetch uses the proxy variables only when asked (nodejs.org/api/cli.html#node_use_env_proxy1), and
    // for an https address reads them in undici's order (EnvHttpProxyAgent): https_proxy, HTTPS_PROXY, then
    // the http proxy, http_proxy before HTTP_PROXY.
    const proxyVariable = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"].find((v) => !!env[v]);
    const proxyOn = env["NODE_USE_ENV_PROXY"] === "1" || options.includes("--use-env-proxy");
    let proxy: string | undefined;
    if (proxyVariable !== undefined) {
        const shown = `${withoutCredentials(env[proxyVariable] ?? "")} (${proxyVariable}${noProxy(env)})`;
        if (proxyOn) proxy = shown;
        else notes.push(`${proxyVariable} is set, but Node ignores it without NODE_USE_ENV_PROXY=1: requests go direct`);
    }
    return { trust, defaultTrust: trust.length === 1 && !openssl, proxy, notes };
}

function noProxy(env: Readonly<Record<string, string | undefined>>): string {
    const list = env["no_proxy"] ?? env["NO_PROXY"];
    return list ? `, not for NO_PROXY ${oneLine(list, 120)}` : "";
}

/** A proxy address without the user name and password it may carry (http://user:secret@proxy:3128). */
export function withoutCredentials(address: string): string {
    try {
        const url = new URL(address);
        const had = url.username !== "" || url.password !== "";
        url.username = "";
        url.password = "";
        return `${oneLine(url.origin, 200)}${had ? " (with credentials, not shown)" : ""}`;
    } catch {
        return "(an address that is not a URL)";
    }
}

/** The one line of the text report, or undefined when the run trusts Node's own certificates and no proxy. */
export function trustLine(n: NetworkTrust): string | undefined {
    const parts: string[] = [];
    if (!n.defaultTrust) parts.push(`TLS trusts ${n.trust.join(" and ")}`);
    if (n.proxy !== undefined) parts.push(`requests go through the proxy ${n.proxy}`);
    parts.push(...n.notes);
    return parts.length > 0 ? `Network: ${parts.join("; ")}.` : undefined;
}
