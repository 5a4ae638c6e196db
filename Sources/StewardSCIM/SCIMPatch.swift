import Foundation

/// A PATCH request (RFC 7644 §3.5.2), applied to the resource's document; the result is then
/// read like a PUT's body, so a PATCH can make nothing a PUT could not.
public struct SCIMPatch: Sendable, Equatable {
    public enum Op: String, Sendable { case add, replace, remove }

    /// `attrPath`, or `attr[filter]` with an optional `.subAttr`.
    public struct Target: Sendable, Equatable {
        public var path: SCIMPath
        public var filter: SCIMFilter?

        public init(_ text: String) throws(SCIMError) {
            guard text.count <= SCIMFilter.maxLength else { throw SCIMError(400, .invalidPath, "The path is too long.") }
            guard let open = text.firstIndex(of: "[") else {
                path = try SCIMPath(text)
                return
            }
            guard let close = text.lastIndex(of: "]"), close > open else { throw SCIMError(400, .invalidPath, "A bracket is not closed.") }
            var attribute = try SCIMPath(String(text[..<open]))
            guard attribute.subAttribute == nil else { throw SCIMError(400, .invalidPath, "A filter follows the attribute, not its sub-attribute.") }
            do { filter = try SCIMFilter(String(text[text.index(after: open)..<close])) } catch {
                throw SCIMError(400, .invalidPath, error.detail)
            }
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix("."), SCIMPath.isName(rest.dropFirst()) else { throw SCIMError(400, .invalidPath, "Bad sub-attribute after the filter.") }
                attribute.subAttribute = String(rest.dropFirst())
            }
            path = attribute
        }
    }

    public struct Operation: Sendable, Equatable {
        public var op: Op
        public var target: Target?
        public var value: SCIMValue?
    }

    public static let maxOperations = 1_000
    public var operations: [Operation]

    public init(_ document: SCIMValue) throws(SCIMError) {
        guard let schemas = document["schemas"]?.array, schemas.contains(.string(SCIMSchema.patchOp)) else {
            throw SCIMError(400, .invalidSyntax, "A PATCH names the PatchOp schema.")
        }
        guard let list = document["Operations"]?.array, !list.isEmpty else {
            throw SCIMError(400, .invalidSyntax, "A PATCH needs \"Operations\".")
        }
        guard list.count <= Self.maxOperations else { throw SCIMError(400, .tooMany, "More than 1,000 operations in one PATCH.") }
        operations = try list.map { item throws(SCIMError) in
            guard let name = item["op"]?.string, let op = Op(rawValue: name.lowercased()) else {
                throw SCIMError(400, .invalidSyntax, "Each operation's \"op\" is add, replace or remove.")
            }
            var target: Target?
            if let path = item["path"] {
                guard let text = path.string else { throw SCIMError(400, .invalidPath, "\"path\" is a string.") }
                target = try Target(text)
            }
            let value = item["value"]
            if op == .remove, target == nil { throw SCIMError(400, .noTarget, "A remove operation needs a path.") }
            if op != .remove, value == nil { throw SCIMError(400, .invalidValue, "An \(op.rawValue) operation needs a value.") }
            return Operation(op: op, target: target, value: value)
        }
    }

    /// The document after every operation, in order. `multiValued`: the resource's multi-valued
    /// attributes (lower case), to which `add` appends.
    public func apply(to resource: SCIMValue, multiValued: Set<String>) throws(SCIMError) -> SCIMValue {
        var document = resource
        for operation in operations {
            if let target = operation.target {
                try Self.apply(operation.op, target, operation.value, to: &document, multiValued: multiValued)
            } else {
                // No path: the value is an object of attributes (extensions as objects under their URN).
                guard case .object(let members)? = operation.value else {
                    throw SCIMError(400, .invalidValue, "Without a path, the value is an object of attributes.")
                }
                for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                    if name.lowercased().hasPrefix("urn:"), case .object(let inner) = value {
                        for (innerName, innerValue) in inner.sorted(by: { $0.key < $1.key }) {
                            let target = try Target(name + ":" + innerName)
                            try Self.apply(operation.op, target, innerValue, to: &document, multiValued: multiValued)
                        }
                    } else {
                        try Self.apply(operation.op, try Target(name), value, to: &document, multiValued: multiValued)
                    }
                }
            }
        }
        return document
    }

    static func apply(
        _ op: Op, _ target: Target, _ value: SCIMValue?, to document: inout SCIMValue, multiValued: Set<String>
    ) throws(SCIMError) {
        let path = target.path
        if path.schema == nil, ["id", "meta", "schemas"].contains(path.attribute.lowercased()) {
            if path.attribute.lowercased() == "id" { throw SCIMError(400, .mutability, "\"id\" cannot be changed.") }
            return
        }
        var container = path.container(in: document) ?? .object([:])
        if case .object = container {} else { throw SCIMError(400, .invalidPath, "\(path.schema ?? "") is not an object.") }
        let isMulti = multiValued.contains(path.attribute.lowercased())
        let current = container[path.attribute]

        if let filter = target.filter {
            var elements = current?.array ?? []
            let matching = elements.indices.filter { filter.matches(elements[$0]) }
            switch op {
            case .remove:
                if let sub = path.subAttribute {
                    for index in matching { elements[index].set(sub, nil) }
                } else {
                    elements = elements.enumerated().filter { !matching.contains($0.offset) }.map(\.element)
                }
            case .add, .replace:
                guard let value else { return }
                if matching.isEmpty {
                    // `emails[type eq "work"].value`: make the element the filter describes.
                    guard case .compare(let key, .eq, let keyValue) = filter, key.subAttribute == nil else {
                        throw SCIMError(400, .noTarget, "No value matches the path's filter.")
                    }
                    var element = SCIMValue.object([key.attribute: keyValue])
                    if let sub = path.subAttribute { element.set(sub, value) } else { element = merged(element, value) }
                    elements.append(element)
                } else {
                    for index in matching {
                        if let sub = path.subAttribute { elements[index].set(sub, value) } else { elements[index] = merged(elements[index], value) }
                    }
                }
            }
            container.set(path.attribute, .array(elements))
        } else if let sub = path.subAttribute {
            if case .array(var elements)? = current {
                for index in elements.indices { elements[index].set(sub, op == .remove ? nil : value) }
                container.set(path.attribute, .array(elements))
            } else {
                var object = current ?? .object([:])
                if case .object = object {} else { object = .object([:]) }
                object.set(sub, op == .remove ? nil : value)
                container.set(path.attribute, object)
            }
        } else {
            switch op {
            case .remove:
                if isMulti, let value, case .array(var elements)? = current {
                    // `remove members` with the members to remove as its value (what Entra ID sends).
                    let doomed = (value.array ?? [value]).map { $0["value"] ?? $0 }
                    elements.removeAll { doomed.contains($0["value"] ?? $0) }
                    container.set(path.attribute, .array(elements))
                } else {
                    container.set(path.attribute, nil)
                }
            case .add where isMulti:
                var elements = current?.array ?? []
                for element in value?.array ?? [value ?? .null] where !element.isNull && !elements.contains(element) {
                    elements.append(element)
                }
                container.set(path.attribute, .array(elements))
            case .add, .replace:
                if isMulti, let value, value.array == nil, !value.isNull {
                    container.set(path.attribute, .array([value]))
                } else if case .object? = current, case .object? = value, op == .add {
                    container.set(path.attribute, merged(current!, value!))
                } else {
                    container.set(path.attribute, value)
                }
            }
        }
        if let schema = path.schema { document.set(schema, container) } else { document = container }
    }

    /// `base` with `value`'s members set over it (a value that is not an object replaces it).
    static func merged(_ base: SCIMValue, _ value: SCIMValue) -> SCIMValue {
        guard case .object(let members) = value, case .object = base else { return value }
        var result = base
        for (name, member) in members { result.set(name, member) }
        return result
    }
}
