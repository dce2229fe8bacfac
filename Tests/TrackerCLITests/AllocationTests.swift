// The training step allocates nothing: counted by ordo-one's malloc interposer in a separate process.
import Foundation
import Testing

@Suite struct AllocationTests {
    /// Every architecture family the engine builds, small enough to train in a blink (8×8 inputs; 16×16 and 32×32
    /// for the threaded paths).
    static let architectures = [
        "128,64", "dense32-relu-dense16-tanh-dense16-sigmoid-dense8-gelu-dense8-leakyrelu", "dense16-relu@8x8",
        "conv4k3p1-relu-maxpool2-conv4k3-relu-avgpool2-flatten-dense8-relu", "conv6k3s2p1-tanh-maxpool3s1-gap@2x8x8",
        "rnn12@6x5", "lstm12-lstm8@6x5", "gru12@1x6x5",
        // Batch norm, dropout and DeCov on vector, image and sequence outputs.
        "dense16-bn-relu-dropout0.5-dense8-tanh+decov",
        "conv4k3p1-bn-relu-dropout0.25-maxpool2-flatten-dense8-bn-relu+decov@1x8x8",
        "rnn6-dropout0.5+decov@6x5",
        // Large enough that the dense, conv, activation, pooling and recurrent layers split their batch of 16 over
        // the probe's 2 threads.
        "dense1024-relu@16x16", "conv32k3p1-relu-maxpool2-flatten@3x32x32", "rnn128@16x16", "lstm64@16x16",
        "gru96@16x16",
    ]

    @Test func trainingStepsAllocateNothing() throws {
        let directory = TrackerProcess.executable.deletingLastPathComponent()
        let probe = directory.appending(path: "tracker-allocation-probe")
        let process = Process()
        process.executableURL = probe
        process.arguments = Self.architectures
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = directory.appending(path: "libMallocInterposerSwift.so").path
        environment["TRACKER_PROBE_THREADS"] = "2"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
        try #require(lines.count == Self.architectures.count + 1, "\(String(decoding: data, as: UTF8.self))")
        // The control window allocates on purpose: a zero there would mean the interposer is not counting.
        #expect((lines[0]["mallocs"] as? Int ?? 0) > 0, "the malloc interposer is not loaded")
        for line in lines.dropFirst() {
            #expect(line["error"] == nil, "\(line)")
            #expect(line["steps"] as? Int == 12, "\(line)")
            #expect(line["mallocs"] as? Int == 0,
                    "\(line["architecture"] ?? "?"): allocations in the training loop; run the probe with TRACKER_PROBE_BACKTRACE=1")
        }
    }
}
