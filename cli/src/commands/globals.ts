import type { OptionSpecs } from "./command.js";

/** The flags every operator command accepts, anywhere after `latchflow`. */
export const GLOBAL_OPTIONS = {
  server: {
    type: "string",
    value: "URL",
    description: "the server, e.g. https://latchflow.example (default: LATCHFLOW_SERVER, then the profile's)",
  },
  profile: {
    type: "string",
    value: "NAME",
    description: "the stored sign-in to use (default: LATCHFLOW_PROFILE, then `default`)",
  },
  json: { type: "boolean", description: "print the result as JSON (shape in each command's --help)" },
  color: {
    type: "boolean",
    description: "no colours (also when NO_COLOR is set or output is not a terminal)",
  },
  help: { type: "boolean", short: "h", description: "show help with an example" },
} as const satisfies OptionSpecs;
