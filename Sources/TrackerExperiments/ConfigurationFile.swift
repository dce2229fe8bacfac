// Configuration files: YAML mappings of setting keys to values, read with their line numbers, and written back.
import Foundation
import Yams

/// A run's settings as YAML text, one `key: value` line per setting, with the keys of ``ExperimentConfiguration``'s
/// settings table (the `tracker run` flags without their dashes):
///
/// ```yaml
/// arch: dense64-relu-dense32-relu
/// lr: 0.02
/// probe: [dense1, dense2]
/// clip-norm: null
/// ```
public enum ConfigurationFile {
    /// The settings in `text`, in the order written, each checked against its setting's type.
    ///
    /// An empty text gives no settings. Values may be scalars, flow or block lists (for list settings) or `null`
    /// (for optional ones); a setting's type decides how a scalar reads (`arch: 128` is the text "128").
    ///
    /// - Parameters:
    ///   - text: The YAML.
    ///   - source: What the text is, for errors: a file's path, "run 3's configuration".
    /// - Throws: ``SettingError`` naming the source and line: for YAML that does not parse, a document that is not
    ///   a mapping, an unknown or repeated key, or a value of the wrong type.
    public static func settings(fromYAML text: String, source: String) throws(SettingError) -> [GivenSetting] {
        guard let root = try compose(text, source: source) else { return [] }
        guard case .mapping(let mapping) = root else {
            throw SettingError(origin: .text(source: source, line: root.mark?.line), key: nil,
                               message: "expected settings as 'key: value' lines, found \(describe(root)) (e.g. 'lr: 0.05')")
        }
        return try settings(in: mapping, source: source)
    }

    /// The YAML document in `text` as a node tree (nil for an empty text).
    ///
    /// - Throws: ``SettingError`` naming the source and line of a syntax error or a repeated key.
    static func compose(_ text: String, source: String) throws(SettingError) -> Node? {
        func failure(_ line: Int?, _ key: String?, _ message: String) -> SettingError {
            SettingError(origin: .text(source: source, line: line), key: key, message: message)
        }
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                // libyaml finds an unclosed bracket or quote only lines later: name where it opened too.
                let opened = context.map { $0.mark.line == mark.line ? "" : ", \($0.text) from line \($0.mark.line)" }
                throw failure(mark.line, nil, "not valid YAML: \(problem) (column \(mark.column)\(opened ?? ""))")
            case .duplicatedKeysInMapping(let duplicates, let context):
                let key = duplicates.first ?? ""
                throw failure(context.mark.line, key, "\(key): given more than once")
            case .reader(let problem, _, _, _):
                throw failure(nil, nil, "not readable as YAML text: \(problem)")
            default:
                throw failure(nil, nil, "not valid YAML: \(error)")
            }
        } catch {
            throw failure(nil, nil, "not valid YAML: \(error)")
        }
    }

    /// The settings of a YAML mapping, in the order written, each checked against its setting's type.
    static func settings(in mapping: Node.Mapping, source: String) throws(SettingError) -> [GivenSetting] {
        func failure(_ line: Int?, _ key: String?, _ message: String) -> SettingError {
            SettingError(origin: .text(source: source, line: line), key: key, message: message)
        }
        var given: [GivenSetting] = []
        var scratch = ExperimentConfiguration()
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line
            guard case .scalar(let keyScalar) = keyNode else {
                throw failure(line, nil, "expected a key, found \(describe(keyNode))")
            }
            let key = keyScalar.string
            guard let setting = ExperimentConfiguration.setting(key) else {
                throw failure(line, key, ExperimentConfiguration.unknownKeyMessage(key))
            }
            let value: SettingValue
            switch valueNode {
            case .scalar(let scalar):
                let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
                value = isNull ? .null : .scalar(scalar.string)
            case .sequence(let sequence):
                var items: [String] = []
                for item in sequence {
                    guard case .scalar(let scalar) = item else {
                        throw failure(item.mark?.line ?? line, key,
                                      "\(key): expected \(setting.expectation), found a list holding \(describe(item))")
                    }
                    items.append(scalar.string)
                }
                value = .list(items)
            default:
                throw failure(line, key, "\(key): expected \(setting.expectation), found \(describe(valueNode))")
            }
            let origin = SettingOrigin.text(source: source, line: line)
            try setting.apply(value, to: &scratch, origin: origin)
            given.append(GivenSetting(key: key, value: value, origin: origin))
        }
        return given
    }

    /// `settings` as YAML, one `key: value` line each, in order: lists in flow style (`[dense1, dense2]`), `null`
    /// for unset values, text quoted when it could read as a number, boolean or null, or does not stand plain.
    public static func yaml(_ settings: [(key: String, value: SettingValue)]) -> String {
        settings.map { key, value in
            let isText = ExperimentConfiguration.setting(key)?.isText ?? true
            let text: String = switch value {
            case .null: "null"
            case .scalar(let scalar): isText ? quoted(scalar, inList: false) : scalar
            case .list(let items): "[" + items.map { quoted($0, inList: true) }.joined(separator: ", ") + "]"
            }
            return "\(key): \(text)\n"
        }.joined()
    }

    /// The stored configuration of `configuration`: every stored setting with its value, defaults included.
    public static func yaml(for configuration: ExperimentConfiguration) -> String {
        yaml(configuration.storedSettings)
    }

    /// `text` as a YAML scalar that reads back as the same string: plain when it is made of safe characters and
    /// could not read as another type, else double-quoted (JSON string escapes are valid YAML ones).
    static func quoted(_ text: String, inList: Bool) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+=-_"
                                + (inList ? "" : ","))
        let reserved: Set = ["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"]
        let isPlain = !text.isEmpty && text.unicodeScalars.allSatisfy(safe.contains)
            && text.first.map { $0.isLetter || $0.isNumber } == true
            && !reserved.contains(text.lowercased()) && Double(text) == nil
        if isPlain { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    /// "a list", "a mapping", "the text 'x'", for errors.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "the text '\(scalar.string)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }
}
