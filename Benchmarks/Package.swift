// swift-tools-version:6.2
// Micro-benchmarks of Switchyard's hot paths (ordo-one/benchmark). Kept out of the main package
// so that its build and CI never compile the benchmark framework.
//   cd Benchmarks && swift package benchmark            (release build, about 5 minutes the first time)
//   cd Benchmarks && swift run -c release LedgerThroughput 200000 "$SWITCHYARD_POSTGRES_URL"
import PackageDescription

let package = Package(
    name: "SwitchyardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Switchyard", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SwitchyardBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchyardCore", package: "Switchyard"),
                .product(name: "SwitchyardProviders", package: "Switchyard"),
            ],
            path: "Benchmarks/SwitchyardBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Ledger write throughput in batches, SQLite and PostgreSQL:
        //   swift run -c release LedgerThroughput [entries] [postgres-url]
        .executableTarget(
            name: "LedgerThroughput",
            dependencies: [
                .product(name: "SwitchyardCore", package: "Switchyard"),
                .product(name: "SwitchyardStore", package: "Switchyard"),
            ],
            path: "Sources/LedgerThroughput"
        ),
    ]
)
