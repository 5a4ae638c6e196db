/// The product brief's rules as pure functions, so the agent, the server and tests share one answer.
public enum PrivacyRules {
    /// The app inventory gate: collected only from corporate devices, or when the tenant turned on
    /// the compliant-app feature.
    public static func mayCollectAppInventory(ownership: Ownership, compliantAppFeature: Bool) -> Bool {
        ownership == .corporate || compliantAppFeature
    }

    /// Whether an admin may list a device's app inventory one app at a time: not on a personal
    /// device, where the catalog hides every app-inventory field (what the compliant-app feature
    /// collects there serves compliance and aggregate counts only; managed apps stay visible).
    public static func showsAppInventory(ownership: Ownership) -> Bool {
        ownership == .corporate
            || DataCatalog.entries.contains { $0.table == "device_software" && $0.personalDevice == .full && $0.column == "software_id" }
    }

    /// What a personal device keeps of a phone number: its last four digits.
    public static func maskedPhoneNumber(_ number: String?) -> String? {
        guard let number else { return nil }
        let digits = number.filter(\.isNumber)
        guard !digits.isEmpty else { return nil }
        return "••••" + String(digits.suffix(4))
    }

    /// The device's fields that the data catalog gives a personal-device display, by column.
    /// A test holds this table to the catalog, so a display declared there is never skipped here.
    public static let personalDeviceFields: [String: WritableKeyPath<DeviceView, String?> & Sendable] = [
        "phone_number": \.phoneNumber,
    ]

    /// The catalog's device columns with a personal-device display other than full, found once
    /// (not per device shown: a page of personal devices walked the whole catalog per device).
    private static let personalDeviceDisplays = DataCatalog.entries.filter { $0.table == "devices" && $0.personalDevice != .full }

    /// A device as an admin sees it: on a personal device, every field the catalog marks
    /// masked shows its last four characters, and every field it marks hidden is left out.
    /// (The store already keeps only the masked phone number of a personal device; this holds
    /// the view to the catalog whatever is stored.)
    public static func shown(_ view: DeviceView) -> DeviceView {
        var view = view
        mask(&view)
        return view
    }

    /// `shown`, in place: a page of devices is masked without a copy of each.
    public static func mask(_ view: inout DeviceView) {
        guard view.ownership == .personal else { return }
        for entry in personalDeviceDisplays {
            guard let field = personalDeviceFields[entry.column], let value = view[keyPath: field] else { continue }
            switch entry.personalDevice {
            case .full: break
            case .masked:
                guard !value.hasPrefix("••••") else { continue }
                view[keyPath: field] = entry.column == "phone_number" ? maskedPhoneNumber(value) : "••••" + value.suffix(4)
            case .hidden: view[keyPath: field] = nil
            }
        }
    }
}
