// The named schemas clients reuse; each has a type of the same name (`schemas.Bundle` as a type or a value).
export { Bundle } from "./operations/bundles.js";
