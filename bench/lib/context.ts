/** What every bench line gets from the orchestrator. */
export interface BenchContext {
  /** Smaller counts and fewer rounds (development runs; figures are then only indicative). */
  quick: boolean;
  /** When set, measured processes run with --cpu-prof and write their profiles here. */
  profileDir: string | undefined;
  log(text: string): void;
}

/** Node flags for a measured process: a CPU profile named after it when profiling. */
export function profileArgs(ctx: BenchContext, name: string): string[] {
  return ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}
