// The checks live in ./checks/, one file each; this path is kept for the modules that import it.
export { runChecks } from './checks/index.js';
