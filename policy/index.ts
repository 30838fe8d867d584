/**
 * Entry point the Pulumi CLI loads for `--policy-pack policy`: serves the exo-cba policies to the engine.
 */
import { PolicyPack } from "@pulumi/policy";
import { createPolicies } from "./policies.ts";

new PolicyPack("exo-cba", {
    description:
        "Guards the promises of exo-cba: no Global Administrator unless allowed, only supported directory roles by template id, RSA of at least 2048 bits, credentials within their certificate, only Exchange.ManageAsApp from Exchange Online and Exchange Online Protection, bounded self-signed validity, an expiry warning, federated credentials that trust one exact workload, no client secrets or other stored passwords, no Microsoft Graph permission with a path to Global Administrator, no group membership for the stack's principals, and a warning for federated subjects that trust a tag or another issuer's branch.",
    policies: createPolicies(),
});
