// The Slurm batch scripts of a sweep: a job array whose task I runs shard I/N into its own file, and the merge.
import Foundation

/// The two scripts `tracker sweep --slurm` writes: `array.sbatch`, a job array of `shards` tasks, task I running
/// `tracker sweep SWEEP.yaml --shard I/N` into `shard-I.sqlite` (each task its own SQLite file: a WAL database must
/// not be shared between hosts, as over NFS); and `merge.sbatch`, which merges the shard files into one database.
public struct SlurmScripts: Sendable, Equatable {
    /// Absolute path of the `tracker` binary the tasks run (a shared file system holds it, as it holds `folder`).
    public var tracker: String
    /// Absolute path of the folder with the sweep file, the shard files and `logs/`.
    public var folder: String
    /// The sweep file the tasks read (in `folder`).
    public var sweepFile: String
    public var sweepName: String
    /// Tasks in the array (N of `--shard I/N`).
    public var shards: Int
    /// CPUs per task: the task runs that many workers of one BLAS thread each.
    public var cpusPerTask: Int
    public var partition: String?
    /// Slurm's time limit per task (`--time`), e.g. `1:00:00`.
    public var timeLimit: String?
    /// Absolute path of the database the merge writes.
    public var mergedDatabase: String

    public init(tracker: String, folder: String, sweepFile: String, sweepName: String, shards: Int, cpusPerTask: Int,
                partition: String?, timeLimit: String?, mergedDatabase: String) {
        precondition(shards >= 1 && cpusPerTask >= 1, "a job array has at least one task of at least one CPU")
        self.tracker = tracker
        self.folder = folder
        self.sweepFile = sweepFile
        self.sweepName = sweepName
        self.shards = shards
        self.cpusPerTask = cpusPerTask
        self.partition = partition
        self.timeLimit = timeLimit
        self.mergedDatabase = mergedDatabase
    }

    /// `shard-07.sqlite`: the shard index zero-padded to the width of the last one, so the files list in order.
    public func shardFile(_ index: Int) -> String {
        let width = String(shards - 1).count
        let digits = String(index)
        return "shard-" + String(repeating: "0", count: max(0, width - digits.count)) + digits + ".sqlite"
    }

    /// The job array.
    public var array: String {
        let width = String(shards - 1).count
        return """
            #!/bin/bash
            # tracker sweep \(sweepName): \(shards) shard(s) as a Slurm job array. Task I runs shard I/\(shards) of the \
            sweep into its own
            # SQLite file (a WAL database must not be shared between hosts); merge.sbatch then merges them.
            #SBATCH --job-name=\(sweepName)
            #SBATCH --array=0-\(shards - 1)
            #SBATCH --cpus-per-task=\(cpusPerTask)
            #SBATCH --output=\(Self.quotedForDirective(folder + "/logs/shard-%a.out"))
            \(directives)set -euo pipefail
            shard=$(printf '%0\(width)d' "$SLURM_ARRAY_TASK_ID")
            cpus=${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}
            exec \(Self.shellQuoted(tracker)) sweep \(Self.shellQuoted(folder + "/" + sweepFile)) \\
                --shard "$SLURM_ARRAY_TASK_ID/\(shards)" --db \(Self.shellQuoted(folder + "/"))"shard-$shard.sqlite" \\
                --jobs "$cpus" --cores "$cpus"

            """
    }

    /// The merge job (submitted to start after the array, whatever its tasks' exit states).
    public var merge: String {
        """
        #!/bin/bash
        # tracker sweep \(sweepName): merges the shard files of the job array into one database.
        #SBATCH --job-name=\(sweepName)-merge
        #SBATCH --cpus-per-task=1
        #SBATCH --output=\(Self.quotedForDirective(folder + "/logs/merge.out"))
        \(directives)set -euo pipefail
        shopt -s nullglob
        shards=(\(Self.shellQuoted(folder + "/"))shard-*.sqlite)
        if [ ${#shards[@]} -eq 0 ]; then echo "no shard files in \(folder)" >&2; exit 1; fi
        exec \(Self.shellQuoted(tracker)) merge "${shards[@]}" --into \(Self.shellQuoted(mergedDatabase))

        """
    }

    private var directives: String {
        var lines = ""
        if let partition { lines += "#SBATCH --partition=\(partition)\n" }
        if let timeLimit { lines += "#SBATCH --time=\(timeLimit)\n" }
        return lines
    }

    /// `text` quoted for a POSIX shell: as it is when made of safe characters, else in single quotes.
    public static func shellQuoted(_ text: String) -> String {
        let safe = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }
        return safe ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// An `#SBATCH` value: sbatch reads directives without a shell, and takes a double-quoted value with spaces.
    static func quotedForDirective(_ text: String) -> String {
        text.contains(" ") ? "\"\(text)\"" : text
    }
}
