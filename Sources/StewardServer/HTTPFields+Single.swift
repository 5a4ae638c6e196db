import HTTPTypes

extension HTTPFields {
    /// The value of a field the request names once; nil when it is absent or named more than
    /// once (a repeated credential or content type is ambiguous, and refused as if absent).
    /// Without the joined copy the subscript makes of every value: this is read on every request.
    func single(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            guard found == nil else { return nil }
            found = field.value
        }
        return found
    }
}
