/** prefopt: the public library API. */

export { UserError } from "./engine/errors.js";
export { initEngine } from "./engine/init.js";
