// The edge counters instrumented modules bump (fuzz/engine/instrument.ts) and the fuzz loop reads
// after every input. One flat array for the whole thread: edge ids are handed out in the order
// modules are loaded, so a module's edges are a contiguous range (`CoverageMap.files`).

/** Room for every edge of src/ several times over; an instrumented module past it throws at load. */
export const MAX_EDGES = 1 << 18;

export interface FileEdges {
  readonly file: string;
  readonly first: number;
  /** One past the last edge id of the file. */
  readonly end: number;
  /** Source line of each edge, `end - first` of them, for reports. */
  readonly lines: readonly number[];
}

export interface CoverageMap {
  readonly counters: Uint32Array;
  /** Edges handed out so far: the loop scans counters[0, used). */
  used: number;
  readonly files: FileEdges[];
  /** Numeric and string literals of the instrumented sources: the auto-dictionary. */
  readonly literals: Set<string>;
}

interface CoverageGlobal {
  __hz_cov?: Uint32Array;
  __hz_map?: CoverageMap;
}

/** The thread's coverage map, created on first use; instrumented code reads `globalThis.__hz_cov`. */
export function coverageMap(): CoverageMap {
  const g = globalThis as CoverageGlobal;
  if (g.__hz_map === undefined) {
    const counters = new Uint32Array(MAX_EDGES);
    g.__hz_cov = counters;
    g.__hz_map = { counters, used: 0, files: [], literals: new Set() };
  }
  return g.__hz_map;
}

/** The map when instrumentation is on in this thread, else null (plain replay, as in the smoke test). */
export function activeCoverage(): CoverageMap | null {
  const m = (globalThis as CoverageGlobal).__hz_map;
  return m !== undefined && m.used > 0 ? m : null;
}
