import { loadSettings } from "./components/config.ts";
import { ExchangeAppOnlyAccess } from "./components/exchangeAppOnlyAccess.ts";

const access = new ExchangeAppOnlyAccess("exo", loadSettings(new Date()));

// Every output the component has (components/outputs.ts). Outputs that exist in some configurations
// only are left out when absent: exporting undefined would make Pulumi warn on every run.
for (const [name, value] of Object.entries(access.outputs)) {
    if (value !== undefined) (module.exports as Record<string, unknown>)[name] = value;
}
