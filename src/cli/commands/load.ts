import { LOAD_COMMAND_OPTIONS, load } from '../../pipeline/load.js';
import type { CliContext } from '../context.js';
import { followPipeline } from '../pipeline-events.js';
import type { CommandSpec } from '../program.js';

export const loadSpec = (ctx: CliContext): CommandSpec<typeof LOAD_COMMAND_OPTIONS> => ({
  name: 'load',
  summary: 'send exact-rate multi-tenant traffic and write a run manifest',
  description: [
    'Sends GET /api traffic at an exact rate (open model: start times are scheduled, a request due while --max-inflight are in flight is dropped and counted, never delayed) or as fast as possible (--rps max: closed model over --connections). Tenants (Client-ID) and statuses (?sc=) follow an exact, deterministic weighted round robin; every request carries X-Run-ID.',
    'Writes the run manifest (what verify checks) to .otelpoc/runs/<run-id>.json and .otelpoc/last-run.json, or --out.',
    "Sharded runs (one run over several processes or machines): --shard i/n sends requests i, i+n, … of the one global schedule, at their global times, with the tenant × status the unsharded run gives them; rate, --requests, --connections and --max-inflight describe the whole run. Every shard needs the same flags and --run-id; its manifest goes to .otelpoc/runs/<run-id>/shard-<i>-of-<n>.json (or --out), and `otelpoc verify --manifest DIR` checks all shards as one run. --start-at starts every shard at one instant; --workers N sends this process's part from N worker processes on this machine, merged into one manifest and one summary.",
    'Exit 0 when the run completed, 1 when nothing was answered (nothing listens at the target), a --max-*-rate threshold is exceeded or a --workers worker died, 2 on bad flags, 130 when interrupted (the partial manifest is still written).',
  ],
  table: LOAD_COMMAND_OPTIONS,
  note: 'Server options (--delay, --seed, --otlp-endpoint, --export-interval, --max-tenants, --tenant-header, --default-tenant) apply to the in-process server of --serve.',
  examples: [
    'otelpoc load --serve --rps 50 --tenants 3 --duration 10s',
    'otelpoc load --rps 200 --duration 30s --status-mix 200:85,404:10,500:5 --anonymous 10%',
    'otelpoc load --requests 1000 --client-ids acme,globex --tenant-weights 3,1',
    'otelpoc load --scenario ramp --max-drop-rate 0.1%',
    'otelpoc load --scenario ./my-scenario.yaml --json > run.json',
    'otelpoc load --rps max --connections 50 --duration 20s',
    'otelpoc load --serve --shard 0/3 --run-id big-1 --rps 300 --requests 30000   # one of 3 processes',
  ],
  action: async (given) => {
    const json = given.json === true;
    const follow = followPipeline(ctx, { talk: given.quiet !== true && !json });
    const out = await load(given, follow.deps).finally(() => follow.done());
    if (json) ctx.runtime.stdout.write(`${JSON.stringify(out.manifest, null, 2)}\n`);
    if (out.failure) throw out.failure;
    return out.code;
  },
});
