import Foundation
import StewardModel

/// Users and groups.
public enum DirectoryPages {
    public static func users(viewer: ConsoleViewer, page: Page<UserView>, cursor: String?, flash: Flash?) -> HTML {
        let rows = page.items.map { user -> [HTML] in
            [
                "<a href=\"/users/\(user.id.rawValue)\">\(user.displayName)</a>", "\(user.upn)", "\(user.email)",
                "\(user.origin == .directory ? "Directory" : "Admin")", Layout.state(user.active ? "active" : "deactivated"),
                Layout.time(user.createdAt),
            ]
        }
        let create: HTML = viewer.may(.usersManage)
            ? "<h2>Add a user</h2>" + viewer.form(
                "/users", class: "filters",
                Layout.field("Display name", name: "displayName", required: true) + Layout.field("User principal name", name: "upn", required: true)
                    + Layout.field("E-mail", name: "email", type: "email") + "<button type=\"submit\">Add user</button>")
            : .empty
        return Layout.page(
            title: "Users", section: .users, viewer: viewer, flash: flash,
            """
            <h1>Users</h1>\(Layout.table(id: "users", ["Name", "UPN", "E-mail", "Source", "State", "Created"], rows, empty: "No users yet."))\
            \(Layout.pager(next: page.nextCursor.map { "/users" + QueryString.make([("cursor", $0)]) }, first: cursor != nil ? "/users" : nil))\(create)
            """)
    }

    public static func user(viewer: ConsoleViewer, user: UserView, devices: [DeviceView]?) -> HTML {
        let deviceRows = (devices ?? []).map { device -> [HTML] in
            ["<a href=\"/devices/\(device.id.rawValue)\">\(device.deviceName ?? "(unnamed)")</a>", "\(device.platform.rawValue)", "\(device.ownership.rawValue)"]
        }
        let external = user.externalIds.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return Layout.page(
            title: user.displayName, section: .users, viewer: viewer,
            """
            <h1>\(user.displayName)</h1><div class="card"><dl class="fields">\
            <dt>User ID</dt><dd>\(user.id.rawValue)</dd><dd></dd><dt>UPN</dt><dd>\(user.upn)</dd><dd></dd>\
            <dt>E-mail</dt><dd>\(user.email)</dd><dd></dd><dt>Phone</dt><dd>\(user.phone)</dd><dd></dd>\
            <dt>Other IDs</dt><dd>\(external.isEmpty ? "—" : external)</dd><dd></dd>\
            <dt>Source</dt><dd>\(user.origin == .directory ? "The directory (SCIM)\(user.directoryId.map { ", ID \($0)" } ?? "")" : "An admin")</dd><dd></dd>\
            <dt>State</dt><dd>\(user.active ? "active" : "deactivated")\(user.eraseAt.map { " — erased on \(Layout.time($0))" } ?? .empty)</dd><dd></dd></dl></div>\
            \(devices == nil ? .empty : "<h2>Devices</h2>" + Layout.table(id: "user-devices", ["Device", "Platform", "Ownership"], deviceRows, empty: "No devices."))
            """)
    }

    public static func groups(viewer: ConsoleViewer, page: Page<GroupView>, cursor: String?, flash: Flash?) -> HTML {
        let rows = page.items.map { group -> [HTML] in
            ["<a href=\"/groups/\(group.id.rawValue)\">\(group.name)</a>", "\(group.kind.rawValue)", "\(group.memberCount)", "\(group.description)"]
        }
        let create: HTML = viewer.may(.groupsManage)
            ? "<h2>Add a group</h2>" + viewer.form(
                "/groups", class: "filters",
                Layout.field("Name", name: "name", required: true)
                    + Layout.select("Members are", name: "kind", GroupKind.allCases.map { ($0.rawValue, $0.rawValue + "s") })
                    + Layout.field("Description", name: "description") + "<button type=\"submit\">Add group</button>")
            : .empty
        return Layout.page(
            title: "Groups", section: .groups, viewer: viewer, flash: flash,
            """
            <h1>Groups</h1>\(Layout.table(id: "groups", ["Name", "Members are", "Members", "Description"], rows, empty: "No groups yet."))\
            \(Layout.pager(next: page.nextCursor.map { "/groups" + QueryString.make([("cursor", $0)]) }, first: cursor != nil ? "/groups" : nil))\(create)
            """)
    }

    public static func group(viewer: ConsoleViewer, group: GroupView, members: Page<GroupMemberView>, flash: Flash?) -> HTML {
        let manage = viewer.may(.groupsManage)
        let rows = members.items.map { member -> [HTML] in
            let link: HTML = member.kind == .device
                ? "<a href=\"/devices/\(member.id)\">\(member.id)</a>" : "<a href=\"/users/\(member.id)\">\(member.id)</a>"
            let remove = manage
                ? viewer.form("/groups/\(group.id.rawValue)/members/\(member.id)/remove", "<button type=\"submit\" class=\"secondary\">Remove</button>")
                : .empty
            return [link, Layout.time(member.addedAt), remove]
        }
        let add: HTML = manage
            ? "<h2>Add a member</h2>" + viewer.form(
                "/groups/\(group.id.rawValue)/members", class: "filters",
                "<input type=\"hidden\" name=\"kind\" value=\"\(group.kind.rawValue)\">"
                    + Layout.field(group.kind == .device ? "Device ID" : "User ID", name: "memberId", required: true)
                    + "<button type=\"submit\" id=\"add-member\">Add</button>")
            : .empty
        return Layout.page(
            title: group.name, section: .groups, viewer: viewer, flash: flash,
            """
            <h1>\(group.name)</h1><p class="muted">A group of \(group.kind.rawValue)s. \(group.description ?? "")</p>\
            <h2>Members (\(group.memberCount))</h2>\(Layout.table(id: "members", ["Member", "Added", ""], rows, empty: "No members yet."))\
            \(Layout.pager(next: members.nextCursor.map { "/groups/\(group.id.rawValue)" + QueryString.make([("cursor", $0)]) }, first: nil))\(add)
            """)
    }
}
