import { loadSettings } from "./components/config.ts";
import { ExchangeAppOnlyAccess } from "./components/exchangeAppOnlyAccess.ts";

const access = new ExchangeAppOnlyAccess("exo", loadSettings(new Date()));

// Every output the component has (components/outputs.ts), as the module's one default export: Pulumi reads
// a sole default export of an ES module as the stack's outputs (@pulumi/pulumi cmd/run/run.ts). Outputs
// that exist in some configurations only are left out when absent: exporting undefined would make Pulumi
// warn on every run.
export default Object.fromEntries(Object.entries(access.outputs).filter(([, value]) => value !== undefined));
