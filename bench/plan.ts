// How much a run measures: the full run stays under about ten minutes on the
// sandbox's machine; `--quick` measures every scenario once or a few times.

/** Round-trip times, repetitions and sizes of one run. */
export interface Plan {
  readonly quick: boolean;
  /** Round-trip times of every scenario. */
  readonly rtts: readonly number[];
  /** Round-trip times of the exec sweep, ours and the real clients'. */
  readonly sweep: readonly number[];
  /** Runs of our exec `true`, at each sweep point. */
  readonly execRuns: number;
  /** Runs of our other single operations. */
  readonly runs: number;
  /** Runs of each real client's command, and of our CLI as a process. */
  readonly clientRuns: number;
  /** Runs of each fan-out size. */
  readonly fanOutRuns: number;
  readonly fanOutSizes: readonly number[];
  /** Runs of large transfers and of trees, each tool. */
  readonly bulkRuns: number;
  readonly largeFileBytes: number;
  /**
   * Bytes of the large file the real clients move when a round trip is added:
   * `incus file pull` made about 1 MB/s at 26 ms here, minutes for the whole file.
   * Ours moves this file too, for a comparison on the same bytes.
   */
  readonly sampleFileBytes: number;
  readonly treeFiles: number;
  /**
   * Files of the tree the real clients move when a round trip is added: they pay
   * several round trips a file, which for the whole tree would take minutes. Ours
   * moves this tree too, for a comparison on the same files.
   */
  readonly sampleTreeFiles: number;
}

export const fullPlan: Plan = {
  quick: false,
  rtts: [0, 26],
  sweep: [0, 10, 26, 50, 100],
  execRuns: 30,
  runs: 15,
  clientRuns: 10,
  fanOutRuns: 5,
  fanOutSizes: [3, 10, 30],
  bulkRuns: 3,
  largeFileBytes: 200 * 2 ** 20,
  sampleFileBytes: 16 * 2 ** 20,
  treeFiles: 2000,
  sampleTreeFiles: 100,
};

export const quickPlan: Plan = {
  quick: true,
  rtts: [0, 26],
  sweep: [0, 26],
  execRuns: 5,
  runs: 3,
  clientRuns: 2,
  fanOutRuns: 1,
  fanOutSizes: [3, 10, 30],
  bulkRuns: 1,
  largeFileBytes: 16 * 2 ** 20,
  sampleFileBytes: 4 * 2 ** 20,
  treeFiles: 200,
  sampleTreeFiles: 20,
};
