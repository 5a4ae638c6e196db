/// The product brief's rules as pure functions, so the agent, the server and tests share one answer.
public enum PrivacyRules {
    /// The app inventory gate: collected only from corporate devices, or when the tenant turned on
    /// the compliant-app feature.
    public static func mayCollectAppInventory(ownership: Ownership, compliantAppFeature: Bool) -> Bool {
        ownership == .corporate || compliantAppFeature
    }

    /// What a personal device keeps of a phone number: its last four digits.
    public static func maskedPhoneNumber(_ number: String?) -> String? {
        guard let number else { return nil }
        let digits = number.filter(\.isNumber)
        guard !digits.isEmpty else { return nil }
        return "••••" + String(digits.suffix(4))
    }

    /// The phone number as stored for a device of this ownership.
    public static func storedPhoneNumber(_ number: String?, ownership: Ownership) -> String? {
        ownership == .personal ? maskedPhoneNumber(number) : number
    }
}
