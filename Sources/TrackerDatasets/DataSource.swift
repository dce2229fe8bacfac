// What `--data` names: a bundled data set, a synthetic one, or a user's file or directory, loaded for a run.
import Foundation
import TrackerEngine

/// The file formats a data path may hold.
public enum DataFileFormat: String, Sendable, CaseIterable, Codable {
    /// IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST), plain or gzip.
    case idx
    /// CIFAR-10's binary batches.
    case cifar10
    /// Comma-separated values with a label column.
    case csv
    /// NumPy `.npy` files: features and labels in two files.
    case npy
    /// A NumPy `.npz` archive with arrays `x` and `y` (and optionally `x_test`, `y_test`).
    case npz
}

/// How to read a data file: its format when the file should not decide, and what CSV and `.npy` files need.
public struct DataFileOptions: Sendable, Equatable {
    /// nil: told by the file (magic bytes, directory members, extension).
    public var format: DataFileFormat?
    /// The labels file of a `.npy` features file; nil: `y.npy` (`y` for `x`, `X`) beside it.
    public var labelsPath: String?
    /// The CSV label column: `last`, `first`, a 1-based number or a header name.
    public var labelColumn = "last"
    public var header = CSVHeader.auto
    /// The shape of one sample, `C×H×W`, `H×W`, `T×F` or `F` (written with x or ×), replacing the file's own when
    /// the values per sample agree: a CSV row becomes an image or a sequence.
    public var sampleShape: String?

    public init(format: DataFileFormat? = nil, labelsPath: String? = nil, labelColumn: String = "last",
                header: CSVHeader = .auto, sampleShape: String? = nil) {
        self.format = format
        self.labelsPath = labelsPath
        self.labelColumn = labelColumn
        self.header = header
        self.sampleShape = sampleShape
    }
}

/// Data ready for a run: its samples, and the source's own held-out set when it has one.
public struct LoadedData: Sendable {
    /// For `datasets.name`: the bundled name, the synthetic set's full name, or `FORMAT:FILE` (`idx:fashion-mnist`).
    public let name: String
    /// For `datasets.source`: attribution, or the format, member files and scaling (no directories).
    public let source: String
    /// The path or synthetic name as given (for `runs.data_path`); nil for a bundled data set.
    public let path: String?
    /// The training samples; every sample when ``heldOut`` is nil (the run then splits off its test set).
    public let samples: Dataset
    /// The source's own test set (IDX `t10k`, CIFAR-10 `test_batch`, `x_test`/`y_test`), with the samples' shape and
    /// classes.
    public let heldOut: Dataset?
    /// Held-out samples to split off when the source has no test set of its own and the run does not say.
    public let defaultTestSamples: Int
}

/// Loads what `--data` names. A bundled name wins; then `synthetic:...`; otherwise it is a path.
///
/// Files are streamed in chunks (gzip inflated on the way, detected by its magic bytes 1f 8b); no file is read
/// whole into memory or converted to a String. Scaling: unsigned bytes (IDX, CIFAR-10, uint8 arrays) become
/// v / 255; float arrays and CSV numbers are taken as they are (float64 rounded to Float).
public enum DataSource {
    /// The most classes a data file may have (labels 0...65535): an output layer's largest size.
    public static let maximumClasses = 65536

    /// Loads the bundled data set, synthetic data set or file or directory `specification` names.
    ///
    /// - Throws: ``DatasetFormatError`` in one line naming the file and the problem: an unknown name, an
    ///   unrecognised format, missing directory members, bad magic, a truncated file, images and labels that do not
    ///   pair up, labels out of range, a bad CSV cell (with line and column), an unsupported dtype, an `.npz` without
    ///   `x` and `y`; with `setting` naming the option at fault when it is one.
    public static func load(_ specification: String,
                            options: DataFileOptions = DataFileOptions()) throws(DatasetFormatError) -> LoadedData {
        if let bundled = BundledDataset.named(specification) {
            let data: Dataset
            do {
                data = try bundled.load()
            } catch {
                throw DatasetFormatError(description: "\(bundled.name): \(error)")  // a build defect
            }
            return try LoadedData(name: bundled.name, source: bundled.source, path: nil,
                                  samples: reshaped(data, options.sampleShape), heldOut: nil,
                                  defaultTestSamples: bundled.defaultTestSamples)
        }
        if specification.hasPrefix(SyntheticDataset.prefix) {
            let synthetic = try SyntheticDataset.parse(specification)
            return try LoadedData(name: synthetic.name, source: synthetic.source, path: specification,
                                  samples: reshaped(synthetic.generate(), options.sampleShape), heldOut: nil,
                                  defaultTestSamples: synthetic.defaultTestSamples)
        }
        var isDirectory: ObjCBool = false
        guard !specification.isEmpty, FileManager.default.fileExists(atPath: specification, isDirectory: &isDirectory)
        else {
            throw DatasetFormatError(description: "unknown data set '\(specification)': not a bundled data set ("
                                     + BundledDataset.all.map(\.name).joined(separator: ", ") + "), not "
                                     + "synthetic:KIND, and no file or directory by that name")
        }
        let files = try DataFiles(path: specification, isDirectory: isDirectory.boolValue, options: options)
        return try files.load()
    }

    /// `data` with the sample shape `text` gives, when there is one.
    static func reshaped(_ data: Dataset, _ text: String?) throws(DatasetFormatError) -> Dataset {
        guard let text else { return data }
        let shape = try parseShape(text, valuesPerSample: data.featureCount, file: data.name)
        do {
            return try Dataset(name: data.name, sampleShape: shape, classCount: data.classCount,
                               features: data.features, labels: data.labels)
        } catch {
            preconditionFailure("reshaping kept the values, so the data stay valid: \(error)")
        }
    }

    /// Parses `1x28x28` (or `1×28×28`, `28,28`) as a sample shape with `valuesPerSample` values.
    ///
    /// - Throws: ``DatasetFormatError`` with setting "shape" for text that is not sizes ≥ 1, or sizes whose product
    ///   is not the values per sample of `file`.
    static func parseShape(_ text: String, valuesPerSample: Int, file: String) throws(DatasetFormatError) -> Shape {
        let parts = text.lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" || $0 == "," })
        let sizes = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, sizes.count == parts.count, sizes.count <= 3, sizes.allSatisfy({ $0 >= 1 }) else {
            throw DatasetFormatError(description: "shape '\(text)' is not 1 to 3 sizes ≥ 1 joined by x (e.g. 1x28x28)",
                                     setting: "shape")
        }
        let shape = Shape(sizes)
        guard shape.count == valuesPerSample else {
            throw DatasetFormatError(description: "shape \(shape.asciiDescription) holds \(shape.count) values, but "
                                     + "the samples of \(file) have \(valuesPerSample)", setting: "shape")
        }
        return shape
    }
}

/// Samples and labels read from a user's files, before they become data sets.
struct DecodedPart {
    var samples: FeatureArray
    var labels: [Int32]
    /// The files they came from, for messages.
    var samplesFile: String
    var labelsFile: String
    /// Whether the values were floats, which may be NaN or infinite (bytes never are).
    var mayHoldNonFinite = false
}

/// A user's data file or directory and how to read it.
struct DataFiles {
    let path: String
    let isDirectory: Bool
    let options: DataFileOptions
    let format: DataFileFormat

    /// Decides the format: the option when given, else the directory's members or the file's first bytes and name.
    init(path: String, isDirectory: Bool, options: DataFileOptions) throws(DatasetFormatError) {
        self.path = path
        self.isDirectory = isDirectory
        self.options = options
        if let format = options.format {
            self.format = format
        } else if isDirectory {
            if Self.member(of: path, IDXDirectory.trainImages) != nil {
                format = .idx
            } else if CIFAR10Directory.batchDirectory(path) != nil {
                format = .cifar10
            } else if Self.member(of: path, ["x.npy", "X.npy"]) != nil {
                format = .npy
            } else {
                throw DatasetFormatError(description: "\(path): a directory without a data set tracker reads (IDX "
                                         + "files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...; CIFAR-10 "
                                         + "data_batch_1.bin ... test_batch.bin; or x.npy and y.npy)")
            }
        } else {
            let head = try ByteChunks.prefix(of: path, count: 8)
            let name = Self.plainName(path).lowercased()
            if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
                format = .npy
            } else if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
                format = .npz
            } else if IDXFile.looksLikeIDX(head) || name.contains("-ubyte") {
                format = .idx
            } else if name.hasSuffix(".npy") || name.hasSuffix(".npz") {
                // Named as NumPy data but without its magic bytes: say so, rather than read it as something else.
                let kind = name.hasSuffix(".npy") ? "a NumPy .npy file (they start with \\x93NUMPY)"
                    : "a NumPy .npz archive (a zip file: it starts with PK)"
                throw DatasetFormatError(description: "\(path): bad magic: not \(kind); it starts with "
                                         + (head.isEmpty ? "nothing (empty file)" : IDXFile.hex(head)))
            } else if name.hasSuffix(".csv") || name.hasSuffix(".tsv") || name.hasSuffix(".txt") {
                format = .csv
            } else if name.hasSuffix(".bin") {
                format = .cifar10
            } else if head.isEmpty {
                throw DatasetFormatError(description: "\(path): empty file")
            } else if head.allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                format = .csv
            } else {
                throw DatasetFormatError(description: "\(path): cannot tell its format from its first bytes ("
                                         + "\(IDXFile.hex(head))) or its name; say which (idx, cifar10, csv, npy, npz)",
                                         setting: "data_format")
            }
        }
        if isDirectory && (format == .csv || format == .npz) {
            throw DatasetFormatError(description: "\(path): a directory, but \(format.rawValue) data is one file",
                                     setting: "data_format")
        }
    }

    /// Reads the files and checks that samples and labels pair up, shapes agree and labels are classes.
    func load() throws(DatasetFormatError) -> LoadedData {
        let (train, test, members, scaling) = try read()
        let name = "\(format.rawValue):\(URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent)"
        let described = format == .cifar10 ? "CIFAR-10 binary batches" : format == .idx ? "IDX files"
            : format == .csv ? "CSV file" : format == .npy ? ".npy files" : ".npz archive"
        let source = "\(described) \(members.joined(separator: ", ")); \(scaling)"
        var shape = train.samples.sampleShape
        if let text = options.sampleShape {
            shape = try DataSource.parseShape(text, valuesPerSample: shape.count, file: train.samplesFile)
        }
        for part in [train] + (test.map { [$0] } ?? []) {
            guard part.samples.count == part.labels.count else {
                throw DatasetFormatError(description: "\(part.samplesFile) has \(part.samples.count) samples but "
                                         + "\(part.labelsFile) has \(part.labels.count) labels")
            }
            if let sample = part.labels.firstIndex(where: { $0 < 0 || Int($0) >= DataSource.maximumClasses }) {
                let label = part.labels[sample]
                throw DatasetFormatError(description: "\(part.labelsFile): label \(label) of sample \(sample + 1) is "
                                         + (label < 0 ? "negative" : "above \(DataSource.maximumClasses - 1), the most "
                                            + "classes tracker trains"))
            }
            if part.mayHoldNonFinite, let position = part.samples.features.firstIndex(where: { !$0.isFinite }) {
                let width = part.samples.sampleShape.count
                throw DatasetFormatError(description: "\(part.samplesFile): value \(position % width + 1) of sample "
                                         + "\(position / width + 1) is not finite (\(part.samples.features[position]))")
            }
        }
        let classCount = Int(train.labels.max() ?? 0) + 1
        if let test {
            guard test.samples.sampleShape == train.samples.sampleShape else {
                throw DatasetFormatError(description: "\(test.samplesFile) has samples of shape "
                                         + "\(test.samples.sampleShape) but \(train.samplesFile) has "
                                         + "\(train.samples.sampleShape)")
            }
            if let sample = test.labels.firstIndex(where: { Int($0) >= classCount }) {
                throw DatasetFormatError(description: "\(test.labelsFile): label \(test.labels[sample]) of sample "
                                         + "\(sample + 1) is not a class of the training set (0...\(classCount - 1))")
            }
        }
        func dataset(_ part: DecodedPart, _ suffix: String) -> Dataset {
            do {
                return try Dataset(name: name + suffix, sampleShape: shape, classCount: classCount,
                                   features: part.samples.features, labels: part.labels)
            } catch {
                preconditionFailure("checked data failed validation: \(error)")
            }
        }
        return LoadedData(name: name, source: source, path: path, samples: dataset(train, ""),
                          heldOut: test.map { dataset($0, "-held-out") },
                          defaultTestSamples: max(1, train.labels.count / 5))
    }

    /// The training part, the held-out part if any, the member file names (without directories) and the scaling.
    private func read() throws(DatasetFormatError)
        -> (train: DecodedPart, test: DecodedPart?, members: [String], scaling: String) {
        switch format {
        case .idx:
            let (train, test) = try isDirectory ? IDXDirectory.read(directory: path) : IDXDirectory.read(images: path)
            return (train, test, Self.names([train] + (test.map { [$0] } ?? [])), "grey levels / 255")
        case .cifar10:
            let (train, test) = try CIFAR10Directory.read(path, isDirectory: isDirectory)
            return (train, test, Self.names([train] + (test.map { [$0] } ?? [])), "grey levels / 255")
        case .csv:
            let (samples, labels) = try CSVFile(path: path, labelColumn: LabelColumn(options.labelColumn),
                                                header: options.header).read()
            let part = DecodedPart(samples: samples, labels: labels, samplesFile: path, labelsFile: path)
            return (part, nil, [Self.plainName(path) + " (labels: column \(options.labelColumn))"], "values as written")
        case .npy:
            return try NumPyFiles.read(path, isDirectory: isDirectory, labelsPath: options.labelsPath)
        case .npz:
            return try NumPyFiles.readArchive(path)
        }
    }

    /// The file names of the parts' files, without directories, samples file before labels file.
    private static func names(_ parts: [DecodedPart]) -> [String] {
        parts.flatMap { [$0.samplesFile, $0.labelsFile] }.map(plainName)
    }

    /// The last component of `path`.
    static func plainName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

    /// The path of the first of `names` (each also with ".gz") that exists as a file in `directory` (the current
    /// directory when empty), or nil.
    static func member(of directory: String, _ names: [String]) -> String? {
        for name in names {
            for candidate in [name, name + ".gz"] {
                let memberPath = directory.isEmpty ? candidate : (directory as NSString).appendingPathComponent(candidate)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: memberPath, isDirectory: &isDirectory), !isDirectory.boolValue {
                    return memberPath
                }
            }
        }
        return nil
    }
}

/// The standard IDX file names of MNIST and its relatives, and reading them in pairs.
enum IDXDirectory {
    static let trainImages = ["train-images-idx3-ubyte", "train-images.idx3-ubyte"]
    static let trainLabels = ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"]
    static let testImages = ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"]
    static let testLabels = ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"]

    /// A directory with the four standard files (each plain or .gz): train files train, t10k files are held out.
    static func read(directory: String) throws(DatasetFormatError) -> (DecodedPart, DecodedPart?) {
        let members = [trainImages, trainLabels, testImages, testLabels].map { DataFiles.member(of: directory, $0) }
        let missing = zip(members, [trainImages, trainLabels, testImages, testLabels]).filter { $0.0 == nil }
        guard missing.isEmpty else {
            throw DatasetFormatError(description: "\(directory): missing "
                                     + missing.map { "\($0.1[0])[.gz]" }.joined(separator: ", ")
                                     + " (an IDX directory holds train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                     + "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or .gz)")
        }
        return (try pair(members[0]!, members[1]!), try pair(members[2]!, members[3]!))
    }

    /// A single images file, its labels file beside it (`...-images-idx3-ubyte` → `...-labels-idx1-ubyte`); when
    /// its name says `train`, the matching `t10k` or `test` pair beside it, if there, is held out.
    static func read(images path: String) throws(DatasetFormatError) -> (DecodedPart, DecodedPart?) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = DataFiles.plainName(path).replacingOccurrences(of: ".gz", with: "")
        func partner(_ name: String) -> String? {
            for (images, labels) in [("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1")]
            where name.contains(images) {
                return name.replacingOccurrences(of: images, with: labels)
            }
            return nil
        }
        guard let labelsName = partner(name) else {
            throw DatasetFormatError(description: "\(path): cannot find its labels: an IDX images file is named "
                                     + "...-images-idx3-ubyte[.gz], with ...-labels-idx1-ubyte[.gz] beside it")
        }
        guard let labels = DataFiles.member(of: directory, [labelsName]) else {
            throw DatasetFormatError(description: "\(path): its labels file \(labelsName)[.gz] is not beside it")
        }
        let train = try pair(path, labels)
        var test: DecodedPart?
        if name.contains("train-images") {
            for replacement in ["t10k", "test"] {
                let testName = name.replacingOccurrences(of: "train-images", with: "\(replacement)-images")
                if let testImages = DataFiles.member(of: directory, [testName]),
                   let testLabels = DataFiles.member(of: directory, [partner(testName)!]) {
                    test = try pair(testImages, testLabels)
                    break
                }
            }
        }
        return (train, test)
    }

    private static func pair(_ images: String, _ labels: String) throws(DatasetFormatError) -> DecodedPart {
        DecodedPart(samples: try IDXFile.readImages(images), labels: try IDXFile.readLabels(labels),
                    samplesFile: images, labelsFile: labels)
    }
}

/// CIFAR-10's batch files, as the binary archive unpacks them.
enum CIFAR10Directory {
    /// The directory holding the batches: `path` itself, or its `cifar-10-batches-bin` folder.
    static func batchDirectory(_ path: String) -> String? {
        for candidate in [path, (path as NSString).appendingPathComponent("cifar-10-batches-bin")]
        where DataFiles.member(of: candidate, [CIFAR10File.trainingBatches[0]]) != nil {
            return candidate
        }
        return nil
    }

    /// The five training batches (train) and the test batch (held out) of a directory, or one batch file.
    static func read(_ path: String, isDirectory: Bool) throws(DatasetFormatError) -> (DecodedPart, DecodedPart?) {
        func part(_ files: [String]) throws(DatasetFormatError) -> DecodedPart {
            // Reserved from the plain files' sizes (gzip ones grow the arrays as they come).
            let records = files.reduce(0) { total, file in
                let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
                return total + (file.hasSuffix(".gz") ? 0 : size / CIFAR10File.recordWidth)
            }
            var features: [Float] = []
            var labels: [Int32] = []
            features.reserveCapacity(records * CIFAR10File.sampleShape.count)
            labels.reserveCapacity(records)
            for file in files {
                try CIFAR10File.read(file, appendingTo: &features, labels: &labels)
            }
            let name = files.count == 1 ? files[0] : files[0].replacingOccurrences(of: "_1.bin", with: "_1...5.bin")
            return DecodedPart(samples: FeatureArray(sampleShape: CIFAR10File.sampleShape, count: labels.count,
                                                     features: features),
                               labels: labels, samplesFile: name, labelsFile: name)
        }
        guard isDirectory else { return (try part([path]), nil) }
        let directory = batchDirectory(path) ?? path
        let names = CIFAR10File.trainingBatches + [CIFAR10File.testBatch]
        let members = names.map { DataFiles.member(of: directory, [$0]) }
        let missing = zip(members, names).filter { $0.0 == nil }.map { "\($0.1)[.gz]" }
        guard missing.isEmpty else {
            throw DatasetFormatError(description: "\(directory): missing \(missing.joined(separator: ", ")) (a CIFAR-10 "
                                     + "directory holds data_batch_1.bin ... data_batch_5.bin and test_batch.bin)")
        }
        return (try part(members.dropLast().map { $0! }), try part([members.last!!]))
    }
}

/// NumPy arrays: an `x`/`y` pair of `.npy` files, a directory of them, or an `.npz` archive.
enum NumPyFiles {
    /// Features and labels from `.npy` files: `x.npy` with `labelsPath` (or the `y` file beside it), or a directory
    /// with `x.npy` and `y.npy` and, optionally, `x_test.npy` and `y_test.npy` held out.
    static func read(_ path: String, isDirectory: Bool, labelsPath: String?) throws(DatasetFormatError)
        -> (train: DecodedPart, test: DecodedPart?, members: [String], scaling: String) {
        var files: [(String, String)] = []
        if isDirectory {
            guard let x = DataFiles.member(of: path, ["x.npy", "X.npy"]),
                  let y = DataFiles.member(of: path, ["y.npy", "Y.npy"]) else {
                throw DatasetFormatError(description: "\(path): missing x.npy or y.npy (a NumPy directory holds x.npy "
                                         + "and y.npy, and optionally x_test.npy and y_test.npy)")
            }
            files.append((x, y))
            let testX = DataFiles.member(of: path, ["x_test.npy", "X_test.npy"])
            let testY = DataFiles.member(of: path, ["y_test.npy", "Y_test.npy"])
            if let testX, let testY {
                files.append((testX, testY))
            } else if testX != nil || testY != nil {
                let problem = testX != nil ? "x_test.npy but no y_test.npy" : "y_test.npy but no x_test.npy"
                throw DatasetFormatError(description: "\(path): has \(problem)")
            }
        } else if let labelsPath {
            files.append((path, labelsPath))
        } else {
            let directory = (path as NSString).deletingLastPathComponent
            let name = DataFiles.plainName(path)
            guard name.first == "x" || name.first == "X",
                  let y = DataFiles.member(of: directory, ["y" + name.dropFirst()]) else {
                throw DatasetFormatError(description: "\(path): holds features only; name its labels file (a y.npy "
                                         + "beside an x.npy is found by itself)", setting: "labels")
            }
            files.append((path, y))
        }
        var parts: [DecodedPart] = []
        var scaling = ""
        for (x, y) in files {
            let features = try NumPyFile.read(x, role: .features)
            let labels = try NumPyFile.read(y, role: .labels)
            parts.append(try part(features, labels))
            if scaling.isEmpty { scaling = features.type == .uint8 ? "uint8 / 255" : "\(features.type.name) as is" }
        }
        return (parts[0], parts.count > 1 ? parts[1] : nil,
                files.flatMap { [DataFiles.plainName($0.0), DataFiles.plainName($0.1)] }, scaling)
    }

    /// Features and labels from an `.npz` archive: `x` (or `x_train`) and `y` (or `y_train`); `x_test` and `y_test`
    /// held out when both are there.
    static func readArchive(_ path: String) throws(DatasetFormatError)
        -> (train: DecodedPart, test: DecodedPart?, members: [String], scaling: String) {
        let (arrays, all) = try NumPyFile.readArchive(path, members: [
            ("x", .features), ("x_train", .features), ("y", .labels), ("y_train", .labels), ("x_test", .features),
            ("y_test", .labels)])
        guard let x = arrays["x"] ?? arrays["x_train"], let y = arrays["y"] ?? arrays["y_train"] else {
            let listed = all.prefix(8).joined(separator: ", ") + (all.count > 8 ? ", …" : "")
            throw DatasetFormatError(description: "\(path): no arrays x and y (or x_train and y_train) in the archive "
                                   + "(it holds: \(listed.isEmpty ? "nothing" : listed))")
        }
        var test: DecodedPart?
        if let testX = arrays["x_test"], let testY = arrays["y_test"] {
            test = try part(testX, testY)
        } else if arrays["x_test"] != nil || arrays["y_test"] != nil {
            let problem = arrays["x_test"] != nil ? "x_test but no y_test" : "y_test but no x_test"
            throw DatasetFormatError(description: "\(path): has \(problem)")
        }
        let members = [x, y] + (test == nil ? [] : [arrays["x_test"]!, arrays["y_test"]!])
        return (try part(x, y), test,
                members.map { String($0.name.split(separator: " ").last ?? "") },
                x.type == .uint8 ? "uint8 / 255" : "\(x.type.name) as is")
    }

    /// Pairs decoded features and labels: features (N, F) → F, (N, H, W) → 1×H×W, (N, C, H, W) → C×H×W, and
    /// (N, H, W, C) with C in {1, 3} (channels last, as Keras saves images) transposed to C×H×W; labels (N,) or (N, 1).
    static func part(_ x: NumPyDecoder, _ y: NumPyDecoder) throws(DatasetFormatError) -> DecodedPart {
        let shape = x.shape
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var features = x.features
        let sampleShape: Shape
        switch shape.count {
        case 1: sampleShape = Shape([1])
        case 2: sampleShape = Shape([shape[1]])
        case 3: sampleShape = Shape([1, shape[1], shape[2]])
        case 4 where [1, 3].contains(shape[3]) && ![1, 3].contains(shape[1]):
            sampleShape = Shape([shape[3], shape[1], shape[2]])
            features = channelsFirst(features, count: shape[0], height: shape[1], width: shape[2], channels: shape[3])
        case 4: sampleShape = Shape([shape[1], shape[2], shape[3]])
        default:
            throw DatasetFormatError(description: "\(x.name): features of shape \(shapeText) have \(shape.count) "
                                     + "dimensions; tracker reads (N, F), (N, H, W) and (N, C, H, W)")
        }
        guard y.shape.count == 1 || (y.shape.count == 2 && y.shape[1] == 1) else {
            let labelShape = "(" + y.shape.map(String.init).joined(separator: ", ") + ")"
            throw DatasetFormatError(description: "\(y.name): labels of shape \(labelShape); tracker reads class "
                                     + "numbers of shape (N,)" + (y.shape.count == 2 ? " (one-hot rows? take argmax)" : ""))
        }
        return DecodedPart(samples: FeatureArray(sampleShape: sampleShape, count: shape[0], features: features),
                           labels: y.labels, samplesFile: x.name, labelsFile: y.name,
                           mayHoldNonFinite: x.type != .uint8)
    }

    /// (N, H, W, C) values reordered as (N, C, H, W).
    static func channelsFirst(_ values: [Float], count: Int, height: Int, width: Int, channels: Int) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        let plane = height * width
        for sample in 0..<count {
            let base = sample * plane * channels
            for position in 0..<plane {
                for channel in 0..<channels {
                    result[base + channel * plane + position] = values[base + position * channels + channel]
                }
            }
        }
        return result
    }
}
