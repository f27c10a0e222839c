/** The environment a command runs in: process.env from bin/otelpoc, a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;
