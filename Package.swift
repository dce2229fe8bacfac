// swift-tools-version: 6.0
// tracker: train neural networks, watch their hidden layers decorrelate, keep every run in SQLite.
import PackageDescription

let package = Package(
    name: "tracker",
    products: [
        .executable(name: "tracker", targets: ["tracker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        // Reads `tracker run --config` files (YAML, with line numbers for errors).
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        // Counts heap allocations (LD_PRELOAD interposer), for the test that the training step allocates nothing.
        .package(url: "https://github.com/ordo-one/malloc-interposer", exact: "1.6.1"),
        // Reads NumPy .npz files (zip archives, stored or deflated), so tracker has no zip reader of its own.
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        // System libraries from Debian (scripts/setup installs them).
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // zlib (not named CZlib: ZIPFoundation's own zlib module has that name, and module names are global).
        .systemLibrary(name: "CZlibSystem", providers: [.apt(["zlib1g-dev"])]),
        // SQLite's defensive mode and untrusted schema for every connection (a C call Swift cannot make directly).
        .systemLibrary(name: "CSQLiteDefensive", providers: [.apt(["libsqlite3-dev"])]),

        // Compiles Migrations/, Queries/ and Datasets/ into the binary, so a copied `tracker` needs no
        // resource folder beside it.
        .executableTarget(name: "EmbedFilesTool", path: "Sources/EmbedFilesTool"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["EmbedFilesTool"]),

        // The numerics layer under engine and analysis: the BLAS door (with its thread setting) and owned buffers.
        .target(name: "TrackerNumerics", dependencies: ["CBLAS"]),
        // Shapes, layers, losses, optimisers, the training loop. Knows nothing about SQL.
        .target(name: "TrackerEngine", dependencies: ["TrackerNumerics"]),
        // Datasets bundled with tracker (UCI digits, an MNIST subset), decoded from the embedded gzip files; the
        // readers of users' files (IDX, CIFAR-10 binary, CSV, .npy, .npz) and the seeded synthetic data sets.
        .target(name: "TrackerDatasets", dependencies: ["TrackerEngine", "CZlibSystem", "ZIPFoundation"],
                plugins: ["EmbedFiles"]),
        // Correlation statistics and phase detection (later: comparison): pure functions over arrays.
        .target(name: "TrackerAnalysis", dependencies: ["TrackerNumerics"]),
        // Figures (panels, axes, lines, bands, shaded spans) drawn as SVG: pure Swift, depends on no other module.
        .target(name: "TrackerPlot"),
        // The SQLite store: the only module that speaks SQL. Knows nothing about layers.
        .target(name: "TrackerStore",
                dependencies: ["CSQLiteDefensive", .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "GRDBSQLite", package: "GRDB.swift"),
                               .product(name: "Crypto", package: "swift-crypto")],
                plugins: ["EmbedFiles"]),
        // Wires engine, analysis and store together: one experiment, from configuration to stored run.
        .target(name: "TrackerExperiments",
                dependencies: ["TrackerEngine", "TrackerNumerics", "TrackerDatasets", "TrackerAnalysis", "TrackerStore",
                               "ZIPFoundation", .product(name: "Yams", package: "Yams")]),
        // Figures of stored runs and the self-contained HTML report (`tracker plot`, `tracker report`).
        .target(name: "TrackerReport",
                dependencies: ["TrackerPlot", "TrackerExperiments", "TrackerAnalysis", "TrackerStore"]),
        // The command-line tool: thin commands, one file each.
        .executableTarget(name: "tracker",
                          dependencies: ["TrackerExperiments", "TrackerStore", "TrackerEngine", "TrackerDatasets", "TrackerReport",
                                         "TrackerPlot",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Benchmarks: training throughput, correlation cost, data set load time, store write rate. Prints a table.
        .executableTarget(name: "tracker-bench",
                          dependencies: ["TrackerExperiments", "TrackerDatasets", "TrackerStore", "TrackerEngine",
                                         "TrackerAnalysis", "TrackerNumerics",
                                         .product(name: "GRDB", package: "GRDB.swift")],
                          path: "Sources/TrackerBench"),

        // Counts the allocations of training steps under the malloc interposer; run by the allocation test.
        .executableTarget(name: "tracker-allocation-probe",
                          dependencies: ["TrackerEngine", "TrackerNumerics",
                                         .product(name: "MallocInterposerSwift", package: "malloc-interposer")],
                          path: "Sources/TrackerAllocationProbe"),

        .testTarget(name: "TrackerEngineTests", dependencies: ["TrackerEngine", "TrackerNumerics", "TrackerTestSupport"]),
        .testTarget(name: "TrackerDatasetsTests", dependencies: ["TrackerDatasets", "TrackerTestSupport", "ZIPFoundation"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TrackerAnalysisTests", dependencies: ["TrackerAnalysis", "TrackerNumerics", "TrackerTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TrackerPlotTests", dependencies: ["TrackerPlot"]),
        .testTarget(name: "TrackerStoreTests", dependencies: ["TrackerStore", "TrackerTestSupport"]),
        .testTarget(name: "TrackerExperimentsTests", dependencies: ["TrackerExperiments", "TrackerStore", "TrackerEngine",
                                                                        "TrackerDatasets", "TrackerTestSupport"]),
        // GRDB to age a database as an older tracker left it (a run without a stored configuration).
        .testTarget(name: "TrackerCLITests", dependencies: ["TrackerTestSupport",
                                                            .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "TrackerTestSupport", path: "Tests/TrackerTestSupport"),
    ],
    swiftLanguageModes: [.v6]
)
